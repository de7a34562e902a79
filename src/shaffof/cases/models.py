"""Tables of the cases domain.

Every case-scoped table carries ``agency_id`` in its primary key, so cases can later be distributed by
agency (Citus) without a rewrite; a case never changes agency — forwarding opens a linked case at the
competent body (docs/decisions/0002-forwarding-opens-a-linked-case.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.catalog.models import ServiceKind
from shaffof.db.base import Base, JSONValue, enum_type, utcnow
from shaffof.deadlines.policies import DeadlineKind
from shaffof.deadlines.sla import SlaState


class CaseState(StrEnum):
    submitted = "submitted"
    registered = "registered"
    in_review = "in_review"
    info_requested = "info_requested"
    forwarded = "forwarded"
    decided = "decided"
    closed = "closed"


class Outcome(StrEnum):
    approved = "approved"
    rejected = "rejected"
    partially_approved = "partially_approved"
    left_unconsidered = "left_unconsidered"  # ZRU-445 Art. 29


class Channel(StrEnum):
    portal = "portal"
    api = "api"
    mobile = "mobile"
    service_centre = "service_centre"


class EventKind(StrEnum):
    submitted = "submitted"
    registered = "registered"
    taken = "taken"
    info_requested = "info_requested"
    info_provided = "info_provided"
    forwarded = "forwarded"
    decided = "decided"
    closed = "closed"
    contested = "contested"
    extended = "extended"  # the answer deadline was extended (ZRU-445 Art. 28(2), 28(3))
    deadline_recomputed = "deadline_recomputed"  # a clock restart or a calendar change moved a deadline
    sla_changed = "sla_changed"  # on_track / at_risk / overdue / long_overdue (deadlines/sla.py)
    escalated = "escalated"  # overdue: to the head of the body; long overdue: to the higher body
    decision_issued = "decision_issued"  # the sealed decision document (PAdES) was archived
    process_handed_over = "process_handed_over"  # the automated process handed the case to an officer
    automation_parked = "automation_parked"  # a process step failed: an officer takes over, with the error
    decision_reviewed = "decision_reviewed"  # a human reviewed an automated decision: confirmed or replaced
    assigned = "assigned"  # routed to an officer by the body's assignment rule (integrity/assignment.py)
    reassigned = "reassigned"  # moved to another officer by the head of the body, with a reason
    decision_proposed = "decision_proposed"  # a four-eyes decision awaits a second officer's approval
    decision_sent_back = "decision_sent_back"  # the second officer refused the proposed decision, with a reason


class CaseRelation(StrEnum):
    forwarded_from = "forwarded_from"  # this case was opened when another body forwarded its case here
    review_of = "review_of"  # this case reviews a contested decision


OPEN_STATES_SQL = "state IN ('submitted', 'registered', 'in_review', 'info_requested')"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["parent_agency_id", "parent_case_id"], ["cases.agency_id", "cases.id"], name="fk_cases_parent"
        ),
        sa.Index("ix_cases_queue", "agency_id", "state", "due_at"),
        sa.Index("ix_cases_applicant", "applicant_account_id", "received_at"),
        # Linked cases only (forwarded, review): nearly every case has no parent, and over a full index of NULLs
        # SQLite's planner (after ANALYZE) scanned the whole table for "the children of this case" on every
        # submission and case view (docs/performance.md). The partial index holds only the linked cases.
        sa.Index(
            "ix_cases_parent",
            "parent_agency_id",
            "parent_case_id",
            sqlite_where=sa.text("parent_case_id IS NOT NULL"),
            postgresql_where=sa.text("parent_case_id IS NOT NULL"),
        ),
        # The cases behind a statistics figure (issue 10): an agency's cases in a period, by receipt or decision.
        sa.Index("ix_cases_received", "agency_id", "received_at"),
        sa.Index("ix_cases_decided", "agency_id", "decided_at"),
        # The SLA monitor's and the overdue board's index: open cases only, by answer deadline.
        sa.Index(
            "ix_cases_open_due",
            "due_at",
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        ),
        # Fair assignment's load count at every submission: a body's open cases by assigned officer, from the index.
        sa.Index(
            "ix_cases_open_assignee",
            "agency_id",
            "assignee_account_id",
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        ),
        # The SLA monitor's work list: open cases by the instant their service-level state next changes.
        sa.Index(
            "ix_cases_sla_check",
            "next_check_at",
            sqlite_where=sa.text(OPEN_STATES_SQL),
            postgresql_where=sa.text(OPEN_STATES_SQL),
        ),
    )

    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    registration_number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(enum_type(ServiceKind, 16))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 16))
    state: Mapped[CaseState] = mapped_column(enum_type(CaseState, 16))
    applicant_account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    applicant_person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    received_at: Mapped[dt.datetime]
    registered_at: Mapped[dt.datetime | None]
    deadline_policy: Mapped[str] = mapped_column(sa.String(64))
    due_at: Mapped[dt.datetime | None]
    assignee_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome, 24))
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[dt.datetime | None]
    decided_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    closed_at: Mapped[dt.datetime | None]
    parent_agency_id: Mapped[int | None]
    parent_case_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    relation: Mapped[CaseRelation | None] = mapped_column(enum_type(CaseRelation, 24))
    event_count: Mapped[int] = mapped_column(default=0)
    sla_state: Mapped[SlaState] = mapped_column(
        enum_type(SlaState, 16), default=SlaState.on_track, server_default=SlaState.on_track.value
    )
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the SLA state may next change (deadlines.sla.SlaPolicy.next_check); NULL while the clock is
    # stopped or nothing more can change. The monitor looks only at the cases whose instant has come.
    next_check_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseEvent(Base):
    """One append-only entry of a case's timeline: who did what, when, why."""

    __tablename__ = "case_events"
    __table_args__ = (sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),)

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, 24))
    at: Mapped[dt.datetime]
    actor_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    state_before: Mapped[CaseState | None] = mapped_column(enum_type(CaseState, 16))
    state_after: Mapped[CaseState] = mapped_column(enum_type(CaseState, 16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)


class CaseDeadline(Base):
    """One running deadline of a case (registration, answer, proposal notice, forwarding): the inputs it
    is computed from — policy, clock start, adjustments (extensions, clock stops) — and the result.
    ``cases.due_at`` mirrors the answer deadline for the queue index. The explanation is rendered from
    the inputs on reading (shaffof.deadlines.explain); ``starts_on``/``due_on`` (local dates) let a
    calendar change find the deadlines whose count passes the changed date.
    """

    __tablename__ = "case_deadlines"
    __table_args__ = (
        sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),
        sa.Index("ix_case_deadlines_window", "due_on", "starts_on"),
    )

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_type(DeadlineKind, 24), primary_key=True)
    policy: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime]  # receipt by this body: the clock starts here
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)  # local date of started_at
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue, default=list)
    adjustment_count: Mapped[int] = mapped_column(default=0)
    clock_stopped_at: Mapped[dt.datetime | None]  # the clock is stopped now, since this instant
    due_at: Mapped[dt.datetime]
    due_on: Mapped[dt.date] = mapped_column(sa.Date)  # local date of due_at
    ended_at: Mapped[dt.datetime | None]  # the awaited act happened, or the case left this body
    updated_at: Mapped[dt.datetime]


