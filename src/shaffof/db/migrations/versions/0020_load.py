"""load: the linked-cases index holds only linked cases

Why: the index of cases by parent (forwarding, review) covered every case, and nearly every case has no
parent. After ANALYZE, SQLite judged it useless (one value, NULL, for all rows) and scanned the whole cases
table to find a case's children — on every submission and every case view, a cost that grew with the
database (bench/load.py, docs/performance.md). A partial index over the linked cases only is small and is
always chosen for ``parent_case_id = ?``.

Revision ID: 0020
Revises: 0024
Create Date: 2026-11-24 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKED = "parent_case_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_parent")
        batch_op.create_index(
            "ix_cases_parent",
            ["parent_agency_id", "parent_case_id"],
            unique=False,
            sqlite_where=sa.text(LINKED),
            postgresql_where=sa.text(LINKED),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_parent", sqlite_where=sa.text(LINKED), postgresql_where=sa.text(LINKED))
        batch_op.create_index("ix_cases_parent", ["parent_agency_id", "parent_case_id"], unique=False)
