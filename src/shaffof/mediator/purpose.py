"""Destruction when the purpose is achieved (ZRU-547 Art. 17): the content the message log kept (logging
level ``full``) of an exchange served for a case is destroyed once that case is closed and the time to
contest it is over; content of a query outside any case, once the same period has passed since the query.

The period is ZRU-445 Art. 22's year for a complaint to a higher body — our reading, so a setting
(``privacy_contest_period_days``). A case whose decision is under review (a review case not closed, or
closed within the period) keeps its content. Digests and metadata stay, so sealed batches still verify;
each destruction leaves a tombstone (what, when, why — never the content) with its ledger leaf, in the
destroying transaction. Pre-fill and export exchanges are logged at level ``metadata``: no content to destroy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from shaffof.cases.models import Case, CaseRelation, CaseState
from shaffof.db.engine import Database
from shaffof.mediator.models import MessageLogEntry
from shaffof.privacy.models import AccessOutcome, AccessRecord
from shaffof.privacy.service import record_destruction


@dataclass(frozen=True)
class DestructionReport:
    destroyed: int
    cases: int  # distinct cases whose purpose was achieved in this pass


def destroy_purpose_achieved(session: Session, now: dt.datetime, contest_period: dt.timedelta, limit: int) -> list[str]:
    """Destroy up to ``limit`` contents whose purpose is achieved, in the caller's transaction; returns the
    case numbers (or ``""`` for queries outside a case) of what was destroyed."""
    cutoff = now - contest_period
    review = aliased(Case)
    under_review = (
        sa.select(review.id)
        .where(
            review.parent_agency_id == Case.agency_id,
            review.parent_case_id == Case.id,
            review.relation == CaseRelation.review_of,
            sa.or_(review.closed_at.is_(None), review.closed_at > cutoff),
        )
        .exists()
    )
    rows = session.execute(
        sa.select(MessageLogEntry, AccessRecord.subject_pinfl, AccessRecord.categories, Case.closed_at)
        .join(
            AccessRecord,
            sa.and_(AccessRecord.message_id == MessageLogEntry.id, AccessRecord.outcome == AccessOutcome.allowed),
        )
        .outerjoin(Case, Case.registration_number == MessageLogEntry.case_number)
        .where(
            MessageLogEntry.content_encrypted.is_not(None),
            sa.or_(
                sa.and_(MessageLogEntry.case_number.is_(None), MessageLogEntry.at <= cutoff),
                sa.and_(Case.state == CaseState.closed, Case.closed_at <= cutoff, ~under_review),
            ),
        )
        .order_by(MessageLogEntry.id)
        .limit(limit)
        .with_for_update(of=MessageLogEntry, skip_locked=True)  # two workers never destroy one content twice
    ).all()
    days = contest_period.days
    done: list[str] = []
    for entry, subject, categories, closed_at in rows:
        assert entry.content_encrypted is not None
        if entry.case_number is not None and closed_at is not None:
            why = (
                f"purpose achieved: case {entry.case_number} closed on {closed_at:%Y-%m-%d} and its {days}-day "
                "contest period (ZRU-445 Art. 22) is over"
            )
        else:
            why = (
                f"purpose achieved: a query outside any case, answered on {entry.at:%Y-%m-%d}; its {days}-day "
                "contest period (ZRU-445 Art. 22) is over"
            )
        record_destruction(
            session,
            subject_pinfl=subject,
            what=f"mediator_messages.content_encrypted id={entry.id}",
            categories=categories,
            content=entry.content_encrypted.encode(),
            reason=why,
            authority=None,  # the worker, on the law's own terms
            at=now,
        )
        entry.content_encrypted = None
        done.append(entry.case_number or "")
    return done


def destroy_in_batches(
    db: Database, now: dt.datetime, contest_period: dt.timedelta, *, batch: int = 500
) -> DestructionReport:
    """The worker's pass: one transaction per batch, until nothing more is due."""
    destroyed, cases = 0, set()
    while True:
        with db.uow() as uow:
            done = destroy_purpose_achieved(uow.session, now, contest_period, batch)
            uow.commit()
        destroyed += len(done)
        cases |= {number for number in done if number}
        if len(done) < batch:
            return DestructionReport(destroyed=destroyed, cases=len(cases))
