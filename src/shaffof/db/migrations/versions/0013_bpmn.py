"""bpmn

Why: automated decisions (issue 7). Each service version with a BPMN/DMN model keeps its files
(automation_models: the model a decision names by digest, so it can be re-run exactly); each case it runs
for keeps the serialized SpiffWorkflow state, the decision trace and the human review's result
(automation_runs, keyed by agency like every case-scoped table). The worker finds runs with work left
through a partial index.

Revision ID: 0013
Revises: 0007
Create Date: 2026-11-24 18:56:08.258652
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automation_models",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "files", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_automation_models_service_id_services")),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_automation_models")),
    )
    op.create_table(
        "automation_runs",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("model_digest", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "waiting",
                "decided",
                "confirming",
                "officer",
                "parked",
                name="runstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("decisive_date", sa.Date(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column(
            "trace", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "review_result",
            sa.Enum("confirmed", "replaced", name="reviewresult", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("review_outcome", sa.String(length=24), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("review_case_number", sa.String(length=40), nullable=True),
        sa.Column("reviewed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"], ["cases.agency_id", "cases.id"], name="fk_automation_runs_case"
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_account_id"], ["accounts.id"], name=op.f("fk_automation_runs_reviewed_by_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_automation_runs_service_id_services")),
        sa.PrimaryKeyConstraint("agency_id", "case_id", name=op.f("pk_automation_runs")),
    )
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_automation_runs_active",
            ["updated_at"],
            unique=False,
            sqlite_where=sa.text("status IN ('pending', 'waiting')"),
            postgresql_where=sa.text("status IN ('pending', 'waiting')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("automation_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_automation_runs_active",
            sqlite_where=sa.text("status IN ('pending', 'waiting')"),
            postgresql_where=sa.text("status IN ('pending', 'waiting')"),
        )

    op.drop_table("automation_runs")
    op.drop_table("automation_models")
