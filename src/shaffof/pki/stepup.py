"""Step-up authentication for cloud signing: TOTP (RFC 6238) codes that are each good for one act.

ZRU-793 allows keys kept by the platform ("cloud signature") only with multi-factor authentication. A signed-in
session is one factor; each signing act must also present a fresh code from the holder's authenticator app.
A code is accepted for its 30-second step and one step either side (clock drift), and never twice: the last
used step is stored, so a code seen by someone else is worthless afterwards. Five wrong codes lock the factor
for fifteen minutes; the failures are committed even though the operation they belong to fails.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

import pyotp

from shaffof.db.uow import UnitOfWork
from shaffof.pki._internal.sealing import Sealer
from shaffof.pki.errors import StepUpLocked, StepUpRequired, TotpAlreadyEnrolled, TotpNotEnrolled
from shaffof.pki.models import TotpFactor

ISSUER = "Shaffof"
STEP_SECONDS = 30
DIGITS = 6
ACCEPTED_DRIFT_STEPS = 1
MAX_FAILURES = 5
LOCK_DURATION = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Enrolment:
    """Shown once: the secret for the authenticator app (as text and as an ``otpauth://`` URI for a QR code)."""

    secret: str
    otpauth_uri: str


def _label(account_id: int) -> str:
    return f"totp/{account_id}"


def enrol(uow: UnitOfWork, sealer: Sealer, account_id: int, account_name: str, now: dt.datetime) -> Enrolment:
    """Start (or restart, while unconfirmed) enrolment; a confirmed factor is never replaced this way."""
    factor = uow.session.get(TotpFactor, account_id, with_for_update=True)
    if factor is not None and factor.confirmed_at is not None:
        raise TotpAlreadyEnrolled(
            "A second factor is already confirmed for this account; ask an administrator to reset it if it is lost."
        )
    secret = pyotp.random_base32()
    sealed = sealer.seal(_label(account_id), secret.encode())
    if factor is None:
        uow.session.add(TotpFactor(account_id=account_id, sealed_secret=sealed, created_at=now))
    else:
        factor.sealed_secret, factor.failed_attempts, factor.locked_until = sealed, 0, None
        factor.last_used_step, factor.created_at = None, now
    uow.commit()
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account_name, issuer_name=ISSUER
    )
    return Enrolment(secret=secret, otpauth_uri=uri)


def confirm(uow: UnitOfWork, sealer: Sealer, account_id: int, code: str, now: dt.datetime) -> None:
    """Confirm enrolment with a first code from the app."""
    factor = use_code(uow, sealer, account_id, code, now, require_confirmed=False)
    if factor.confirmed_at is None:
        factor.confirmed_at = now
    uow.commit()


def use_code(
    uow: UnitOfWork,
    sealer: Sealer,
    account_id: int,
    code: str,
    now: dt.datetime,
    *,
    require_confirmed: bool = True,
) -> TotpFactor:
    """Spend one code in the caller's transaction; on a wrong code the failure is committed and raised."""
    factor = uow.session.get(TotpFactor, account_id, with_for_update=True)
    if factor is None or (require_confirmed and factor.confirmed_at is None):
        raise TotpNotEnrolled(
            "Enrol an authenticator app first: POST /api/v1/auth/totp/enrol, then /api/v1/auth/totp/confirm."
        )
    if factor.locked_until is not None and factor.locked_until > now:
        raise StepUpLocked(
            f"Too many wrong codes; try again after {factor.locked_until:%H:%M} UTC.",
            retry_after=int((factor.locked_until - now).total_seconds()) + 1,
        )
    totp = pyotp.TOTP(
        sealer.open(_label(account_id), factor.sealed_secret).decode(), digits=DIGITS, interval=STEP_SECONDS
    )
    current = int(now.timestamp()) // STEP_SECONDS
    matched = None
    for step in range(current - ACCEPTED_DRIFT_STEPS, current + ACCEPTED_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            matched = step
    if matched is not None and (factor.last_used_step is None or matched > factor.last_used_step):
        factor.last_used_step = matched
        factor.failed_attempts = 0
        factor.locked_until = None
        return factor
    factor.failed_attempts += 1
    if factor.failed_attempts >= MAX_FAILURES:
        factor.failed_attempts, factor.locked_until = 0, now + LOCK_DURATION
    uow.commit()
    if matched is not None:
        raise StepUpRequired("This code has been used already; wait for the next code of your authenticator app.")
    raise StepUpRequired(
        "The second-factor code is wrong or too old; enter the current code of your authenticator app."
    )
