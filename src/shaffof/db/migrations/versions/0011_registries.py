"""registries

Why: issue 6 (personal data): the base registries (population with addresses, family relations and
documents; property; business) with their sensitive fields encrypted, the information mediator's member
keys, access policies, message log and sealed batches, and the privacy domain's access records (the data
tracker), consents and the tombstones of destroyed personal data.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-24 18:55:37.691221
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mediator_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("timestamp_token", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_batches")),
    )
    op.create_table(
        "registry_population",
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("patronymic", sa.String(length=100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.Enum("M", "F", name="sex", native_enum=False), nullable=False),
        sa.Column("citizenship", sa.String(length=2), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=False),
        sa.Column("registered_since", sa.Date(), nullable=False),
        sa.Column("updated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pinfl", name=op.f("pk_registry_population")),
    )
    op.create_table(
        "mediator_members",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_mediator_members_agency_id_agencies")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_mediator_members")),
    )
    with op.batch_alter_table("mediator_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mediator_members_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "mediator_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_agency_id", sa.Integer(), nullable=False),
        sa.Column("registry_code", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "legal_ground",
            sa.Enum(
                "consent",
                "contract",
                "legal_obligation",
                "vital_interests",
                name="legalground",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "citation", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "logging",
            sa.Enum("full", "metadata", "none", name="logginglevel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_agency_id"], ["agencies.id"], name=op.f("fk_mediator_policies_consumer_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_policies")),
        sa.UniqueConstraint(
            "consumer_agency_id",
            "registry_code",
            "service",
            "purpose",
            name=op.f("uq_mediator_policies_consumer_agency_id_registry_code_service_purpose"),
        ),
    )
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_pinfl", sa.String(length=14), nullable=False),
        sa.Column("recipient_agency_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("given_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("receipt_token", sa.LargeBinary(), nullable=False),
        sa.Column("withdrawal_token", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_agency_id"], ["agencies.id"], name=op.f("fk_privacy_consents_recipient_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consents")),
    )
    with op.batch_alter_table("privacy_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_privacy_consents_lookup", ["subject_pinfl", "recipient_agency_id", "purpose"], unique=False
        )

    op.create_table(
        "registry_business",
        sa.Column("tin", sa.String(length=9), nullable=False),
        sa.Column("owner_pinfl", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_form", sa.String(length=32), nullable=False),
        sa.Column("activity_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_pinfl"],
            ["registry_population.pinfl"],
            name=op.f("fk_registry_business_owner_pinfl_registry_population"),
        ),
        sa.PrimaryKeyConstraint("tin", name=op.f("pk_registry_business")),
    )
    with op.batch_alter_table("registry_business", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_business_owner_pinfl"), ["owner_pinfl"], unique=False)

    op.create_table(
        "registry_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "id_card", "travel_passport", "birth_certificate", name="documentkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("number_encrypted", sa.Text(), nullable=False),
        sa.Column("number_index", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["pinfl"],
            ["registry_population.pinfl"],
            name=op.f("fk_registry_documents_pinfl_registry_population"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_documents")),
        sa.UniqueConstraint("number_index", name=op.f("uq_registry_documents_number_index")),
    )
    with op.batch_alter_table("registry_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_documents_pinfl"), ["pinfl"], unique=False)

    op.create_table(
        "registry_family_relations",
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column("relative_pinfl", sa.String(length=14), nullable=False),
        sa.Column(
            "relation",
            sa.Enum("spouse", "child", "parent", name="relation", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("since", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pinfl"],
            ["registry_population.pinfl"],
            name=op.f("fk_registry_family_relations_pinfl_registry_population"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["relative_pinfl"],
            ["registry_population.pinfl"],
            name=op.f("fk_registry_family_relations_relative_pinfl_registry_population"),
        ),
        sa.PrimaryKeyConstraint("pinfl", "relative_pinfl", name=op.f("pk_registry_family_relations")),
    )
    op.create_table(
        "registry_property",
        sa.Column("cadastre_number", sa.String(length=32), nullable=False),
        sa.Column("owner_pinfl", sa.String(length=14), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address_encrypted", sa.Text(), nullable=False),
        sa.Column("area_sqm", sa.Double(), nullable=False),
        sa.Column("share", sa.String(length=8), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_pinfl"],
            ["registry_population.pinfl"],
            name=op.f("fk_registry_property_owner_pinfl_registry_population"),
        ),
        sa.PrimaryKeyConstraint("cadastre_number", name=op.f("pk_registry_property")),
    )
    with op.batch_alter_table("registry_property", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_property_owner_pinfl"), ["owner_pinfl"], unique=False)

    op.create_table(
        "mediator_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("consumer_agency_id", sa.Integer(), nullable=True),
        sa.Column("consumer_account_id", sa.Integer(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("registry_code", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=True),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column(
            "outcome", sa.Enum("served", "refused", name="messageoutcome", native_enum=False, length=16), nullable=False
        ),
        sa.Column("refusal", sa.String(length=300), nullable=True),
        sa.Column(
            "logging",
            sa.Enum("full", "metadata", "none", name="logginglevel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("request_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("response_digest", sa.LargeBinary(length=32), nullable=True),
        sa.Column("content_encrypted", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["mediator_batches.id"], name=op.f("fk_mediator_messages_batch_id_mediator_batches")
        ),
        sa.ForeignKeyConstraint(
            ["consumer_account_id"], ["accounts.id"], name=op.f("fk_mediator_messages_consumer_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["consumer_agency_id"], ["agencies.id"], name=op.f("fk_mediator_messages_consumer_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_messages")),
    )
    with op.batch_alter_table("mediator_messages", schema=None) as batch_op:
        batch_op.create_index("ix_mediator_messages_batch", ["batch_id", "id"], unique=False)
        batch_op.create_index(
            "ix_mediator_messages_request",
            ["consumer_agency_id", "request_id"],
            unique=True,
            postgresql_where=sa.text("outcome = 'served'"),
            sqlite_where=sa.text("outcome = 'served'"),
        )
        batch_op.create_index(
            "ix_mediator_messages_unbatched",
            ["id"],
            unique=False,
            postgresql_where=sa.text("batch_id IS NULL"),
            sqlite_where=sa.text("batch_id IS NULL"),
        )

    op.create_table(
        "privacy_access_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("subject_pinfl", sa.String(length=14), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "officer",
                "mediator",
                "prefill",
                "export",
                "audit",
                "automated",
                name="accesschannel",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column(
            "legal_ground",
            sa.Enum(
                "consent",
                "contract",
                "legal_obligation",
                "vital_interests",
                name="legalground",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "citation", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("stated_reason", sa.String(length=500), nullable=True),
        sa.Column("outside_case", sa.Boolean(), nullable=False),
        sa.Column(
            "outcome", sa.Enum("allowed", "refused", name="accessoutcome", native_enum=False, length=16), nullable=False
        ),
        sa.Column("refusal", sa.String(length=300), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_account_id"], ["accounts.id"], name=op.f("fk_privacy_access_records_actor_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_privacy_access_records_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_access_records")),
    )
    with op.batch_alter_table("privacy_access_records", schema=None) as batch_op:
        batch_op.create_index("ix_privacy_access_records_agency_at", ["agency_id", "at"], unique=False)
        batch_op.create_index("ix_privacy_access_records_subject_at", ["subject_pinfl", "at"], unique=False)

    op.create_table(
        "privacy_tombstones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("subject_pinfl", sa.String(length=14), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column(
            "categories", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("content_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column(
            "citation", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("authority_account_id", sa.Integer(), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_account_id"], ["accounts.id"], name=op.f("fk_privacy_tombstones_authority_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_tombstones")),
    )
    with op.batch_alter_table("privacy_tombstones", schema=None) as batch_op:
        batch_op.create_index("ix_privacy_tombstones_subject_at", ["subject_pinfl", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_tombstones", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_tombstones_subject_at")

    op.drop_table("privacy_tombstones")
    with op.batch_alter_table("privacy_access_records", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_access_records_subject_at")
        batch_op.drop_index("ix_privacy_access_records_agency_at")

    op.drop_table("privacy_access_records")
    with op.batch_alter_table("mediator_messages", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_mediator_messages_unbatched",
            postgresql_where=sa.text("batch_id IS NULL"),
            sqlite_where=sa.text("batch_id IS NULL"),
        )
        batch_op.drop_index(
            "ix_mediator_messages_request",
            postgresql_where=sa.text("outcome = 'served'"),
            sqlite_where=sa.text("outcome = 'served'"),
        )
        batch_op.drop_index("ix_mediator_messages_batch")

    op.drop_table("mediator_messages")
    with op.batch_alter_table("registry_property", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_property_owner_pinfl"))

    op.drop_table("registry_property")
    op.drop_table("registry_family_relations")
    with op.batch_alter_table("registry_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_documents_pinfl"))

    op.drop_table("registry_documents")
    with op.batch_alter_table("registry_business", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_business_owner_pinfl"))

    op.drop_table("registry_business")
    with op.batch_alter_table("privacy_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_consents_lookup")

    op.drop_table("privacy_consents")
    op.drop_table("mediator_policies")
    with op.batch_alter_table("mediator_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mediator_members_agency_id"))

    op.drop_table("mediator_members")
    op.drop_table("registry_population")
    op.drop_table("mediator_batches")
