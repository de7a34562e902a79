"""The OpenID Connect provider's operations: one :class:`ProviderContext` (one transaction) per protocol request.

Authlib (``_internal/server.py``) validates the protocol; everything it stores or looks up goes through the
context below, and so do the decisions that are Shaffof's own: which session counts as signed in, the assurance
level a client needs, consent to the claims, the pairwise subject, what each claim contains.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import OAuth2Request
from sqlalchemy.orm import Session

from shaffof.db.uow import UnitOfWork
from shaffof.identity import service as identity
from shaffof.oidc import clients, keys, releases
from shaffof.oidc.models import (
    AccessToken,
    Assurance,
    AuthorizationCode,
    Consent,
    OidcClient,
    SecurityEvent,
    SecurityEventKind,
    SessionAssurance,
    SigningKey,
)
from shaffof.oidc.scopes import OPENID, PERSON_SCOPES, needing_consent
from shaffof.oidc.subject import pairwise_subject
from shaffof.pki.interfaces import KeyStore


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    pairwise_key: bytes
    access_token_ttl: dt.timedelta = dt.timedelta(minutes=10)
    id_token_ttl: dt.timedelta = dt.timedelta(minutes=10)
    code_ttl: dt.timedelta = dt.timedelta(seconds=60)
    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    session_ttl: dt.timedelta = dt.timedelta(hours=8)
    clock_skew: dt.timedelta = dt.timedelta(minutes=2)

    @property
    def longest_token_lifetime(self) -> dt.timedelta:
        return max(self.access_token_ttl, self.id_token_ttl) + self.clock_skew


@dataclass(frozen=True)
class SignedInUser:
    """A person signed in through a browser session, at an assurance level (the ``grant_user`` of Authlib)."""

    account_id: int
    person_id: int | None
    session_id: int
    acr: Assurance
    amr: tuple[str, ...]
    auth_time: dt.datetime


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class ProviderContext:
    """The storage and decisions behind one protocol request, inside one unit of work."""

    uow: UnitOfWork
    config: OidcConfig
    keystore: KeyStore
    now: dt.datetime
    user: SignedInUser | None = None
    session_secret: str | None = None
    ended_session: bool = field(default=False, init=False)

    @property
    def session(self) -> Session:
        return self.uow.session

    # ---------------------------------------------------------------- clients
    def active_client(self, client_id: str) -> OidcClient | None:
        return clients.find_active(self.session, client_id)

    def client_secret_matches(self, client: OidcClient, secret: str) -> bool:
        return clients.secret_matches(client, secret, self.now)

    # ---------------------------------------------------------------- codes
    def save_code(self, code: str, request: OAuth2Request) -> None:
        user: SignedInUser = request.user
        data = request.payload.data
        self.session.add(
            AuthorizationCode(
                code_hash=digest(code),
                client_id=request.client.get_client_id(),
                account_id=user.account_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                acr=user.acr,
                amr=list(user.amr),
                auth_time=user.auth_time,
                expires_at=self.now + self.config.code_ttl,
            )
        )
        self.session.flush()

    def redeemable_code(self, code: str, client: OidcClient) -> AuthorizationCode | None:
        row = self.session.scalar(
            sa.select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code)).with_for_update()
        )
        if row is None or row.client_id != client.client_id:
            return None
        if row.used_at is not None:
            # RFC 6749 §4.1.2: a code used twice is a sign of theft; revoke what the first use issued.
            self.session.execute(
                sa.update(AccessToken)
                .where(AccessToken.authorization_code_id == row.id, AccessToken.revoked_at.is_(None))
                .values(revoked_at=self.now)
            )
            self.uow.commit()
            return None
        if row.expires_at <= self.now:
            return None
        return row

    def spend_code(self, row: AuthorizationCode) -> None:
        row.used_at = self.now

    def user_of_code(self, row: AuthorizationCode) -> SignedInUser:
        account = identity.get_account(self.session, row.account_id)
        return SignedInUser(
            account_id=account.id,
            person_id=account.person_id,
            session_id=0,
            acr=row.acr,
            amr=tuple(row.amr),
            auth_time=row.auth_time,
        )

    def nonce_seen(self, client_id: str, nonce: str) -> bool:
        return (
            self.session.scalar(
                sa.select(AuthorizationCode.id)
                .where(AuthorizationCode.client_id == client_id, AuthorizationCode.nonce == nonce)
                .limit(1)
            )
            is not None
        )

    # ---------------------------------------------------------------- tokens
    def generate_token(
        self,
        grant_type: str,
        client: Any,
        user: SignedInUser | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        lifetime = int(self.config.access_token_ttl.total_seconds())
        # Only registered scopes; a client-credentials request without a scope gets all of its client's.
        granted = client.get_allowed_scope(scope)
        return {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(32),
            "expires_in": lifetime,
            "scope": granted,
        }

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        user: SignedInUser | None = request.user
        code = getattr(request, "authorization_code", None)
        self.session.add(
            AccessToken(
                token_hash=digest(token["access_token"]),
                client_id=request.client.get_client_id(),
                account_id=user.account_id if user else None,
                authorization_code_id=code.row.id if code is not None else None,
                scope=token.get("scope", ""),
                acr=user.acr if user else None,
                issued_at=self.now,
                expires_at=self.now + dt.timedelta(seconds=int(token["expires_in"])),
            )
        )
        self.session.flush()

    def subject(self, client_id: str, account_id: int) -> str:
        return pairwise_subject(self.config.pairwise_key, client_id, account_id)

    def claims(self, client_id: str, account_id: int, scope: str) -> dict[str, Any]:
        """The claims of the scopes granted: ``sub`` always; profile, e-mail and PINFL only as consented."""
        account = identity.get_account(self.session, account_id)
        granted = scope.split()
        result: dict[str, Any] = {"sub": self.subject(client_id, account_id)}
        if account.person_id is not None and ("profile" in granted or "pinfl" in granted):
            person = identity.get_person(self.session, account.person_id)
            if "profile" in granted:
                result.update(
                    name=person.full_name,
                    family_name=person.last_name,
                    given_name=person.first_name,
                    birthdate=person.birth_date.isoformat(),
                    gender="male" if person.sex.value == "M" else "female",
                )
                if person.patronymic:
                    result["middle_name"] = person.patronymic
            if "pinfl" in granted:
                result["pinfl"] = person.pinfl
        if "email" in granted and account.email:
            result["email"] = account.email
        return result

    def signing_key(self) -> SigningKey:
        key = keys.active_key(self.session)
        return key if key is not None else keys.create_key(self.session, self.keystore, self.now)

    def id_token(self, token: dict[str, Any], client: OidcClient, code: AuthorizationCode) -> str:
        now = int(self.now.timestamp())
        claims = self.claims(client.client_id, code.account_id, code.scope)
        releases.record_release(self.session, client, code.account_id, claims, "ID token", self.now)
        claims.update(
            iss=self.config.issuer,
            aud=client.client_id,
            iat=now,
            exp=now + int(self.config.id_token_ttl.total_seconds()),
            auth_time=int(code.auth_time.timestamp()),
            acr=code.acr.value,
            amr=list(code.amr),
            at_hash=keys.left_half_hash(token["access_token"]),
        )
        if code.nonce:
            claims["nonce"] = code.nonce
        return keys.sign_jwt(self.session, self.keystore, self.signing_key(), claims)

    def jwks(self) -> list[dict[str, Any]]:
        return keys.published(self.session, self.now)

    def token_row(self, access_token: str) -> AccessToken | None:
        return self.session.scalar(sa.select(AccessToken).where(AccessToken.token_hash == digest(access_token)))

    def bearer(self, access_token: str) -> AccessToken | None:
        """A token that is valid now: known, not revoked, not expired."""
        row = self.token_row(access_token)
        if row is None or row.revoked_at is not None or row.expires_at <= self.now:
            return None
        return row

    def revoke(self, row: AccessToken) -> None:
        if row.revoked_at is None:
            row.revoked_at = self.now

    # ---------------------------------------------------------------- browser sessions and consent
    def end_browser_session(self) -> None:
        if self.session_secret:
            identity.logout(self.uow, self.session_secret)
            self.ended_session = True

    def consented(self, account_id: int, client_id: str) -> set[str]:
        row = self.session.get(Consent, (account_id, client_id))
        return set(row.scopes) if row is not None else set()

    def missing_consent(self, account_id: int, client_id: str, scope: str) -> list[str]:
        return [s for s in needing_consent(scope.split()) if s not in self.consented(account_id, client_id)]

    def record_consent(self, account_id: int, client_id: str, scope: str) -> None:
        wanted = [s for s in scope.split() if s in PERSON_SCOPES and s != OPENID]
        row = self.session.get(Consent, (account_id, client_id))
        if row is None:
            self.session.add(Consent(account_id=account_id, client_id=client_id, scopes=wanted, granted_at=self.now))
        else:
            row.scopes = sorted(set(row.scopes) | set(wanted))
            row.granted_at = self.now
        record_event(self.session, account_id, SecurityEventKind.consent_granted, self.now, detail=client_id)


def signed_in_user(session: Session, secret: str | None, now: dt.datetime, config: OidcConfig) -> SignedInUser | None:
    """The person behind a session cookie, if the session is valid, not idle too long, and has an assurance."""
    if not secret:
        return None
    active = identity.active_session(session, secret)
    if active is None:
        return None
    assurance = session.get(SessionAssurance, active.token_id)
    if assurance is None or assurance.last_seen_at + config.idle_timeout <= now:
        return None  # idle timeout: the absolute one is the session's own expiry
    assurance.last_seen_at = now
    return SignedInUser(
        account_id=active.actor.account_id,
        person_id=active.actor.person_id,
        session_id=active.token_id,
        acr=assurance.acr,
        amr=tuple(assurance.amr),
        auth_time=assurance.authenticated_at,
    )


def record_event(
    session: Session,
    account_id: int,
    kind: SecurityEventKind,
    now: dt.datetime,
    *,
    client_ip: str | None = None,
    user_agent: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        SecurityEvent(
            account_id=account_id,
            kind=kind,
            client_ip=client_ip,
            user_agent=(user_agent or "")[:300] or None,
            detail=detail,
            at=now,
        )
    )
