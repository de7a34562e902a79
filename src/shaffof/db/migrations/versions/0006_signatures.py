"""signatures

Why: signed submissions (issue 3, ZRU-793) — services declare whether a submission must carry the
applicant's signature, and the verified signature (JWS + RFC 3161 token) is kept with the case.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 16:30:23.770528
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shaffof.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_signatures",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("signer", sa.String(length=300), nullable=False),
        sa.Column("certificate_serial", sa.String(length=64), nullable=False),
        sa.Column("signing_time", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timestamp", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_case_signatures_agency_id_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("agency_id", "case_id", "event_seq", name=op.f("pk_case_signatures")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature_required", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("signature_required")

    op.drop_table("case_signatures")
