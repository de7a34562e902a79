"""ledger: checkpoint timestamps, fault state, records of other domains; archive holds and tombstones

Why: issue 8 — checkpoints carry the platform TSA's RFC 3161 token (`ledger_checkpoint_timestamps`); the
sequencer records since when the log cannot sign or timestamp (`ledger_sequencer.commitment_*`), which
writers read to refuse work past the acceptable period; other domains log their records as leaves keyed by
their row id (`ledger_entries.record_id`, found by kind and id); the archive keeps legal holds on cases
(`archive_legal_holds`, keyed by the case's agency) and the tombstones that disposal leaves
(`archive_tombstones`, one per disposed blob, with its own leaf).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 18:53:46.656540
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoint_timestamps",
        sa.Column(
            "checkpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("gen_time", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_checkpoint_timestamps_checkpoint_id_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", name=op.f("pk_ledger_checkpoint_timestamps")),
    )
    op.create_table(
        "archive_tombstones",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("retention_class", sa.String(length=64), nullable=False),
        sa.Column(
            "records", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("retain_until", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column(
            "basis", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("authority", sa.String(length=500), nullable=False),
        sa.Column("disposed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disposed_by_account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disposed_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_archive_tombstones_disposed_by_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_archive_tombstones_sha256_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_tombstones")),
        sa.UniqueConstraint("sha256", name=op.f("uq_archive_tombstones_sha256")),
    )
    op.create_table(
        "archive_legal_holds",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("registration_number", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("authority", sa.String(length=500), nullable=False),
        sa.Column("placed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("placed_by_account_id", sa.Integer(), nullable=False),
        sa.Column("released_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by_account_id", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.String(length=1000), nullable=True),
        sa.Column("release_authority", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_archive_legal_holds_agency_id_case_id_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_account_id"], ["accounts.id"], name=op.f("fk_archive_legal_holds_placed_by_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_archive_legal_holds_released_by_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("agency_id", "case_id", "seq", name=op.f("pk_archive_legal_holds")),
    )
    with op.batch_alter_table("archive_legal_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_legal_holds_registration_number"), ["registration_number"], unique=False
        )

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_ledger_entries_record", ["kind", "record_id"], unique=False)

    with op.batch_alter_table("ledger_sequencer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("commitment_failing_since", shaffof.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("commitment_problem", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_sequencer", schema=None) as batch_op:
        batch_op.drop_column("commitment_problem")
        batch_op.drop_column("commitment_failing_since")

    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_record")
        batch_op.drop_column("record_id")

    with op.batch_alter_table("archive_legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_legal_holds_registration_number"))

    op.drop_table("archive_legal_holds")
    op.drop_table("archive_tombstones")
    op.drop_table("ledger_checkpoint_timestamps")
