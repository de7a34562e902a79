"""privacy2: the history of the mediator's access policies

Why: access policies decide whose data an agency may read (deny by default); issue 6 asks that every change
of one — added, changed, revoked — be logged with who made it and why. ``mediator_policy_changes`` keeps the
policy before and after each change, never updated. Destruction when the purpose is achieved (ZRU-547
Art. 17) needs no new table — it empties the message log's content and leaves the existing tombstones — but
two indexes keep the worker's pass proportional to what is kept: the contents still kept (partial) and the
access records by message-log entry.

Revision ID: 0022
Revises: 0009
Create Date: 2026-11-24 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0022"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mediator_policy_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum("added", "changed", "revoked", name="policyaction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_account_id"], ["accounts.id"], name=op.f("fk_mediator_policy_changes_actor_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["mediator_policies.id"], name=op.f("fk_mediator_policy_changes_policy_id_mediator_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_policy_changes")),
    )
    op.create_index("ix_mediator_policy_changes_policy", "mediator_policy_changes", ["policy_id", "id"], unique=False)
    op.create_index("ix_privacy_access_records_message", "privacy_access_records", ["message_id"], unique=False)
    op.create_index(
        "ix_mediator_messages_content_kept",
        "mediator_messages",
        ["id"],
        unique=False,
        sqlite_where=sa.text("content_encrypted IS NOT NULL"),
        postgresql_where=sa.text("content_encrypted IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_mediator_messages_content_kept",
        table_name="mediator_messages",
        sqlite_where=sa.text("content_encrypted IS NOT NULL"),
        postgresql_where=sa.text("content_encrypted IS NOT NULL"),
    )
    op.drop_index("ix_privacy_access_records_message", table_name="privacy_access_records")
    op.drop_index("ix_mediator_policy_changes_policy", table_name="mediator_policy_changes")
    op.drop_table("mediator_policy_changes")
