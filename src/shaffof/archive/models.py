"""Blobs (one row per distinct content, named by its SHA-256), legal holds on cases, and the tombstones
that disposal leaves where a blob's content was."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, utcnow

# SQLite gives autoincrement only to an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Blob(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    media_type: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LegalHold(Base):
    """A hold on a case's records (a court, a prosecutor, an inspection): while it is in force nothing of
    the case is disposed of, whatever its retention schedule says. Lifted, it stays as history."""

    __tablename__ = "archive_legal_holds"
    __table_args__ = (sa.ForeignKeyConstraint(["agency_id", "case_id"], ["cases.agency_id", "cases.id"]),)

    agency_id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, … per case
    registration_number: Mapped[str] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    authority: Mapped[str] = mapped_column(sa.String(500))  # who ordered it: the court, the decision, its date
    placed_at: Mapped[dt.datetime]
    placed_by_account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    released_at: Mapped[dt.datetime | None]
    released_by_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    release_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    release_authority: Mapped[str | None] = mapped_column(sa.String(500))


class Tombstone(Base):
    """What was disposed of, when, why and by whose authority — where a blob's content used to be.

    Written with its own ledger leaf in the disposal's transaction; the file goes only after that commits.
    The blob's row stays, so the digests that case events and their leaves name still resolve to a size,
    a type and this tombstone."""

    __tablename__ = "archive_tombstones"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(sa.ForeignKey("blobs.sha256"), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    media_type: Mapped[str] = mapped_column(sa.String(100))
    retention_class: Mapped[str] = mapped_column(sa.String(64))
    # The records that held the content: [{registration_number, agency_id, case_id, document_type}, …]
    records: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue)
    retain_until: Mapped[dt.datetime]  # when the last of those records' retention periods ended
    reason: Mapped[str] = mapped_column(sa.String(1000))  # why: the schedule's rule, in words
    basis: Mapped[dict[str, Any]] = mapped_column(JSONValue)  # the norm cited, or the platform default named
    authority: Mapped[str] = mapped_column(sa.String(500))  # the act or decision that approved the disposal
    disposed_at: Mapped[dt.datetime]
    disposed_by_account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
