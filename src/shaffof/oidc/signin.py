"""Signing in at an assurance level: password (``low``), a second factor (``substantial``), a signing
certificate on top (``high``); recovery codes; throttling by address; the person's security events.

Each step that raises the level replaces the browser session by a new one (``identity.rotate_session``), so a
session id observed before the step-up never carries the higher level. The amr values follow RFC 8176.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.canonical_json import canonicalize
from shaffof.db.uow import UnitOfWork
from shaffof.identity import service as identity
from shaffof.identity.errors import InvalidCredentials, TooManyLoginAttempts
from shaffof.identity.models import TokenKind
from shaffof.identity.passwords import Passwords
from shaffof.identity.service import LoginPolicy
from shaffof.oidc import security_keys
from shaffof.oidc.errors import SecondFactorRejected, SignatureProofRejected
from shaffof.oidc.models import (
    Assurance,
    RecoveryCode,
    SecurityEvent,
    SecurityEventKind,
    SecurityKey,
    SessionAssurance,
)
from shaffof.oidc.provider import digest, record_event
from shaffof.pki import stepup
from shaffof.pki._internal.sealing import Sealer
from shaffof.pki.errors import StepUpRequired
from shaffof.pki.models import TotpFactor
from shaffof.pki.service import Pki, verify_submission_jws

RECOVERY_CODES = 10
RECOVERY_CODE_BYTES = 10  # 80 bits, shown as 16 base32 characters in groups of four


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from, for throttling and for the person's security log."""

    ip: str | None
    user_agent: str | None


def _log(
    uow: UnitOfWork,
    account_id: int,
    kind: SecurityEventKind,
    now: dt.datetime,
    client: Client,
    detail: str | None = None,
    *,
    commit: bool = False,
) -> None:
    record_event(uow.session, account_id, kind, now, client_ip=client.ip, user_agent=client.user_agent, detail=detail)
    if commit:  # also for refusals: the operation fails, its trace in the security log stays
        uow.commit()


@dataclass(frozen=True)
class NewSession:
    secret: str
    token_id: int
    acr: Assurance
    has_second_factor: bool = False  # the next step towards ``substantial`` is available to this person


def has_second_factor(session: Session, account_id: int) -> bool:
    """A confirmed authenticator (TOTP) or a registered security key: the person can reach ``substantial``."""
    totp = session.get(TotpFactor, account_id)
    if totp is not None and totp.confirmed_at is not None:
        return True
    return session.scalar(sa.select(SecurityKey.id).where(SecurityKey.account_id == account_id).limit(1)) is not None


def password(
    uow: UnitOfWork,
    passwords: Passwords,
    policy: LoginPolicy,
    *,
    login_name: str,
    password_text: str,
    client: Client,
    max_failures_per_address: int,
    now: dt.datetime,
) -> NewSession:
    """Password sign-in: a new browser session at ``low``.

    Throttled per login (identity) and per address (here); the refusal is the same whatever the login, so
    neither the message nor the timing (the password hash is always computed) tells whether an account exists.
    """
    if client.ip is not None:
        failures = identity.failed_logins_from(uow.session, client.ip, now - policy.window)
        if failures >= max_failures_per_address:
            raise TooManyLoginAttempts(
                "Too many failed sign-in attempts from this address. Try again later.",
                retry_after=int(policy.window.total_seconds()),
            )
    try:
        issued = identity.login(
            uow,
            passwords,
            policy,
            login_name=login_name,
            password=password_text,
            kind=TokenKind.session,
            client_ip=client.ip,
        )
    except InvalidCredentials:
        # identity.login committed the failed attempt; the owner's security log gets it too.
        account = identity.find_account_by_login(uow.session, login_name)
        if account is not None:
            _log(uow, account.id, SecurityEventKind.login_failed, now, client, commit=True)
        raise
    active = identity.active_session(uow.session, issued.secret)
    assert active is not None
    uow.session.add(
        SessionAssurance(
            auth_token_id=active.token_id, acr=Assurance.low, amr=["pwd"], authenticated_at=now, last_seen_at=now
        )
    )
    second = has_second_factor(uow.session, active.actor.account_id)
    _log(uow, active.actor.account_id, SecurityEventKind.login, now, client, commit=True)
    return NewSession(issued.secret, active.token_id, Assurance.low, second)


