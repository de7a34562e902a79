"""Tables of automated decisions: the stored models (by service version) and each case's process run.

``automation_runs`` is case-scoped, so ``agency_id`` leads its key (docs/decisions/0001-case-keys.md). The
serialized SpiffWorkflow state lives in the run row, committed with the case's events: a restart resumes
from the last committed step, and a failure parks the case with its error rather than losing it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, enum_type, utcnow


class RunStatus(StrEnum):
    pending = "pending"  # registered; the worker starts the process
    waiting = "waiting"  # a timer or another event is awaited
    decided = "decided"  # the process decided; the case went through the decide path
    confirming = "confirming"  # a negative outcome waits for an officer's confirmation (service setting)
    officer = "officer"  # the process handed the case to an officer (a user task)
    parked = "parked"  # a step failed; an officer takes the case over, the error is kept


class ReviewResult(StrEnum):
    confirmed = "confirmed"
    replaced = "replaced"


ACTIVE_STATUSES_SQL = "status IN ('pending', 'waiting')"


class AutomationModel(Base):
    """The automation files of one service version, as imported (the model a decision names by digest)."""

    __tablename__ = "automation_models"

    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    files: Mapped[dict[str, Any]] = mapped_column(JSONValue, deferred=True)  # read once per digest (cached)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AutomationRun(Base):
    __tablename__ = "automation_runs"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"], ["cases.agency_id", "cases.id"], name="fk_automation_runs_case"
        ),
        # The worker's index: only runs that still have work.
        sa.Index(
            "ix_automation_runs_active",
            "updated_at",
            sqlite_where=sa.text(ACTIVE_STATUSES_SQL),
            postgresql_where=sa.text(ACTIVE_STATUSES_SQL),
        ),
    )

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    model_digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus, 16))
    decisive_date: Mapped[dt.date | None]
    state: Mapped[str | None] = mapped_column(sa.Text)
    trace: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)
    outcome: Mapped[str | None] = mapped_column(sa.String(24))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    review_result: Mapped[ReviewResult | None] = mapped_column(enum_type(ReviewResult, 16))
    review_outcome: Mapped[str | None] = mapped_column(sa.String(24))
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    review_case_number: Mapped[str | None] = mapped_column(sa.String(40))
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
