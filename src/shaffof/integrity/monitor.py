"""The process-integrity monitor's checks: one function per rule in :mod:`shaffof.integrity.rules`, each a
read-only query returning the rule's hits. :meth:`shaffof.integrity.service.Integrity.scan` turns hits into
findings (unique per rule and subject, so re-runs are idempotent)."""

from __future__ import annotations

import bisect
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from shaffof.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseRelation,
    CaseSignature,
    CaseState,
    EventKind,
    Outcome,
)
from shaffof.catalog.models import Service
from shaffof.identity.models import Account
from shaffof.integrity.interfaces import PersonalDataAccessLog
from shaffof.integrity.rules import IntegrityRule

REVERSED = (Outcome.approved, Outcome.partially_approved)  # a complaint upheld on review reverses the decision


@dataclass(frozen=True)
class Hit:
    subject: str
    agency_id: int | None
    case_id: uuid.UUID | None = None
    registration_number: str | None = None
    account_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    access_log: PersonalDataAccessLog | None


def case_hit(case: Case, **detail: Any) -> Hit:
    return Hit(
        subject=f"case:{case.id}",
        agency_id=case.agency_id,
        case_id=case.id,
        registration_number=case.registration_number,
        account_id=case.decided_by_account_id or case.assignee_account_id,
        detail=detail,
    )


def _has_decision_signature() -> sa.Exists:
    return (
        sa.select(CaseSignature.event_seq)
        .where(
            CaseSignature.agency_id == Case.agency_id,
            CaseSignature.case_id == Case.id,
            CaseSignature.purpose == "decision",
        )
        .exists()
    )


