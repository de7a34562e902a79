"""The officer accountability report (for heads of the body and auditors, not public): per officer the
cases assigned, decisions, the share decided by the answer deadline, decisions reversed on review and the
open findings that name them — each number with the registration numbers behind it.

The average rating is the applicants' own (``POST /api/v1/cases/{n}/rating``, once per answered case) of the
answers the officer decided; None before any rating, never a guess.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from shaffof.cases.models import Case, CaseRelation
from shaffof.cases.ratings import CaseRating
from shaffof.catalog.models import Agency
from shaffof.identity.models import Account, Role
from shaffof.integrity.models import Finding, FindingStatus
from shaffof.integrity.monitor import REVERSED
from shaffof.integrity.schemas import Measure, OfficerLine


def officer_report(session: Session, agency_id: int) -> list[OfficerLine]:
    agency = session.get(Agency, agency_id)
    assert agency is not None
    staff = list(
        session.scalars(
            sa.select(Account)
            .where(Account.agency_id == agency_id, Account.role.in_((Role.officer, Role.head)))
            .order_by(Account.role.desc(), Account.login)
        )
    )
    ids = [a.id for a in staff]
    assigned: dict[int | None, list[str]] = defaultdict(list)
    for account_id, number in session.execute(
        sa.select(Case.assignee_account_id, Case.registration_number)
        .where(Case.agency_id == agency_id, Case.assignee_account_id.in_(ids))
        .order_by(Case.received_at)
    ):
        assigned[account_id].append(number)
    decided: dict[int | None, list[str]] = defaultdict(list)
    on_time: dict[int | None, list[str]] = defaultdict(list)
    for account_id, number, decided_at, due_at in session.execute(
        sa.select(Case.decided_by_account_id, Case.registration_number, Case.decided_at, Case.due_at)
        .where(Case.agency_id == agency_id, Case.decided_by_account_id.in_(ids))
        .order_by(Case.decided_at)
    ):
        decided[account_id].append(number)
        if due_at is None or (decided_at is not None and decided_at <= due_at):
            on_time[account_id].append(number)
    review = aliased(Case)
    reversed_: dict[int | None, list[str]] = defaultdict(list)
    for account_id, number in session.execute(
        sa.select(Case.decided_by_account_id, Case.registration_number)
        .join(review, sa.and_(review.parent_agency_id == Case.agency_id, review.parent_case_id == Case.id))
        .where(
            Case.agency_id == agency_id,
            Case.decided_by_account_id.in_(ids),
            review.relation == CaseRelation.review_of,
            review.outcome.in_(REVERSED),
        )
    ):
        reversed_[account_id].append(number)
    rated: dict[int | None, list[tuple[str, int]]] = defaultdict(list)
    for account_id, number, score in session.execute(
        sa.select(Case.decided_by_account_id, Case.registration_number, CaseRating.score)
        .join(CaseRating, sa.and_(CaseRating.agency_id == Case.agency_id, CaseRating.case_id == Case.id))
        .where(Case.agency_id == agency_id, Case.decided_by_account_id.in_(ids))
        .order_by(Case.registration_number)
    ):
        rated[account_id].append((number, score))
    findings: dict[int | None, list[str]] = defaultdict(list)
    for named, case_number, rule in session.execute(
        sa.select(Finding.account_id, Finding.registration_number, Finding.rule_code).where(
            Finding.account_id.in_(ids), Finding.status == FindingStatus.open
        )
    ):
        findings[named].append(case_number if case_number is not None else rule)
    lines = []
    for account in staff:
        made = decided[account.id]
        timely = set(on_time[account.id])
        lines.append(
            OfficerLine(
                officer=account.display_name,
                login=account.login,
                agency=agency.code,
                cases=Measure(value=len(assigned[account.id]), cases=assigned[account.id]),
                decided=Measure(value=len(made), cases=made),
                on_time_percent=Measure(
                    value=round(100 * len(timely) / len(made), 1) if made else None,
                    cases=[n for n in made if n not in timely],  # the late ones: the cases behind the gap
                ),
                reversed_on_review=Measure(value=len(reversed_[account.id]), cases=reversed_[account.id]),
                findings=Measure(value=len(findings[account.id]), cases=findings[account.id]),
                average_rating=_average(rated[account.id]),
            )
        )
    return lines


def _average(rated: list[tuple[str, int]]) -> Measure:
    scores = [score for _number, score in rated]
    return Measure(value=round(sum(scores) / len(scores), 2) if scores else None, cases=[n for n, _ in rated])