def _raise_level(
    uow: UnitOfWork, secret: str, acr: Assurance, amr: list[str], now: dt.datetime, session_ttl: dt.timedelta
) -> NewSession:
    new_secret, token_id = identity.rotate_session(uow, secret, session_ttl)
    uow.session.add(SessionAssurance(auth_token_id=token_id, acr=acr, amr=amr, authenticated_at=now, last_seen_at=now))
    return NewSession(new_secret, token_id, acr)


def _current(uow: UnitOfWork, secret: str) -> tuple[identity.ActiveSession, SessionAssurance]:
    active = identity.active_session(uow.session, secret)
    assurance = uow.session.get(SessionAssurance, active.token_id) if active else None
    if active is None or assurance is None:
        raise InvalidCredentials("Sign in with your password first.")
    return active, assurance


def second_factor(
    uow: UnitOfWork,
    sealer: Sealer,
    *,
    secret: str,
    code: str,
    client: Client,
    now: dt.datetime,
    session_ttl: dt.timedelta,
) -> NewSession:
    """Raise a password session to ``substantial`` with a TOTP code (pki/stepup.py: single use, lockout)
    or, failing an authenticator, with one of the person's recovery codes."""
    active, assurance = _current(uow, secret)
    account_id = active.actor.account_id
    method, kind = _prove_second_factor(uow, sealer, account_id, code, client, now)
    amr = sorted({*assurance.amr, method, "mfa"})
    level = max(assurance.acr, Assurance.substantial, key=lambda a: a.rank)
    new = _raise_level(uow, secret, level, amr, now, session_ttl)
    _log(uow, account_id, kind, now, client, commit=True)
    return new


def token_second_factor(
    uow: UnitOfWork, sealer: Sealer, *, token_id: int, account_id: int, code: str, client: Client, now: dt.datetime
) -> Assurance:
    """An API token just issued by a password login reaches ``substantial`` with a second factor (the token
    is new, so there is no earlier id to rotate away); a wrong code raises and the caller revokes the token."""
    method, kind = _prove_second_factor(uow, sealer, account_id, code, client, now)
    amr = sorted({"pwd", method, "mfa"})
    uow.session.add(
        SessionAssurance(
            auth_token_id=token_id, acr=Assurance.substantial, amr=amr, authenticated_at=now, last_seen_at=now
        )
    )
    _log(uow, account_id, kind, now, client, "API token", commit=True)
    return Assurance.substantial


def _prove_second_factor(
    uow: UnitOfWork, sealer: Sealer, account_id: int, code: str, client: Client, now: dt.datetime
) -> tuple[str, SecurityEventKind]:
    """A TOTP code (single use, lockout) or an unused recovery code; the RFC 8176 method and the log entry."""
    code = code.strip().replace(" ", "").replace("-", "")
    if code.isdigit():
        try:
            stepup.use_code(uow, sealer, account_id, code, now)
        except StepUpRequired as error:
            _log(uow, account_id, SecurityEventKind.step_up_failed, now, client, commit=True)
            raise SecondFactorRejected(error.detail) from None
        method, kind = "otp", SecurityEventKind.step_up
    else:
        recovery = uow.session.scalar(
            sa.select(RecoveryCode)
            .where(RecoveryCode.account_id == account_id, RecoveryCode.code_hash == digest(code.upper()))
            .with_for_update()
        )
        if recovery is None or recovery.used_at is not None:
            _log(uow, account_id, SecurityEventKind.step_up_failed, now, client, "recovery code", commit=True)
            raise SecondFactorRejected("This recovery code is wrong or has been used already.")
        recovery.used_at = now
        method, kind = "kba", SecurityEventKind.recovery_code_used
    return method, kind


