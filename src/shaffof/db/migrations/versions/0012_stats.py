"""stats

Why: transparency in numbers (issue 10) — monthly rollups per agency and service with a processing-time
histogram, kept in the case's own transaction so the public dashboard sums a few thousand rows instead of
scanning millions of cases; the applicant's rating of an answer; the location an Open311 client reported.

Revision ID: 0012
Revises: 0007
Create Date: 2026-11-24 19:28:32.159107
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shaffof.db.base

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stats_agency_processing_days",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_stats_agency_processing_days_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("month", "agency_id", "days", name=op.f("pk_stats_agency_processing_days")),
    )
    op.create_table(
        "stats_monthly",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("received_portal", sa.BigInteger(), nullable=False),
        sa.Column("received_api", sa.BigInteger(), nullable=False),
        sa.Column("received_mobile", sa.BigInteger(), nullable=False),
        sa.Column("received_service_centre", sa.BigInteger(), nullable=False),
        sa.Column("forwarded", sa.BigInteger(), nullable=False),
        sa.Column("decided", sa.BigInteger(), nullable=False),
        sa.Column("decided_with_deadline", sa.BigInteger(), nullable=False),
        sa.Column("decided_on_time", sa.BigInteger(), nullable=False),
        sa.Column("decided_automatically", sa.BigInteger(), nullable=False),
        sa.Column("contested", sa.BigInteger(), nullable=False),
        sa.Column("reviewed", sa.BigInteger(), nullable=False),
        sa.Column("changed_on_review", sa.BigInteger(), nullable=False),
        sa.Column("ratings", sa.BigInteger(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_stats_monthly_agency_id_agencies")),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_stats_monthly_service_id_services")),
        sa.PrimaryKeyConstraint("month", "agency_id", "service_id", name=op.f("pk_stats_monthly")),
    )
    op.create_table(
        "stats_processing_days",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_stats_processing_days_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_stats_processing_days_service_id_services")
        ),
        sa.PrimaryKeyConstraint("service_id", "month", "agency_id", "days", name=op.f("pk_stats_processing_days")),
    )
    op.create_table(
        "case_ratings",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_case_ratings_score_range")),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_case_ratings_agency_id_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("agency_id", "case_id", name=op.f("pk_case_ratings")),
    )
    op.create_table(
        "open311_requests",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.Uuid(), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("long", sa.Float(), nullable=True),
        sa.Column("address_string", sa.String(length=300), nullable=True),
        sa.Column("requested_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_open311_requests_agency_id_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("agency_id", "case_id", name=op.f("pk_open311_requests")),
        sa.UniqueConstraint("token", name=op.f("uq_open311_requests_token")),
    )
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.create_index("ix_open311_requests_requested_at", ["requested_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_open311_requests_requested_at")

    op.drop_table("open311_requests")
    op.drop_table("case_ratings")
    op.drop_table("stats_processing_days")
    op.drop_table("stats_monthly")
    op.drop_table("stats_agency_processing_days")
