"""deadlines: when each open case's SLA state next changes

Why: the SLA monitor (issue 4 part 6) looked at every open case due within the at-risk horizon on every
pass — work proportional to the open cases near their deadline. ``cases.next_check_at`` holds the instant
the case's service-level state next changes (computed from its deadline and the SLA policy whenever
either moves), and the partial index ``ix_cases_sla_check`` lets a pass read only the cases whose instant
has come: work proportional to the changes. Open cases that exist when this runs are due for a check at
once (their receipt instant), so the first pass schedules them all.

Revision ID: 0009
Revises: 0015
Create Date: 2026-11-24 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shaffof.db.base

revision: str = "0009"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATES = "state IN ('submitted', 'registered', 'in_review', 'info_requested')"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_check_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE cases SET next_check_at = received_at "
        "WHERE state IN ('submitted', 'registered', 'in_review', 'info_requested') AND due_at IS NOT NULL"
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_sla_check",
            ["next_check_at"],
            unique=False,
            sqlite_where=sa.text(OPEN_STATES),
            postgresql_where=sa.text(OPEN_STATES),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_sla_check", sqlite_where=sa.text(OPEN_STATES), postgresql_where=sa.text(OPEN_STATES)
        )
        batch_op.drop_column("next_check_at")
