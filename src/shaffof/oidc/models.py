"""Tables of the OpenID Connect provider: registered clients, signing keys, codes, tokens, consents, the
assurance of browser sessions, recovery codes and the security events a person can see.

Every secret (client secrets, codes, access tokens, recovery codes) is stored as its SHA-256 only: each is a
random value of at least 128 bits, so a fast hash is enough and a stolen table reveals none of them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, JSONValue, enum_type, utcnow

HASH = sa.String(64)


class ClientKind(StrEnum):
    web = "web"  # an agency web application: authorization code flow for people (OIDC)
    service = "service"  # an agency system: client credentials, no person involved


class Assurance(StrEnum):
    """Levels of assurance of a sign-in (issue 5): the ``acr`` claim's values, in rising order."""

    low = "low"  # password
    substantial = "substantial"  # password + second factor
    high = "high"  # second factor + proof of a signing certificate (ZRU-793 electronic signature)

    @property
    def rank(self) -> int:
        return list(Assurance).index(self)


class OidcClient(Base):
    """A relying party or API client registered by an administrator for one agency."""

    __tablename__ = "oidc_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    kind: Mapped[ClientKind] = mapped_column(enum_type(ClientKind, 16))
    secret_hash: Mapped[str] = mapped_column(HASH)
    # Rotation: the previous secret keeps working until this instant so the agency can redeploy.
    previous_secret_hash: Mapped[str | None] = mapped_column(HASH)
    previous_secret_expires_at: Mapped[dt.datetime | None]
    redirect_uris: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    required_acr: Mapped[Assurance] = mapped_column(enum_type(Assurance, 16), default=Assurance.low)
    rate_limit_per_minute: Mapped[int] = mapped_column(default=600)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None]


class SigningKey(Base):
    """An ES256 key that signs ID tokens; its private half lives sealed in the PKI key store (``key_label``).

    Rotation: a new key becomes ``active``; the old one is retired but stays in the JWKS until
    ``publish_until`` (the expiry of the last token it signed), so relying parties can still verify them.
    """

    __tablename__ = "oidc_signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key_label: Mapped[str] = mapped_column(sa.String(200), unique=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]
    publish_until: Mapped[dt.datetime | None]


class AuthorizationCode(Base):
    """A one-time code of the authorization code flow (RFC 6749 §4.1), bound to its PKCE challenge."""

    __tablename__ = "oidc_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(HASH, unique=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oidc_clients.client_id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(sa.String(1000))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    nonce: Mapped[str | None] = mapped_column(sa.String(255))
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str] = mapped_column(sa.String(8))
    acr: Mapped[Assurance] = mapped_column(enum_type(Assurance, 16))
    amr: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    auth_time: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class AccessToken(Base):
    """A bearer access token issued to a client (for a person, or for the client itself)."""

    __tablename__ = "oidc_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(HASH, unique=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oidc_clients.client_id"), index=True)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    authorization_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("oidc_authorization_codes.id"), index=True)
    scope: Mapped[str] = mapped_column(sa.String(1000))
    acr: Mapped[Assurance | None] = mapped_column(enum_type(Assurance, 16))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class Consent(Base):
    """The scopes a person let a client have; asked again when the client wants more."""

    __tablename__ = "oidc_consents"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oidc_clients.client_id"), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SessionAssurance(Base):
    """How a browser session (an identity ``auth_tokens`` row) was authenticated: its level and methods."""

    __tablename__ = "oidc_session_assurance"

    auth_token_id: Mapped[int] = mapped_column(sa.ForeignKey("auth_tokens.id"), primary_key=True)
    acr: Mapped[Assurance] = mapped_column(enum_type(Assurance, 16))
    amr: Mapped[list[str]] = mapped_column(JSONValue, default=list)
    authenticated_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]


class RecoveryCode(Base):
    """One-time recovery codes for a lost authenticator; each counts as a second factor once."""

    __tablename__ = "oidc_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(HASH, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_at: Mapped[dt.datetime | None]


class SecurityEventKind(StrEnum):
    login = "login"
    login_failed = "login_failed"
    step_up = "step_up"
    step_up_failed = "step_up_failed"
    recovery_code_used = "recovery_code_used"
    recovery_codes_issued = "recovery_codes_issued"
    security_key_added = "security_key_added"
    consent_granted = "consent_granted"
    logout = "logout"


class SecurityEvent(Base):
    """What happened to an account's security, shown to its owner ("new login from …")."""

    __tablename__ = "security_events"
    __table_args__ = (sa.Index("ix_security_events_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[SecurityEventKind] = mapped_column(enum_type(SecurityEventKind, 32))
    client_ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    detail: Mapped[str | None] = mapped_column(sa.String(300))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SecurityKey(Base):
    """A WebAuthn credential (a security key or platform authenticator) registered as a second factor."""

    __tablename__ = "oidc_security_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    credential_id: Mapped[str] = mapped_column(sa.String(1400), unique=True)  # base64url, at most 1023 bytes
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)  # COSE_Key
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    label: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
