"""open_assignee: the open cases of a body by assigned officer, for fair assignment's load count

Why: every submission counts each officer's open cases (integrity/assignment.open_loads). Over the queue index
and the assignee index that was a bitmap AND and a heap scan of every open case of the body: 610 ms at
10 million cases (108,746 open cases at one body; docs/performance.md), under the registration counter's lock.
A partial index over the open cases by (body, officer) answers the count from the index alone.

Revision ID: 0025
Revises: 0020
Create Date: 2026-11-25 05:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('submitted', 'registered', 'in_review', 'info_requested')"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_open_assignee",
            ["agency_id", "assignee_account_id"],
            unique=False,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_open_assignee", sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
