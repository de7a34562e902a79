"""Fair assignment: a new case goes to an officer of its body by a rule, never by an officer's or an
applicant's choice. The rule (per agency, optionally per service) picks among the body's active officers
who have the service's skill tags and are not recused: the fewest open cases first (workload-balanced) or
strict rotation (round-robin); equals are taken in turn (whoever was routed a case longest ago). Heads of
the body are not assigned cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.cases.models import OPEN_STATES_SQL, Case
from shaffof.catalog.models import Service
from shaffof.identity.models import Account, Role
from shaffof.integrity.models import AssignmentRule, AssignmentStrategy, OfficerProfile


@dataclass(frozen=True)
class ResolvedRule:
    strategy: AssignmentStrategy
    skills: tuple[str, ...]
    source: str  # "agency+service", "agency" or "default"


def resolve_rule(session: Session, case: Case, service: Service) -> ResolvedRule:
    """The most specific rule: the agency's for this service, else the agency's, else workload-balanced.
    The service package's skill tags always apply."""
    rules = session.scalars(
        sa.select(AssignmentRule).where(
            AssignmentRule.agency_id == case.agency_id,
            sa.or_(AssignmentRule.service_code == service.code, AssignmentRule.service_code.is_(None)),
        )
    ).all()
    rule = next((r for r in rules if r.service_code == service.code), None) or next(iter(rules), None)
    skills = set((service.integrity or {}).get("skills", []))
    if rule is None:
        return ResolvedRule(AssignmentStrategy.workload_balanced, tuple(sorted(skills)), "default")
    skills |= set(rule.skills)
    return ResolvedRule(rule.strategy, tuple(sorted(skills)), "agency+service" if rule.service_code else "agency")


def officers_of(session: Session, agency_id: int) -> list[Account]:
    return list(
        session.scalars(
            sa.select(Account)
            .where(Account.agency_id == agency_id, Account.role == Role.officer, Account.is_active)
            .order_by(Account.id)
        )
    )


def profiles_of(session: Session, accounts: list[Account]) -> dict[int, OfficerProfile]:
    ids = [a.id for a in accounts]
    if not ids:
        return {}
    return {
        p.account_id: p for p in session.scalars(sa.select(OfficerProfile).where(OfficerProfile.account_id.in_(ids)))
    }


def open_loads(session: Session, agency_id: int, account_ids: list[int]) -> dict[int, int]:
    """Open cases assigned to each officer, counted in the partial index ``ix_cases_open_assignee``: the open
    states are written as literals (``OPEN_STATES_SQL``) so the planner can match the index's predicate even
    with a prepared, generic plan."""
    if not account_ids:
        return {}
    rows = session.execute(
        sa.select(Case.assignee_account_id, sa.func.count())
        .where(Case.agency_id == agency_id, sa.text(OPEN_STATES_SQL), Case.assignee_account_id.in_(account_ids))
        .group_by(Case.assignee_account_id)
    ).all()
    loads = dict.fromkeys(account_ids, 0)
    loads.update({account_id: count for account_id, count in rows if account_id is not None})
    return loads


def choose(
    rule: ResolvedRule,
    eligible: list[Account],
    profiles: dict[int, OfficerProfile],
    loads: dict[int, int],
) -> tuple[Account | None, dict[str, Any]]:
    """The officer the rule picks, and the rule with its inputs (recorded on the case's ``assigned`` event)."""
    data: dict[str, Any] = {
        "rule": rule.strategy.value,
        "rule_source": rule.source,
        "skills": list(rule.skills),
        "candidates": [{"account_id": a.id, "open_cases": loads.get(a.id, 0)} for a in eligible],
    }
    if not eligible:
        data["note"] = "no eligible officer was available: any officer of the body may take the case"
        return None, data

    def last_routed(account: Account) -> int:
        profile = profiles.get(account.id)
        return profile.rotation if profile is not None else 0

    if rule.strategy is AssignmentStrategy.workload_balanced:
        chosen = min(eligible, key=lambda a: (loads.get(a.id, 0), last_routed(a), a.id))
    else:
        chosen = min(eligible, key=lambda a: (last_routed(a), a.id))
    data["chosen"] = chosen.id
    return chosen, data