class CaseSignature(Base):
    """A verified signature kept with the case: the applicant's on the submission (a JWS with its RFC 3161
    timestamp token) or, later, the signed decision. ZRU-793: authentic, valid certificate, right purpose."""

    __tablename__ = "case_signatures"
    __table_args__ = (sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),)

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    event_seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    purpose: Mapped[str] = mapped_column(sa.String(16))  # submission | decision
    format: Mapped[str] = mapped_column(sa.String(8))  # jws | pades
    signer: Mapped[str] = mapped_column(sa.String(300))
    certificate_serial: Mapped[str] = mapped_column(sa.String(64))
    signing_time: Mapped[dt.datetime]
    timestamp: Mapped[dt.datetime | None]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    token: Mapped[str | None] = mapped_column(sa.Text)  # the JWS; a signed PDF lives in the blob store


class CaseDocument(Base):
    """A document attached to a case (content in the blob store, named by its SHA-256)."""

    __tablename__ = "case_documents"
    __table_args__ = (sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),)

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"), primary_key=True)
    document_type: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    added_at: Mapped[dt.datetime]
    added_by_account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    event_seq: Mapped[int]


class Upload(Base):
    """A document uploaded by an account before it is attached to a case (staged)."""

    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RegistrationCounter(Base):
    """The last registration number issued by an agency in a year (row-locked while incremented)."""

    __tablename__ = "registration_counters"

    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class IdempotencyKey(Base):
    """A submission's idempotency key: a retry with the same key and body returns the first case."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),)

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    agency_id: Mapped[int]
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
