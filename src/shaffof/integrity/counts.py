"""Open findings counted per body and rule: what the integrity domain lends to the statistics.

Counts only — never a case, an officer or a detail of a finding — so the statistics can publish them as
open data and show them on the head's dashboard without reading the findings table themselves (a domain
answers for its own tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.integrity.models import Finding, FindingStatus, Severity
from shaffof.integrity.rules import RULES, IntegrityRule

RULES_BY_CODE: dict[str, IntegrityRule] = {rule.code: rule for rule in RULES}


@dataclass(frozen=True)
class OpenFindings:
    agency_id: int | None  # None: findings that name no body (an access without an agency)
    rule: IntegrityRule
    count: int


def open_findings(session: Session, agency_id: int | None = None) -> list[OpenFindings]:
    """The open (not dismissed) findings per body and rule, of one body or of all (through the board's index)."""
    statement = sa.select(Finding.agency_id, Finding.rule_code, sa.func.count()).where(
        Finding.status == FindingStatus.open
    )
    if agency_id is not None:
        statement = statement.where(Finding.agency_id == agency_id)
    rows = session.execute(statement.group_by(Finding.agency_id, Finding.rule_code)).all()
    # A finding of a rule since retired from RULES still counts, under its own code.
    return sorted(
        (OpenFindings(agency, RULES_BY_CODE.get(code) or _retired(code), int(count)) for agency, code, count in rows),
        key=lambda item: (item.agency_id is None, item.agency_id or 0, item.rule.code),
    )


def _retired(code: str) -> IntegrityRule:
    return IntegrityRule(
        code=code, severity=Severity.low, title={"uz": code, "ru": code, "en": code}, description={}, citation=None
    )
