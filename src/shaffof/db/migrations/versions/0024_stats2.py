"""stats2

Why: the officer's and head's dashboards link every figure to the list of its cases (issue 10, part 4). The
list of an agency's cases received or decided in a period read the whole agency's cases without an index
(1.4 s at 1 million cases on SQLite, growing with the cases: bench/stats.py); with (agency_id, received_at)
and (agency_id, decided_at) it reads the first page of the period in index order. The staff dashboard by
service read every agency's per-service processing-day cells of the period (425 ms on PostgreSQL at 1 million
cases, 2.3 times the national dashboard); (agency_id, month) reads its own agency's only.

Revision ID: 0024
Revises: 0022
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_received", ["agency_id", "received_at"], unique=False)
        batch_op.create_index("ix_cases_decided", ["agency_id", "decided_at"], unique=False)
    with op.batch_alter_table("stats_processing_days", schema=None) as batch_op:
        batch_op.create_index("ix_stats_processing_days_agency", ["agency_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_processing_days", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_processing_days_agency")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_decided")
        batch_op.drop_index("ix_cases_received")