def security_key(
    uow: UnitOfWork,
    rp: security_keys.RelyingParty,
    *,
    secret: str,
    credential: str,
    secret_key: str,
    client: Client,
    now: dt.datetime,
    session_ttl: dt.timedelta,
) -> NewSession:
    """Raise a password session to ``substantial`` with a WebAuthn assertion of one of the person's keys."""
    active, assurance = _current(uow, secret)
    account_id = active.actor.account_id
    try:
        key = security_keys.authenticate(uow, rp, secret_key, secret, credential, now)
    except SecondFactorRejected:
        uow.rollback()
        _log(uow, account_id, SecurityEventKind.step_up_failed, now, client, "security key", commit=True)
        raise
    amr = sorted({*assurance.amr, "hwk", "mfa"})
    level = max(assurance.acr, Assurance.substantial, key=lambda a: a.rank)
    new = _raise_level(uow, secret, level, amr, now, session_ttl)
    _log(uow, account_id, SecurityEventKind.step_up, now, client, f"security key {key.label}", commit=True)
    return new


def signature_challenge(secret_key: str, token_id: int, issuer: str) -> dict[str, str]:
    """What a person signs to reach ``high``: bound to this session (its row id), so it is good once."""
    value = hmac.new(secret_key.encode(), f"shaffof/oidc/high/{token_id}".encode(), hashlib.sha256).hexdigest()
    return {"purpose": "shaffof-sign-in", "audience": issuer, "challenge": value}


def signature(
    uow: UnitOfWork,
    pki: Pki,
    *,
    secret: str,
    token: str,
    secret_key: str,
    issuer: str,
    client: Client,
    now: dt.datetime,
    session_ttl: dt.timedelta,
) -> NewSession:
    """Raise a ``substantial`` session to ``high`` with a JWS over the session's challenge, made with the
    person's signing certificate (ZRU-793): chain, validity, revocation and the PINFL are checked by the PKI."""
    active, assurance = _current(uow, secret)
    if assurance.acr.rank < Assurance.substantial.rank:
        raise SignatureProofRejected("Confirm your second factor first; a signature is the third step.")
    person_id = active.actor.person_id
    if person_id is None:
        raise SignatureProofRejected("Only a person with a signing certificate can reach the level 'high'.")
    pinfl = identity.get_person(uow.session, person_id).pinfl
    payload = canonicalize(signature_challenge(secret_key, active.token_id, issuer))
    result = verify_submission_jws(
        pki.verification_context(uow.session), token.strip(), pinfl, now, expected_payload=payload
    )
    if not result:
        _log(
            uow,
            active.actor.account_id,
            SecurityEventKind.step_up_failed,
            now,
            client,
            result.reason.value,
            commit=True,
        )
        raise SignatureProofRejected(f"The signed challenge was not accepted: {result.detail}")
    amr = sorted({*assurance.amr, "pop", "mfa"})
    new = _raise_level(uow, secret, Assurance.high, amr, now, session_ttl)
    _log(uow, active.actor.account_id, SecurityEventKind.step_up, now, client, "signing certificate", commit=True)
    return new


def issue_recovery_codes(uow: UnitOfWork, account_id: int, now: dt.datetime) -> list[str]:
    """Ten new one-time codes (shown once); earlier unused codes stop working."""
    uow.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base32(secrets.token_bytes(RECOVERY_CODE_BYTES))
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
        uow.session.add(RecoveryCode(account_id=account_id, code_hash=digest(raw), created_at=now))
    record_event(uow.session, account_id, SecurityEventKind.recovery_codes_issued, now)
    uow.commit()
    return codes


def base32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def events(uow: UnitOfWork, account_id: int, limit: int = 50) -> list[SecurityEvent]:
    return list(
        uow.session.scalars(
            sa.select(SecurityEvent)
            .where(SecurityEvent.account_id == account_id)
            .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
            .limit(limit)
        )
    )
