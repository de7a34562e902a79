"""pki: the issuance register, CRLs, the sealed key store, TOTP step-up factors

Why: issue 3 (legally binding signatures). ``pki_certificates`` records every certificate the platform's CAs
issued — the register that CRLs and OCSP answers are made from, and where ZRU-793's renewal limit is enforced
(``renewals``, ``renewed_from`` unique: an extension chain, never a tree). ``pki_crls`` keeps each signed CRL
with its per-issuer number. ``pki_keys`` holds private keys sealed under SHAFFOF_PKI_PASSPHRASE (the database
``KeyStore``). ``totp_factors`` are the second factors cloud signing steps up with.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shaffof.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pki_keys",
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("label", name=op.f("pk_pki_keys")),
    )
    op.create_table(
        "pki_certificates",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("issuer_serial", sa.String(length=40), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "root_ca",
                "issuing_ca",
                "tsa",
                "ocsp_responder",
                "citizen",
                "officer",
                "eseal",
                name="certificatekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column(
            "custody", sa.Enum("client", "platform", name="keycustody", native_enum=False, length=16), nullable=False
        ),
        sa.Column("key_label", sa.String(length=200), nullable=True),
        sa.Column("public_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("not_before", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status", sa.Enum("active", "revoked", name="issuancestatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("revoked_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "revocation_reason",
            sa.Enum(
                "unspecified",
                "key_compromise",
                "affiliation_changed",
                "superseded",
                "cessation_of_operation",
                "privilege_withdrawn",
                name="revocationreason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("renewed_from", sa.String(length=40), nullable=True),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'revoked' OR revoked_at IS NOT NULL", name=op.f("ck_pki_certificates_revoked_has_time")
        ),
        sa.CheckConstraint("renewals >= 0", name=op.f("ck_pki_certificates_renewals_not_negative")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_pki_certificates_account_id_accounts")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_pki_certificates_agency_id_agencies")),
        sa.ForeignKeyConstraint(
            ["issuer_serial"],
            ["pki_certificates.serial"],
            name=op.f("fk_pki_certificates_issuer_serial_pki_certificates"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_pki_certificates_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["renewed_from"],
            ["pki_certificates.serial"],
            name=op.f("fk_pki_certificates_renewed_from_pki_certificates"),
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_pki_certificates")),
        sa.UniqueConstraint("renewed_from", name=op.f("uq_pki_certificates_renewed_from")),
    )
    with op.batch_alter_table("pki_certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pki_certificates_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pki_certificates_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index("ix_pki_certificates_crl", ["issuer_serial", "status", "not_after"], unique=False)
        batch_op.create_index(batch_op.f("ix_pki_certificates_key_label"), ["key_label"], unique=False)
        batch_op.create_index("ix_pki_certificates_kind_not_before", ["kind", "not_before"], unique=False)
        batch_op.create_index(batch_op.f("ix_pki_certificates_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pki_certificates_public_key_sha256"), ["public_key_sha256"], unique=False)

    op.create_table(
        "pki_crls",
        sa.Column("issuer_serial", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("this_update", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_update", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_serial"], ["pki_certificates.serial"], name=op.f("fk_pki_crls_issuer_serial_pki_certificates")
        ),
        sa.PrimaryKeyConstraint("issuer_serial", "number", name=op.f("pk_pki_crls")),
    )
    op.create_table(
        "totp_factors",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("confirmed_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_totp_factors_account_id_accounts")),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_totp_factors")),
    )


def downgrade() -> None:
    op.drop_table("totp_factors")
    op.drop_table("pki_crls")
    with op.batch_alter_table("pki_certificates", schema=None) as batch_op:
        for index in (
            "ix_pki_certificates_public_key_sha256",
            "ix_pki_certificates_person_id",
            "ix_pki_certificates_kind_not_before",
            "ix_pki_certificates_key_label",
            "ix_pki_certificates_crl",
            "ix_pki_certificates_agency_id",
            "ix_pki_certificates_account_id",
        ):
            batch_op.drop_index(index)
    op.drop_table("pki_certificates")
    op.drop_table("pki_keys")
