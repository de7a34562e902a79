"""Tables of the integrity domain: who may be assigned what, declared conflicts, the recusal log,
four-eyes proposals and the monitor's findings.

Case-scoped rows carry ``agency_id`` beside ``case_id`` (docs/decisions/0001-case-keys.md) so they can be
distributed with their case later.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.cases.models import Outcome
from shaffof.db.base import Base, JSONValue, enum_type


class AssignmentStrategy(StrEnum):
    workload_balanced = "workload_balanced"  # fewest open cases first, round-robin among equals
    round_robin = "round_robin"  # strict rotation, whatever the load


class RecusalReason(StrEnum):
    self_applicant = "self_applicant"  # the officer is the applicant
    declared_conflict = "declared_conflict"  # the officer declared a conflict with the applicant
    relative = "relative"  # the applicant is a family member (population registry)
    own_decision = "own_decision"  # a review of the officer's own decision


class ProposalStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    sent_back = "sent_back"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class FindingStatus(StrEnum):
    open = "open"
    dismissed = "dismissed"


class OfficerProfile(Base):
    """What the assignment rules know about an officer: skill tags and when a case was last routed to them
    (the round-robin memory). The officer's own person record is ``accounts.person_id``."""

    __tablename__ = "officer_profiles"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True, autoincrement=False)
    skills: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    last_assigned_at: Mapped[dt.datetime | None]
    # The body's rotation number when the officer was last routed a case (0: never); the lowest goes next
    # among equals. A number, not the time, so that equal clocks (bulk loads) still rotate.
    rotation: Mapped[int] = mapped_column(default=0)


class AssignmentRule(Base):
    """How new cases of an agency (and optionally one service) are routed; the most specific rule wins."""

    __tablename__ = "assignment_rules"
    __table_args__ = (sa.UniqueConstraint("agency_id", "service_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    service_code: Mapped[str | None] = mapped_column(sa.String(64))
    strategy: Mapped[AssignmentStrategy] = mapped_column(enum_type(AssignmentStrategy, 24))
    skills: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    created_at: Mapped[dt.datetime]


class ConflictDeclaration(Base):
    """An officer's declared conflict of interest with a person (not shown to colleagues)."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (sa.Index("ix_conflict_declarations_account_person", "account_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    declared_at: Mapped[dt.datetime]


class RecusalRecord(Base):
    """An officer kept off a case: skipped at assignment, or refused at take / decide / approve. Read only by
    heads of the body and auditors; the case's timeline says nothing of it."""

    __tablename__ = "recusal_records"
    __table_args__ = (sa.Index("ix_recusal_records_case", "agency_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int]
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    registration_number: Mapped[str] = mapped_column(sa.String(40))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    operation: Mapped[str] = mapped_column(sa.String(16))  # assign | take | decide | approve
    reason: Mapped[RecusalReason] = mapped_column(enum_type(RecusalReason, 24))
    at: Mapped[dt.datetime]


class DecisionProposal(Base):
    """A decision that needs a second officer's approval (four-eyes) before it takes effect."""

    __tablename__ = "decision_proposals"
    __table_args__ = (
        sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),
        sa.Index("ix_decision_proposals_pending", "agency_id", "status"),
    )

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, 24))
    reason: Mapped[str] = mapped_column(sa.Text)
    why: Mapped[str] = mapped_column(sa.String(32))  # service_declares | reversal_on_review
    proposed_by_account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    proposed_at: Mapped[dt.datetime]
    status: Mapped[ProposalStatus] = mapped_column(enum_type(ProposalStatus, 16))
    resolved_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    resolved_at: Mapped[dt.datetime | None]
    resolution_reason: Mapped[str | None] = mapped_column(sa.Text)


class Finding(Base):
    """One hit of a process-integrity rule: unique per rule and subject (a case, or an officer), so a re-run
    of the monitor updates ``last_seen_at`` instead of adding a row."""

    __tablename__ = "integrity_findings"
    __table_args__ = (
        sa.UniqueConstraint("rule_code", "subject"),
        sa.Index("ix_integrity_findings_board", "agency_id", "status", "severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_code: Mapped[str] = mapped_column(sa.String(48))
    subject: Mapped[str] = mapped_column(sa.String(80))  # "case:<uuid>" or "officer:<account id>"
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, 8))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))  # None: no body is named
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    registration_number: Mapped[str | None] = mapped_column(sa.String(40))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    status: Mapped[FindingStatus] = mapped_column(enum_type(FindingStatus, 16))
    dismissed_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    dismissed_at: Mapped[dt.datetime | None]
    dismissal_reason: Mapped[str | None] = mapped_column(sa.Text)
