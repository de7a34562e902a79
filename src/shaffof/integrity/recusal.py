"""Recusal: an officer never works a case of their own, of a person they declared a conflict with, of a
family member, or the review of their own decision. One function decides it, for assignment, take, decide
and approval alike."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.cases.models import Case, CaseRelation
from shaffof.identity.models import Account
from shaffof.integrity.interfaces import FamilyTies
from shaffof.integrity.models import ConflictDeclaration, RecusalReason


def recusal_reason(session: Session, account: Account, case: Case, ties: FamilyTies | None) -> RecusalReason | None:
    """Why ``account`` must stay off ``case``, or None."""
    return recusal_reasons(session, [account], case, ties).get(account.id)


def recusal_reasons(
    session: Session, accounts: Sequence[Account], case: Case, ties: FamilyTies | None
) -> dict[int, RecusalReason]:
    """Why each of ``accounts`` must stay off ``case`` (absent: free to work it). Cheapest checks first, the
    registry last; each check is one query for all the accounts, so assigning a case costs the same whether
    the body has two officers or two hundred."""
    applicant = case.applicant_person_id
    reasons: dict[int, RecusalReason] = {}
    for account in accounts:
        if account.person_id is not None and account.person_id == applicant:
            reasons[account.id] = RecusalReason.self_applicant
    open_ = [a for a in accounts if a.id not in reasons]
    if open_:
        declared = session.scalars(
            sa.select(ConflictDeclaration.account_id).where(
                ConflictDeclaration.account_id.in_([a.id for a in open_]), ConflictDeclaration.person_id == applicant
            )
        )
        reasons.update(dict.fromkeys(set(declared), RecusalReason.declared_conflict))
    if case.relation is CaseRelation.review_of and case.parent_case_id is not None:
        decided_by = session.scalar(
            sa.select(Case.decided_by_account_id).where(
                Case.agency_id == case.parent_agency_id, Case.id == case.parent_case_id
            )
        )
        if decided_by is not None and decided_by not in reasons and any(a.id == decided_by for a in accounts):
            reasons[decided_by] = RecusalReason.own_decision
    persons = {a.person_id: a.id for a in accounts if a.id not in reasons and a.person_id is not None}
    if ties is not None and persons:
        for person_id in ties.related_to(session, list(persons), applicant):
            reasons[persons[person_id]] = RecusalReason.relative
    return reasons
