"""ledger: leaves, stored subtree hashes, signed checkpoints, the sequencer's row

Why: issue 8 — every case event is recorded as an RFC 9162 leaf in the transaction of the change
(`ledger_entries`, index NULL until the sequencer integrates it; a partial index on the unsequenced rows is
the sequencer's work queue, however long the log grows). The sequencer stores each complete subtree's hash
once (`ledger_nodes`), so a proof reads O(log n) rows; it locks `ledger_sequencer` while it integrates and
signs checkpoints (`ledger_checkpoints`) with the log key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shaffof.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSEQUENCED = "leaf_index IS NULL"


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.Enum("case_event", name="leafkind", native_enum=False, length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("leaf_index", name=op.f("uq_ledger_entries_leaf_index")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_unsequenced",
            ["id"],
            unique=False,
            postgresql_where=sa.text(UNSEQUENCED),
            sqlite_where=sa.text(UNSEQUENCED),
        )
        batch_op.create_index("ix_ledger_entries_leaf_hash", ["leaf_hash", "leaf_index"], unique=False)
        batch_op.create_index("ix_ledger_entries_case_event", ["agency_id", "case_id", "event_seq"], unique=False)
        batch_op.create_index("ix_ledger_entries_subject", ["subject", "event_seq"], unique=False)

    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("node_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_ledger_nodes")),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_checkpoints_tree_size"), ["tree_size"], unique=False)

    op.create_table(
        "ledger_sequencer",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("updated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_sequencer")),
    )


def downgrade() -> None:
    op.drop_table("ledger_sequencer")
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoints_tree_size"))

    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_subject")
        batch_op.drop_index("ix_ledger_entries_case_event")
        batch_op.drop_index("ix_ledger_entries_leaf_hash")
        batch_op.drop_index(
            "ix_ledger_entries_unsequenced", postgresql_where=sa.text(UNSEQUENCED), sqlite_where=sa.text(UNSEQUENCED)
        )

    op.drop_table("ledger_entries")
