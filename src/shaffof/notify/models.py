"""Tables of the notify domain: the outbox of notifications, preferences, and worker leases.

A notification row is written in the same transaction as the change it tells about (a transactional
outbox): if the change rolls back, so does the notice; if it commits, the notice is never lost. In-app
notices are delivered by that commit (the row *is* the inbox entry); e-mail and SMS rows wait for
``shaffof worker``. Delivery states follow GOV.UK Notify's names.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, enum_type, utcnow
from shaffof.identity import models as _identity  # noqa: F401  (accounts: referenced by foreign keys)

# SQLite autoincrements only an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key (billions of notices).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class NotificationChannel(StrEnum):
    in_app = "in_app"
    email = "email"
    sms = "sms"


class NotificationStatus(StrEnum):
    queued = "queued"  # waiting for its first attempt
    sending = "sending"  # claimed by a worker until next_attempt_at (the claim's lease)
    delivered = "delivered"  # accepted by the SMTP server / SMS gateway; in-app: committed
    temporary_failure = "temporary-failure"  # will be retried at next_attempt_at
    permanent_failure = "permanent-failure"  # will not be retried; last_error says why


PENDING_STATUSES = (NotificationStatus.queued, NotificationStatus.sending, NotificationStatus.temporary_failure)
PENDING_SQL = "status IN ('queued', 'sending', 'temporary-failure')"


class Notification(Base):
    """One message to one account over one channel."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The worker's claim query reads only pending rows, by due time: a partial index stays as small as
        # the backlog while delivered rows grow to billions.
        sa.Index(
            "ix_notifications_due",
            "next_attempt_at",
            postgresql_where=sa.text(PENDING_SQL),
            sqlite_where=sa.text(PENDING_SQL),
        ),
        # The inbox: an account's in-app notices, newest first.
        sa.Index("ix_notifications_inbox", "account_id", "channel", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    channel: Mapped[NotificationChannel] = mapped_column(enum_type(NotificationChannel, 16))
    address: Mapped[str | None] = mapped_column(sa.String(254))  # e-mail address or phone; None in-app
    template: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(2))
    params: Mapped[dict[str, Any]] = mapped_column(JSONValue, default=dict)
    subject: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[NotificationStatus] = mapped_column(enum_type(NotificationStatus, 24))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]


class NotificationPreference(Base):
    """How an account wants to be told: language, e-mail on or off, a phone number for SMS."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(2), default="uz")
    email_enabled: Mapped[bool] = mapped_column(default=True)
    sms_number: Mapped[str | None] = mapped_column(sa.String(16))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkerLease(Base):
    """A named lease held by one worker process at a time (the outbox's single-worker lock on SQLite)."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(128))
    acquired_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