def closed_without_signed_answer(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    cutoff = ctx.now - dt.timedelta(hours=rule.params["grace_hours"])
    statement = sa.select(Case).where(
        Case.state == CaseState.closed, Case.closed_at < cutoff, ~_has_decision_signature()
    )
    for case in session.scalars(statement):
        yield case_hit(case, closed_at=case.closed_at.isoformat() if case.closed_at else None)


def decision_without_reasons(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    shortest = rule.params["min_reason_chars"]
    statement = sa.select(Case).where(
        Case.outcome.is_not(None),
        sa.or_(Case.outcome_reason.is_(None), sa.func.length(sa.func.trim(Case.outcome_reason)) < shortest),
    )
    for case in session.scalars(statement):
        yield case_hit(case, reason=case.outcome_reason or "")


def decision_without_citation(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    rows = session.execute(
        sa.select(Case, Service.legal_basis)
        .join(Service, Service.id == Case.service_id)
        .where(Case.outcome.is_not(None))
    )
    for case, legal_basis in rows:
        if legal_basis:
            continue
        decided = session.scalar(
            sa.select(CaseEvent.data)
            .where(
                CaseEvent.agency_id == case.agency_id, CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.decided
            )
            .order_by(CaseEvent.seq.desc())
            .limit(1)
        )
        if not (decided or {}).get("citation"):
            yield case_hit(case)


def answered_late_without_extension(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    extended = (
        sa.select(CaseEvent.seq)
        .where(
            CaseEvent.agency_id == Case.agency_id, CaseEvent.case_id == Case.id, CaseEvent.kind == EventKind.extended
        )
        .exists()
    )
    statement = sa.select(Case).where(
        Case.decided_at.is_not(None), Case.due_at.is_not(None), Case.decided_at > Case.due_at, ~extended
    )
    for case in session.scalars(statement):
        assert case.decided_at is not None and case.due_at is not None
        yield case_hit(case, due_at=case.due_at.isoformat(), decided_at=case.decided_at.isoformat())


def extension_after_deadline(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    rows = session.execute(
        sa.select(CaseEvent.agency_id, CaseEvent.case_id, CaseEvent.at, CaseEvent.data).where(
            CaseEvent.kind == EventKind.extended
        )
    )
    late: dict[tuple[int, uuid.UUID], dict[str, Any]] = {}
    for agency_id, case_id, at, data in rows:
        was_due = dt.datetime.fromisoformat(data["from"]) if data.get("from") else None
        if was_due is not None and at > was_due:
            late.setdefault((agency_id, case_id), {"extended_at": at.isoformat(), "was_due_at": was_due.isoformat()})
    for (agency_id, case_id), detail in late.items():
        case = session.get(Case, (agency_id, case_id))
        if case is not None:
            yield case_hit(case, **detail)


def repeated_appeals(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    """A case filed by a person after ``answered_before`` of their cases on the same service (at any body)
    were decided within ``window_days`` before it. Forwarded copies and reviews are the same appeal, not
    repeats, and are left out."""
    window = dt.timedelta(days=rule.params["window_days"])
    needed = rule.params["answered_before"]
    rows = session.execute(
        sa.select(Case.applicant_person_id, Service.code, Case.received_at, Case.decided_at, Case.agency_id, Case.id)
        .join(Service, Service.id == Case.service_id)
        .where(Case.relation.is_(None))
        .order_by(Case.applicant_person_id, Service.code, Case.received_at)
    ).all()
    matters: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in rows:
        matters[(row[0], row[1])].append(row)
    for filings in matters.values():
        if len(filings) <= needed:
            continue
        # One pass over the matter's filings (oldest first), keeping the decision times of the filings inside
        # the window sorted: how many were answered before this one is a bisection, not a rescan.
        window_start = 0
        answered_times: list[dt.datetime] = []
        for index, (_person, code, received_at, _decided, agency_id, case_id) in enumerate(filings):
            while filings[window_start][2] < received_at - window:
                leaving = filings[window_start][3]
                if leaving is not None:
                    del answered_times[bisect.bisect_left(answered_times, leaving)]
                window_start += 1
            answered = bisect.bisect_left(answered_times, received_at)
            if answered >= needed:
                case = session.get(Case, (agency_id, case_id))
                assert case is not None
                yield case_hit(case, service=code, answered_before=answered)
            if filings[index][3] is not None:
                bisect.insort(answered_times, filings[index][3])


def reversal_rate_above_norm(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    review = aliased(Case)
    decided = dict(
        session.execute(
            sa.select(Case.decided_by_account_id, sa.func.count())
            .where(Case.decided_by_account_id.is_not(None))
            .group_by(Case.decided_by_account_id)
        ).all()
    )
    reversed_rows = session.execute(
        sa.select(Case.decided_by_account_id, Case.registration_number)
        .join(review, sa.and_(review.parent_agency_id == Case.agency_id, review.parent_case_id == Case.id))
        .where(review.relation == CaseRelation.review_of, review.outcome.in_(REVERSED))
    ).all()
    reversals: dict[int | None, list[str]] = defaultdict(list)
    for decided_by, number in reversed_rows:
        reversals[decided_by].append(number)
    accounts = {a.id: a for a in session.scalars(sa.select(Account).where(Account.id.in_(list(reversals))))}
    for account_id, numbers in reversals.items():
        account = accounts.get(account_id) if account_id is not None else None
        total = decided.get(account_id, 0)
        if account is None or total < rule.params["min_decisions"]:
            continue
        norm = rule.params["agency_norms"].get(str(account.agency_id), rule.params["norm"])
        rate = len(numbers) / total
        if rate > norm:
            yield Hit(
                subject=f"officer:{account_id}",
                agency_id=account.agency_id,
                account_id=account_id,
                detail={"decisions": total, "reversed": sorted(numbers), "rate": round(rate, 4), "norm": norm},
            )


def document_changed_after_signing(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    signed = (
        sa.select(CaseSignature.agency_id, CaseSignature.case_id, sa.func.min(CaseSignature.signing_time).label("at"))
        .where(CaseSignature.purpose == "decision")
        .group_by(CaseSignature.agency_id, CaseSignature.case_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(CaseDocument.agency_id, CaseDocument.case_id, CaseDocument.sha256, CaseDocument.added_at, signed.c.at)
        .join(signed, sa.and_(signed.c.agency_id == CaseDocument.agency_id, signed.c.case_id == CaseDocument.case_id))
        .where(CaseDocument.document_type != "decision", CaseDocument.added_at > signed.c.at)
    ).all()
    changed: dict[tuple[int, uuid.UUID], list[str]] = defaultdict(list)
    for agency_id, case_id, sha256, _added_at, _signed_at in rows:
        changed[(agency_id, case_id)].append(sha256)
    for key, digests in changed.items():
        case = session.get(Case, key)
        if case is not None:
            yield case_hit(case, documents=sorted(digests))


def access_without_case(session: Session, rule: IntegrityRule, ctx: Context) -> Iterator[Hit]:
    """An access record naming no case, a case that does not exist, or a case that is not the person's."""
    assert ctx.access_log is not None
    for access in ctx.access_log.accesses_since(session, None):
        case = None
        if access.case_id is not None and access.case_agency_id is not None:
            case = session.get(Case, (access.case_agency_id, access.case_id))
        if case is not None and case.applicant_person_id == access.person_id:
            continue
        yield Hit(
            subject=f"access:{access.access_id}",
            agency_id=access.agency_id,
            account_id=access.accessed_by_account_id,
            detail={
                "person_id": access.person_id,
                "at": access.at.isoformat(),
                "case": case.registration_number if case is not None else None,
                "why": "no case named" if access.case_id is None else "the case is not the person's",
            },
        )


Check = Callable[[Session, IntegrityRule, Context], Iterator[Hit]]
CHECKS: dict[str, Check] = {
    "closed_without_signed_answer": closed_without_signed_answer,
    "decision_without_reasons": decision_without_reasons,
    "decision_without_citation": decision_without_citation,
    "answered_late_without_extension": answered_late_without_extension,
    "extension_after_deadline": extension_after_deadline,
    "repeated_appeals": repeated_appeals,
    "reversal_rate_above_norm": reversal_rate_above_norm,
    "document_changed_after_signing": document_changed_after_signing,
    "access_without_case": access_without_case,
}
