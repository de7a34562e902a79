"""WebAuthn security keys as a second factor (W3C Web Authentication Level 2, py_webauthn for the checks).

A key is one more way to reach ``substantial`` (amr ``hwk``), beside the TOTP app that works without JavaScript.
Registering a key needs a session that already proved a second factor, so a stolen password cannot add one.

Challenges are not stored: each is an HMAC of the browser session's row id and the purpose under the secret
key. A session is replaced as soon as it steps up, so a challenge is answered at most once for a sign-in; for a
registration a replay could only register the same key again, which the unique credential id refuses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from shaffof.db.uow import UnitOfWork
from shaffof.identity import service as identity
from shaffof.oidc.errors import SecondFactorRejected
from shaffof.oidc.models import Assurance, SecurityKey, SessionAssurance


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser talks to: the id is the issuer's host name, the origin its scheme://host[:port]."""

    id: str
    name: str
    origin: str

    @classmethod
    def of(cls, issuer: str) -> RelyingParty:
        parts = urlsplit(issuer)
        return cls(id=parts.hostname or "localhost", name="Shaffof", origin=f"{parts.scheme}://{parts.netloc}")


def challenge(secret_key: str, token_id: int, purpose: str) -> bytes:
    return hmac.new(secret_key.encode(), f"shaffof/webauthn/{purpose}/{token_id}".encode(), hashlib.sha256).digest()


def _session(uow: UnitOfWork, secret: str) -> tuple[identity.ActiveSession, SessionAssurance]:
    active = identity.active_session(uow.session, secret)
    assurance = uow.session.get(SessionAssurance, active.token_id) if active else None
    if active is None or assurance is None:
        raise SecondFactorRejected("Sign in with your password first.")
    return active, assurance


def _keys(uow: UnitOfWork, account_id: int) -> list[SecurityKey]:
    return list(uow.session.scalars(sa.select(SecurityKey).where(SecurityKey.account_id == account_id)))


def registration_options(uow: UnitOfWork, rp: RelyingParty, secret_key: str, secret: str) -> str:
    active, assurance = _session(uow, secret)
    if assurance.acr.rank < Assurance.substantial.rank:
        raise SecondFactorRejected("Confirm your authenticator code first; then you can add a security key.")
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=active.actor.display_name,
        user_id=str(active.actor.account_id).encode(),
        challenge=challenge(secret_key, active.token_id, "register"),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_decode(k.credential_id)) for k in _keys(uow, active.actor.account_id)
        ],
    )
    return options_to_json(options)


def register(
    uow: UnitOfWork, rp: RelyingParty, secret_key: str, secret: str, credential: str, label: str, now: dt.datetime
) -> None:
    active, assurance = _session(uow, secret)
    if assurance.acr.rank < Assurance.substantial.rank:
        raise SecondFactorRejected("Confirm your authenticator code first; then you can add a security key.")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge(secret_key, active.token_id, "register"),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError) as error:
        raise SecondFactorRejected(f"The security key's answer was not accepted: {error}") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if uow.session.scalar(sa.select(SecurityKey.id).where(SecurityKey.credential_id == credential_id)) is not None:
        raise SecondFactorRejected("This security key is registered already.")
    uow.session.add(
        SecurityKey(
            account_id=active.actor.account_id,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            label=(label.strip() or "security key")[:100],
            created_at=now,
        )
    )


def authentication_options(uow: UnitOfWork, rp: RelyingParty, secret_key: str, secret: str) -> str:
    active, _ = _session(uow, secret)
    keys = _keys(uow, active.actor.account_id)
    if not keys:
        raise SecondFactorRejected("No security key is registered for this account; use your authenticator code.")
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge(secret_key, active.token_id, "authenticate"),
        allow_credentials=[PublicKeyCredentialDescriptor(id=_decode(k.credential_id)) for k in keys],
    )
    return options_to_json(options)


def authenticate(
    uow: UnitOfWork, rp: RelyingParty, secret_key: str, secret: str, credential: str, now: dt.datetime
) -> SecurityKey:
    """Check an assertion of one of the account's keys; the key's signature counter must move forward."""
    active, _ = _session(uow, secret)
    try:
        credential_id = str(json.loads(credential)["id"])
    except (ValueError, KeyError, TypeError):
        raise SecondFactorRejected("The security key's answer is not a WebAuthn credential.") from None
    key = uow.session.scalar(
        sa.select(SecurityKey)
        .where(SecurityKey.credential_id == credential_id, SecurityKey.account_id == active.actor.account_id)
        .with_for_update()
    )
    if key is None:
        raise SecondFactorRejected("This security key is not registered for this account.")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge(secret_key, active.token_id, "authenticate"),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError) as error:
        raise SecondFactorRejected(f"The security key's answer was not accepted: {error}") from None
    key.sign_count = verified.new_sign_count
    key.last_used_at = now
    return key


def _decode(value: str) -> bytes:
    return base64url_to_bytes(value)
