"""deadlines: legal calendar overrides, case due dates, service-declared deadlines

Why: issue 4 parts 1–5. `calendar_overrides` holds the days off (and swapped working days) an
administrator enters for decrees the `holidays` package does not know yet — one per date, with who and
why. `case_deadlines` stores every running deadline of a case (registration, answer, proposal notice,
forwarding) with the inputs it is computed from (policy, clock start, extensions, clock stops) so it can
be explained and recomputed when the calendar changes; its key starts with agency_id like every
case-scoped table, and (due_on, starts_on) finds the deadlines whose count passes a changed date.
`services.deadline` keeps a package's own deadline block (a policy named after the service).

Data: the foundation's policy names are renamed to the stable ones (zru445-ariza and zru445-shikoyat →
zru445-answer, zru445-taklif → zru445-proposal) in cases and services; the old names stay accepted as
aliases in code. Cases filed before this revision get no case_deadlines rows: they keep cases.due_at and
show their policy's citation (docs/deadlines.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {"zru445-ariza": "zru445-answer", "zru445-shikoyat": "zru445-answer", "zru445-taklif": "zru445-proposal"}


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind", sa.Enum("day_off", "working_day", name="overridekind", native_enum=False, length=16), nullable=False
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("entered_by_account_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_calendar_overrides_entered_by_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_overrides")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_overrides_day")),
    )
    op.create_table(
        "case_deadlines",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "registration",
                "answer",
                "proposal_notice",
                "forwarding",
                name="deadlinekind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("started_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column(
            "adjustments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("adjustment_count", sa.Integer(), nullable=False),
        sa.Column("clock_stopped_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("ended_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_case_deadlines_agency_id_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("agency_id", "case_id", "kind", name=op.f("pk_case_deadlines")),
    )
    with op.batch_alter_table("case_deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_case_deadlines_window", ["due_on", "starts_on"], unique=False)

    # A nullable column: no table rebuild on SQLite.
    op.add_column(
        "services",
        sa.Column(
            "deadline",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )

    for name in ("cases", "services"):
        table = _policy_table(name)
        for old, new in RENAMED.items():
            op.execute(table.update().where(table.c.deadline_policy == old).values(deadline_policy=new))


def _policy_table(name: str) -> sa.TableClause:
    return sa.table(name, sa.column("deadline_policy", sa.String), sa.column("kind", sa.String))


def downgrade() -> None:
    for name in ("cases", "services"):
        table = _policy_table(name)
        former = sa.case((table.c.kind == "shikoyat", "zru445-shikoyat"), else_="zru445-ariza")
        op.execute(table.update().where(table.c.deadline_policy == "zru445-answer").values(deadline_policy=former))
        op.execute(
            table.update().where(table.c.deadline_policy == "zru445-proposal").values(deadline_policy="zru445-taklif")
        )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("deadline")
    with op.batch_alter_table("case_deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_case_deadlines_window")
    op.drop_table("case_deadlines")
    op.drop_table("calendar_overrides")
