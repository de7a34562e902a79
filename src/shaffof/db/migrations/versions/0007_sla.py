"""sla

Why: the SLA monitor (issue 4 part 6) keeps each open case's service-level state and how far it was
escalated, and finds due cases through a partial index on the open cases' answer deadline.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 16:43:01.885124
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sla_state",
                sa.Enum(
                    "on_track", "at_risk", "overdue", "long_overdue", name="slastate", native_enum=False, length=16
                ),
                server_default="on_track",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(
            "ix_cases_open_due",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text("state IN ('submitted', 'registered', 'in_review', 'info_requested')"),
            postgresql_where=sa.text("state IN ('submitted', 'registered', 'in_review', 'info_requested')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_open_due",
            sqlite_where=sa.text("state IN ('submitted', 'registered', 'in_review', 'info_requested')"),
            postgresql_where=sa.text("state IN ('submitted', 'registered', 'in_review', 'info_requested')"),
        )
        batch_op.drop_column("escalation_level")
        batch_op.drop_column("sla_state")
