"""Client registration by administrators: agency web applications and agency systems (API clients).

Redirect URIs are matched exactly (RFC 9700 §4.1.3): no wildcards, no prefix matching, no query tricks; an
``https`` URI is required except for loopback addresses (RFC 8252 §7.3, agencies' development set-ups).
Secrets are shown once and stored as SHA-256; rotation keeps the previous secret valid for a grace period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.errors import FieldError
from shaffof.oidc.errors import ClientNotFound, InvalidClientRegistration
from shaffof.oidc.models import Assurance, ClientKind, OidcClient
from shaffof.oidc.scopes import API_SCOPES, OPENID, PERSON_SCOPES

SECRET_ROTATION_GRACE = dt.timedelta(days=7)


@dataclass(frozen=True)
class ClientRegistration:
    name: str
    agency_id: int
    kind: ClientKind
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    required_acr: Assurance = Assurance.low
    rate_limit_per_minute: int = 600


@dataclass(frozen=True)
class IssuedClient:
    """The client's identifier and secret, returned once; only the secret's hash is kept."""

    client_id: str
    client_secret: str
    client: OidcClient


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_redirect_uri(uri: str, path: str) -> FieldError | None:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return FieldError(path, "is not a URL")
    if parts.fragment or "#" in uri:
        return FieldError(path, "must not contain a fragment (RFC 6749 §3.1.2)")
    if not parts.hostname:
        return FieldError(path, "must be an absolute URL with a host")
    if parts.scheme == "https":
        return None
    loopback = parts.hostname == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
    if parts.scheme == "http" and loopback:
        return None
    return FieldError(path, "must use https (plain http only for loopback addresses)")


def validate(registration: ClientRegistration) -> None:
    errors = []
    if not registration.name.strip():
        errors.append(FieldError("name", "must not be empty"))
    allowed = PERSON_SCOPES if registration.kind is ClientKind.web else API_SCOPES
    for index, scope in enumerate(registration.scopes):
        if scope not in allowed:
            errors.append(
                FieldError(
                    f"scopes/{index}",
                    f"unknown scope {scope!r} for a {registration.kind} client; known: {', '.join(allowed)}",
                )
            )
    if registration.kind is ClientKind.web:
        if not registration.redirect_uris:
            errors.append(FieldError("redirect_uris", "a web client needs at least one redirect URI"))
        if OPENID not in registration.scopes:
            errors.append(FieldError("scopes", "a web client needs the 'openid' scope"))
    elif registration.redirect_uris:
        errors.append(FieldError("redirect_uris", "a service client uses client credentials and has no redirect URI"))
    for field, uris in (
        ("redirect_uris", registration.redirect_uris),
        ("post_logout_redirect_uris", registration.post_logout_redirect_uris),
    ):
        for index, uri in enumerate(uris):
            problem = _check_redirect_uri(uri, f"{field}/{index}")
            if problem:
                errors.append(problem)
    if not 1 <= registration.rate_limit_per_minute <= 100_000:
        errors.append(FieldError("rate_limit_per_minute", "must be between 1 and 100000"))
    if errors:
        raise InvalidClientRegistration("The client cannot be registered; nothing was saved.", errors=errors)


def register(session: Session, registration: ClientRegistration, now: dt.datetime) -> IssuedClient:
    validate(registration)
    client_id = f"{registration.kind.value}-{secrets.token_hex(12)}"
    secret = secrets.token_urlsafe(32)
    client = OidcClient(
        client_id=client_id,
        name=registration.name.strip(),
        agency_id=registration.agency_id,
        kind=registration.kind,
        secret_hash=secret_hash(secret),
        redirect_uris=list(registration.redirect_uris),
        post_logout_redirect_uris=list(registration.post_logout_redirect_uris),
        scopes=list(dict.fromkeys(registration.scopes)),
        required_acr=registration.required_acr,
        rate_limit_per_minute=registration.rate_limit_per_minute,
        created_at=now,
    )
    session.add(client)
    session.flush()
    return IssuedClient(client_id=client_id, client_secret=secret, client=client)


def get(session: Session, client_id: str, *, for_update: bool = False) -> OidcClient:
    query = sa.select(OidcClient).where(OidcClient.client_id == client_id)
    if for_update:
        query = query.with_for_update()
    client = session.scalar(query)
    if client is None:
        raise ClientNotFound(f"No client {client_id!r} is registered.")
    return client


def find_active(session: Session, client_id: str) -> OidcClient | None:
    return session.scalar(
        sa.select(OidcClient).where(OidcClient.client_id == client_id, OidcClient.disabled_at.is_(None))
    )


def rotate_secret(session: Session, client_id: str, now: dt.datetime) -> IssuedClient:
    client = get(session, client_id, for_update=True)
    secret = secrets.token_urlsafe(32)
    client.previous_secret_hash = client.secret_hash
    client.previous_secret_expires_at = now + SECRET_ROTATION_GRACE
    client.secret_hash = secret_hash(secret)
    session.flush()
    return IssuedClient(client_id=client.client_id, client_secret=secret, client=client)


def secret_matches(client: OidcClient, secret: str, now: dt.datetime) -> bool:
    presented = secret_hash(secret)
    if hmac.compare_digest(presented, client.secret_hash):
        return True
    return (
        client.previous_secret_hash is not None
        and client.previous_secret_expires_at is not None
        and client.previous_secret_expires_at > now
        and hmac.compare_digest(presented, client.previous_secret_hash)
    )
