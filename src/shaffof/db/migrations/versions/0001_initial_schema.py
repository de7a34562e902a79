"""initial schema

Why: the foundation's tables — identity (persons, accounts, auth tokens, login attempts),
catalog (agencies, versioned services), archive (blobs) and cases (cases, events, documents,
uploads, registration counters, idempotency keys). Case-scoped tables carry agency_id in their key.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:19:22.265726
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column(
            "name",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["agencies.id"], name=op.f("fk_agencies_parent_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agencies_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_login_at", ["login", "at"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("patronymic", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.Enum("M", "F", name="sex", native_enum=False), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("pinfl", name=op.f("uq_persons_pinfl")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("citizen", "officer", "head", "auditor", "admin", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role <> 'citizen' OR person_id IS NOT NULL", name=op.f("ck_accounts_citizen_is_a_person")),
        sa.CheckConstraint(
            "role NOT IN ('officer', 'head') OR agency_id IS NOT NULL",
            name=op.f("ck_accounts_agency_staff_have_agency"),
        ),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_accounts_agency_id_agencies")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_accounts_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_accounts_login")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_person_id"), ["person_id"], unique=False)

    op.create_table(
        "registration_counters",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_registration_counters_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", "year", name=op.f("pk_registration_counters")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("application", "ariza", "taklif", "shikoyat", name="servicekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column(
            "name",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "description",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "recipients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "legal_basis",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "form_schema",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "required_documents",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "fee",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deadline_policy", sa.String(length=64), nullable=False),
        sa.Column(
            "assurance_level",
            sa.Enum("low", "substantial", "high", name="assurancelevel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("imported_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_services_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_services_code_version")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index("ix_services_current", ["code", "is_current"], unique=False)

    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("session", "api", name="tokenkind", native_enum=False, length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_auth_tokens_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_tokens_token_hash")),
    )
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("application", "ariza", "taklif", "shikoyat", name="servicekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum("portal", "api", "mobile", "service_centre", name="channel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "registered",
                "in_review",
                "info_requested",
                "forwarded",
                "decided",
                "closed",
                name="casestate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("applicant_account_id", sa.Integer(), nullable=False),
        sa.Column("applicant_person_id", sa.Integer(), nullable=False),
        sa.Column(
            "form",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("registered_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_policy", sa.String(length=64), nullable=False),
        sa.Column("due_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assignee_account_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "approved",
                "rejected",
                "partially_approved",
                "left_unconsidered",
                name="outcome",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_account_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("parent_agency_id", sa.Integer(), nullable=True),
        sa.Column("parent_case_id", sa.Uuid(), nullable=True),
        sa.Column(
            "relation",
            sa.Enum("forwarded_from", "review_of", name="caserelation", native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_cases_agency_id_agencies")),
        sa.ForeignKeyConstraint(
            ["applicant_account_id"], ["accounts.id"], name=op.f("fk_cases_applicant_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["applicant_person_id"], ["persons.id"], name=op.f("fk_cases_applicant_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_account_id"], ["accounts.id"], name=op.f("fk_cases_assignee_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_account_id"], ["accounts.id"], name=op.f("fk_cases_decided_by_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["parent_agency_id", "parent_case_id"], ["cases.agency_id", "cases.id"], name="fk_cases_parent"
        ),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_cases_service_id_services")),
        sa.PrimaryKeyConstraint("agency_id", "id", name=op.f("pk_cases")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_cases_registration_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_applicant", ["applicant_account_id", "received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_applicant_person_id"), ["applicant_person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_assignee_account_id"), ["assignee_account_id"], unique=False)
        batch_op.create_index("ix_cases_queue", ["agency_id", "state", "due_at"], unique=False)
        batch_op.create_index("ix_cases_parent", ["parent_agency_id", "parent_case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_service_id"), ["service_id"], unique=False)

    op.create_table(
        "uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_uploads_account_id_accounts")),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_uploads_sha256_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_sha256"), ["sha256"], unique=False)

    op.create_table(
        "case_documents",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document_type", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("added_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by_account_id", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_account_id"],
            ["accounts.id"],
            name=op.f("fk_case_documents_added_by_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_case_documents_agency_id_case_id_cases"),
        ),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"], name=op.f("fk_case_documents_sha256_blobs")),
        sa.PrimaryKeyConstraint("agency_id", "case_id", "sha256", name=op.f("pk_case_documents")),
    )
    op.create_table(
        "case_events",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "submitted",
                "registered",
                "taken",
                "info_requested",
                "info_provided",
                "forwarded",
                "decided",
                "closed",
                "contested",
                name="eventkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column(
            "state_before",
            sa.Enum(
                "submitted",
                "registered",
                "in_review",
                "info_requested",
                "forwarded",
                "decided",
                "closed",
                name="casestate",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "state_after",
            sa.Enum(
                "submitted",
                "registered",
                "in_review",
                "info_requested",
                "forwarded",
                "decided",
                "closed",
                name="casestate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_account_id"], ["accounts.id"], name=op.f("fk_case_events_actor_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_case_events_agency_id_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("agency_id", "case_id", "seq", name=op.f("pk_case_events")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_idempotency_keys_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["agency_id", "case_id"],
            ["cases.agency_id", "cases.id"],
            name=op.f("fk_idempotency_keys_agency_id_case_id_cases"),
        ),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("pk_idempotency_keys")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("case_events")
    op.drop_table("case_documents")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_sha256"))
        batch_op.drop_index(batch_op.f("ix_uploads_account_id"))

    op.drop_table("uploads")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_service_id"))
        batch_op.drop_index("ix_cases_queue")
        batch_op.drop_index("ix_cases_parent")
        batch_op.drop_index(batch_op.f("ix_cases_assignee_account_id"))
        batch_op.drop_index(batch_op.f("ix_cases_applicant_person_id"))
        batch_op.drop_index("ix_cases_applicant")

    op.drop_table("cases")
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_tokens_account_id"))

    op.drop_table("auth_tokens")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index("ix_services_current")
        batch_op.drop_index(batch_op.f("ix_services_agency_id"))

    op.drop_table("services")
    op.drop_table("registration_counters")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_person_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_agency_id"))

    op.drop_table("accounts")
    op.drop_table("persons")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_login_at")

    op.drop_table("login_attempts")
    op.drop_table("blobs")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agencies_parent_id"))

    op.drop_table("agencies")
