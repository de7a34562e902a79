"""Tables of the ledger: leaves, the stored tree, signed checkpoints, and the sequencer's row.

A leaf is written in the transaction of the change it records (so nothing is acknowledged without its
leaf); it has no index until the sequencer integrates it. The sequencer stores each complete subtree
above the leaves once, as it completes (``ledger_nodes``), which is what lets a proof read O(log n) rows.

The ledger is one log for the whole platform, not a case-scoped table: it is not keyed by agency. Past
one database it starts a new log per period (as Sigstore's Rekor shards), each with its own origin.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, enum_type, utcnow

# SQLite gives autoincrement only to an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNSEQUENCED = sa.text("leaf_index IS NULL")


class LeafKind(StrEnum):
    """What a leaf records. A domain that logs its records adds its kind here and writes them with
    ``Ledger.append_record`` (docs/ledger.md, "Logging your own records")."""

    case_event = "case_event"
    archive_tombstone = "archive_tombstone"  # a disposed blob's tombstone (archive/disposal.py)
    access_record = "access_record"  # a read of a person's data (privacy/, the data tracker)
    consent = "consent"  # a consent given or withdrawn (privacy/)
    personal_data_tombstone = "personal_data_tombstone"  # personal data destroyed, ZRU-547 Art. 17 (privacy/)


class LedgerEntry(Base):
    """One leaf: the RFC 9162 leaf hash of a record's RFC 8785 canonical bytes, and what the record is."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # The sequencer's work queue: only unsequenced leaves are in this index, so finding them costs
        # nothing however long the log grows.
        sa.Index("ix_ledger_entries_unsequenced", "id", postgresql_where=UNSEQUENCED, sqlite_where=UNSEQUENCED),
        # By hash to its first index (proof by hash): the index answers min(leaf_index) by itself.
        sa.Index("ix_ledger_entries_leaf_hash", "leaf_hash", "leaf_index"),
        sa.Index("ix_ledger_entries_case_event", "agency_id", "case_id", "event_seq"),
        sa.Index("ix_ledger_entries_subject", "subject", "event_seq"),
        sa.Index("ix_ledger_entries_record", "kind", "record_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    leaf_index: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    kind: Mapped[LeafKind] = mapped_column(enum_type(LeafKind, 32))
    # What the leaf is about, in the words a citizen has (the registration number for case events) ...
    subject: Mapped[str | None] = mapped_column(sa.String(64))
    # ... and the record's own key (agency_id, case_id, seq for a case event). No foreign key: a record
    # disposed of under its retention schedule leaves a tombstone, while its leaf stays in the tree.
    agency_id: Mapped[int | None]
    case_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    event_seq: Mapped[int | None]
    # The id of the record's row in its own domain's table, for records logged with ``append_record``.
    record_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerNode(Base):
    """The hash of the perfect subtree over leaves ``[index·2**level, (index+1)·2**level)``, level ≥ 1
    (level 0 is ``ledger_entries.leaf_hash``)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class LedgerCheckpoint(Base):
    """A signed tree head: the log's size and root at a time, signed by the log key (a C2SP checkpoint)."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(sa.String(255))
    tree_size: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    signed_at: Mapped[dt.datetime]  # whole milliseconds: the signed text carries Unix milliseconds
    key_id: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64))


class LedgerCheckpointTimestamp(Base):
    """The RFC 3161 token of a checkpoint: the platform TSA's signature over SHA-256 of the checkpoint's
    signed note, proving the checkpoint (and so every leaf it covers) existed at ``gen_time``."""

    __tablename__ = "ledger_checkpoint_timestamps"

    checkpoint_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("ledger_checkpoints.id"), primary_key=True, autoincrement=False
    )
    token: Mapped[bytes] = mapped_column(sa.LargeBinary)  # DER ContentInfo (TimeStampToken)
    gen_time: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerSequencer(Base):
    """The one row the sequencer locks while it integrates: the size and root of the integrated tree, and
    since when (and why) the log cannot commit to its leaves — no key or no timestamp (docs/ledger.md, Faults)."""

    __tablename__ = "ledger_sequencer"

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(sa.BigInteger)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    commitment_failing_since: Mapped[dt.datetime | None]
    commitment_problem: Mapped[str | None] = mapped_column(sa.String(500))
