"""oidc

Why: issue 5 makes Shaffof an OpenID Connect provider with multi-factor sign-in and agency API clients: the
registered clients, the ID-token signing keys (private halves sealed in pki_keys), authorization codes, access
tokens, consents, the assurance level of browser sessions, recovery codes and the security events a person
sees.

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-24 18:49:32.919630
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shaffof.db.base

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_client_ip_at", ["client_ip", "at"], unique=False)
    op.create_table(
        "oidc_signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("key_label", sa.String(length=200), nullable=False),
        sa.Column(
            "public_jwk", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("publish_until", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_oidc_signing_keys")),
        sa.UniqueConstraint("key_label", name=op.f("uq_oidc_signing_keys_key_label")),
    )
    op.create_table(
        "oidc_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("web", "service", name="clientkind", native_enum=False, length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("previous_secret_expires_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "redirect_uris",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "post_logout_redirect_uris",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "scopes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "required_acr",
            sa.Enum("low", "substantial", "high", name="assurance", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_oidc_clients_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oidc_clients_client_id")),
    )
    with op.batch_alter_table("oidc_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_clients_agency_id"), ["agency_id"], unique=False)

    op.create_table(
        "oidc_authorization_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1000), nullable=False),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=False),
        sa.Column(
            "acr", sa.Enum("low", "substantial", "high", name="assurance", native_enum=False, length=16), nullable=False
        ),
        sa.Column("amr", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("auth_time", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_oidc_authorization_codes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oidc_clients.client_id"], name=op.f("fk_oidc_authorization_codes_client_id_oidc_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_authorization_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oidc_authorization_codes_code_hash")),
    )
    with op.batch_alter_table("oidc_authorization_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_authorization_codes_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oidc_authorization_codes_client_id"), ["client_id"], unique=False)

    op.create_table(
        "oidc_consents",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("granted_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_oidc_consents_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oidc_clients.client_id"], name=op.f("fk_oidc_consents_client_id_oidc_clients")
        ),
        sa.PrimaryKeyConstraint("account_id", "client_id", name=op.f("pk_oidc_consents")),
    )
    op.create_table(
        "oidc_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_oidc_recovery_codes_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oidc_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("oidc_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_recovery_codes_account_id"), ["account_id"], unique=False)

    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "login",
                "login_failed",
                "step_up",
                "step_up_failed",
                "recovery_code_used",
                "recovery_codes_issued",
                "consent_granted",
                "logout",
                name="securityeventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_security_events_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index("ix_security_events_account_at", ["account_id", "at"], unique=False)

    op.create_table(
        "oidc_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("authorization_code_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=1000), nullable=False),
        sa.Column(
            "acr", sa.Enum("low", "substantial", "high", name="assurance", native_enum=False, length=16), nullable=True
        ),
        sa.Column("issued_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_oidc_access_tokens_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["authorization_code_id"],
            ["oidc_authorization_codes.id"],
            name=op.f("fk_oidc_access_tokens_authorization_code_id_oidc_authorization_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oidc_clients.client_id"], name=op.f("fk_oidc_access_tokens_client_id_oidc_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oidc_access_tokens_token_hash")),
    )
    with op.batch_alter_table("oidc_access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_access_tokens_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_oidc_access_tokens_authorization_code_id"), ["authorization_code_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_oidc_access_tokens_client_id"), ["client_id"], unique=False)

    op.create_table(
        "oidc_session_assurance",
        sa.Column("auth_token_id", sa.Integer(), nullable=False),
        sa.Column(
            "acr", sa.Enum("low", "substantial", "high", name="assurance", native_enum=False, length=16), nullable=False
        ),
        sa.Column("amr", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("authenticated_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["auth_token_id"], ["auth_tokens.id"], name=op.f("fk_oidc_session_assurance_auth_token_id_auth_tokens")
        ),
        sa.PrimaryKeyConstraint("auth_token_id", name=op.f("pk_oidc_session_assurance")),
    )
    op.create_table(
        "oidc_security_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", shaffof.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_oidc_security_keys_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_security_keys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_oidc_security_keys_credential_id")),
    )
    with op.batch_alter_table("oidc_security_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_security_keys_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oidc_security_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_security_keys_account_id"))
    op.drop_table("oidc_security_keys")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_client_ip_at")
    op.drop_table("oidc_session_assurance")
    with op.batch_alter_table("oidc_access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_access_tokens_client_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_access_tokens_authorization_code_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_access_tokens_account_id"))

    op.drop_table("oidc_access_tokens")
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_account_at")

    op.drop_table("security_events")
    with op.batch_alter_table("oidc_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_recovery_codes_account_id"))

    op.drop_table("oidc_recovery_codes")
    op.drop_table("oidc_consents")
    with op.batch_alter_table("oidc_authorization_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_authorization_codes_client_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_authorization_codes_account_id"))

    op.drop_table("oidc_authorization_codes")
    with op.batch_alter_table("oidc_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_clients_agency_id"))

    op.drop_table("oidc_clients")
    op.drop_table("oidc_signing_keys")
