"""Recusal: an officer never works a case of their own, of a person they declared a conflict with, of a
family member, or the review of their own decision. One function decides it, for assignment, take, decide
and approval alike."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.cases.models import Case, CaseRelation
from shaffof.identity.models import Account
from shaffof.integrity.interfaces import FamilyTies
from shaffof.integrity.models import ConflictDeclaration, RecusalReason


def recusal_reason(session: Session, account: Account, case: Case, ties: FamilyTies | None) -> RecusalReason | None:
    """Why ``account`` must stay off ``case``, or None. Cheapest checks first; the registry is asked last."""
    applicant = case.applicant_person_id
    if account.person_id is not None and account.person_id == applicant:
        return RecusalReason.self_applicant
    declared = session.scalar(
        sa.select(ConflictDeclaration.id)
        .where(ConflictDeclaration.account_id == account.id, ConflictDeclaration.person_id == applicant)
        .limit(1)
    )
    if declared is not None:
        return RecusalReason.declared_conflict
    if case.relation is CaseRelation.review_of and case.parent_case_id is not None:
        decided_by = session.scalar(
            sa.select(Case.decided_by_account_id).where(
                Case.agency_id == case.parent_agency_id, Case.id == case.parent_case_id
            )
        )
        if decided_by == account.id:
            return RecusalReason.own_decision
    if ties is not None and account.person_id is not None and applicant in ties.relatives(session, account.person_id):
        return RecusalReason.relative
    return None
