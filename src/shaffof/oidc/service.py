"""The provider's service: the operations views and commands call (one transaction each).

Protocol endpoints return Starlette responses made by Authlib (``_internal/server.py``); the browser steps
between them — sign-in, step-up, consent — are decided here and rendered by ``views.py``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from starlette.responses import Response

from shaffof.catalog import service as catalog
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork
from shaffof.errors import DomainError, Forbidden, NotFound, Unauthenticated
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import AuthToken
from shaffof.identity.passwords import Passwords
from shaffof.identity.policy import ensure_admin
from shaffof.identity.service import LoginPolicy
from shaffof.oidc import assurance, clients, keys, releases, security_keys, signin
from shaffof.oidc._internal.server import Server, StarletteOAuth2Request
from shaffof.oidc.errors import RateLimited
from shaffof.oidc.models import (
    Assurance,
    ClientKind,
    OidcClient,
    SecurityEvent,
    SecurityEventKind,
    SessionAssurance,
)
from shaffof.oidc.provider import OidcConfig, ProviderContext, SignedInUser, record_event, signed_in_user
from shaffof.oidc.scopes import ALL_SCOPES, PERSON_SCOPES, claims_for
from shaffof.oidc.upstream import Started, Upstream
from shaffof.pki.service import Pki


class InvalidToken(Unauthenticated):
    """RFC 6750 §3.1 ``invalid_token``: unknown, expired or revoked."""

    code = "invalid-token"
    title = "The access token is not valid"


class InsufficientScope(Forbidden):
    """RFC 6750 §3.1 ``insufficient_scope``."""

    code = "insufficient-scope"
    title = "The access token lacks a scope this call needs"


@dataclass(frozen=True)
class Respond:
    """Authlib's answer (a redirect to the client, or a protocol error) to send as it is."""

    response: Response


@dataclass(frozen=True)
class ShowError:
    """An error that must not be redirected (unknown client, unregistered redirect URI): shown to the person."""

    error: str
    description: str


@dataclass(frozen=True)
class NeedSignIn:
    level: Assurance
    current: Assurance | None
    authenticated_since: dt.datetime | None = None  # prompt=login / max_age: sign in again, from this instant


@dataclass(frozen=True)
class NeedConsent:
    client_name: str
    client_id: str
    scopes: list[str]
    claims: list[str]


AuthorizeOutcome = Respond | ShowError | NeedSignIn | NeedConsent


@dataclass(frozen=True)
class ApiPrincipal:
    """An agency system calling the API with a client-credentials token."""

    client_id: str
    agency_id: int
    scopes: frozenset[str]


@dataclass
class RateLimiter:
    """Per-client sliding window of one minute, in this process (docs/oidc.md: per process, by design)."""

    clock: Callable[[], float] = time.monotonic
    _calls: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str, per_minute: int) -> bool:
        now = self.clock()
        with self._lock:
            window = self._calls.setdefault(key, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= per_minute:
                return False
            window.append(now)
            return True


def reauthentication_since(parameters: dict[str, str], now: dt.datetime) -> dt.datetime | None:
    """OIDC Core §3.1.2.1: ``prompt=login`` asks for a new sign-in; ``max_age`` bounds the sign-in's age.

    The request the person returns to after signing in again carries neither (the view drops them), so the
    fresh sign-in is not asked for twice.
    """
    if "login" in (parameters.get("prompt") or "").split():
        return now
    max_age = parameters.get("max_age")
    if max_age is not None and max_age.isdigit():
        return now - dt.timedelta(seconds=int(max_age))
    return None


def required_level(client: OidcClient, acr_values: str | None) -> Assurance:
    """The higher of what the client registered and the first level it asks for in ``acr_values``."""
    level = client.required_acr
    for value in (acr_values or "").split():
        if value in Assurance.__members__:
            asked = Assurance(value)
            return asked if asked.rank > level.rank else level
    return level


class Oidc:
    def __init__(
        self,
        db: Database,
        pki: Pki,
        passwords: Passwords,
        login_policy: LoginPolicy,
        config: OidcConfig,
        *,
        secret_key: str,
        max_failures_per_address: int,
        upstream: Upstream | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        enforce_service_assurance: bool = True,
    ) -> None:
        self.db = db
        self.pki = pki
        self.passwords = passwords
        self.login_policy = login_policy
        self.config = config
        self.secret_key = secret_key
        self.max_failures_per_address = max_failures_per_address
        self.clock = clock
        self.rate_limiter = RateLimiter()
        self.upstream = upstream
        self.enforce_service_assurance = enforce_service_assurance

    # ---------------------------------------------------------------- discovery and keys
    def discovery(self) -> dict[str, Any]:
        """OpenID Connect Discovery 1.0 §3 metadata."""
        issuer = self.config.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "userinfo_endpoint": f"{issuer}/oauth/userinfo",
            "jwks_uri": f"{issuer}/oauth/jwks",
            "end_session_endpoint": f"{issuer}/oauth/end-session",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [level.value for level in Assurance],
            "claims_supported": sorted(
                {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", *claims_for(list(PERSON_SCOPES))}
            ),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "ui_locales_supported": ["uz", "ru", "en"],
        }

    def jwks(self) -> dict[str, Any]:
        with self.db.uow() as uow:
            context = self._context(uow)
            if keys.active_key(uow.session) is None:  # the first request publishes the first key
                context.signing_key()
                uow.commit()
            return {"keys": context.jwks()}

    def rotate_signing_key(self, actor: Actor | None) -> str:
        """A new signing key; the old one stays published until its tokens have expired. CLI: no actor."""
        if actor is not None:
            ensure_admin(actor)
        with self.db.uow() as uow:
            key = keys.rotate(uow.session, self.pki.keystore, self.clock(), self.config.longest_token_lifetime)
            kid = key.kid
            uow.commit()
        return kid

    def _context(
        self, uow: UnitOfWork, user: SignedInUser | None = None, session_secret: str | None = None
    ) -> ProviderContext:
        return ProviderContext(uow, self.config, self.pki.keystore, self.clock(), user, session_secret)

    # ---------------------------------------------------------------- authorization endpoint
    def authorize(self, request: StarletteOAuth2Request, session_secret: str | None) -> AuthorizeOutcome:
        """Validate the request; then sign-in, step-up or consent as needed; then the code (a redirect)."""
        return self._authorize(request, session_secret, None)

    def consent(self, request: StarletteOAuth2Request, session_secret: str | None, allow: bool) -> AuthorizeOutcome:
        """The person's answer on the consent screen: a code with the claims, or ``access_denied``."""
        return self._authorize(request, session_secret, allow)

    def _authorize(
        self, request: StarletteOAuth2Request, session_secret: str | None, consent: bool | None
    ) -> AuthorizeOutcome:
        with self.db.uow() as uow:
            user = signed_in_user(uow.session, session_secret, self.clock(), self.config)
            uow.commit()  # the session's last activity
            context = self._context(uow, user, session_secret)
            server = Server(context, ALL_SCOPES)
            try:
                grant = server.get_consent_grant(request, end_user=user)
            except OAuth2Error as error:
                return self._error(server, request, error)
            client: OidcClient = grant.client.row
            level = required_level(client, request.payload.data.get("acr_values"))
            if user is None or user.acr.rank < level.rank:
                if request.payload.data.get("prompt") == "none":
                    return self._error(server, request, LoginRequiredError(redirect_uri=request.payload.redirect_uri))
                return NeedSignIn(level, user.acr if user else None)
            since = reauthentication_since(request.payload.data, context.now)
            if since is not None and user.auth_time < since:
                return NeedSignIn(level, user.acr, context.now)
            scope = grant.request.scope
            if consent is None and context.missing_consent(user.account_id, client.client_id, scope):
                return NeedConsent(client.name, client.client_id, scope.split(), claims_for(scope.split()))
            if consent:
                context.record_consent(user.account_id, client.client_id, scope)
            granted_to = None if consent is False else user  # a denial answers access_denied
            response = server.create_authorization_response(request, grant_user=granted_to, grant=grant)
            uow.commit()
            return Respond(response)

    @staticmethod
    def _error(server: Server, request: StarletteOAuth2Request, error: OAuth2Error) -> AuthorizeOutcome:
        if error.redirect_uri:
            error.state = request.payload.state
            response: Response = server.handle_error_response(request, error)
            return Respond(response)
        return ShowError(error.error, error.description or error.error)

    # ---------------------------------------------------------------- token, userinfo, end-session
    def token(self, request: StarletteOAuth2Request) -> Response:
        with self.db.uow() as uow:
            context = self._context(uow)
            server = Server(context, ALL_SCOPES)
            response: Response = server.create_token_response(request)
            if response.status_code == 200:
                uow.commit()
            return response

    def revoke(self, request: StarletteOAuth2Request) -> Response:
        """RFC 7009 token revocation by the client the token was issued to."""
        with self.db.uow() as uow:
            server = Server(self._context(uow), ALL_SCOPES)
            response: Response = server.create_endpoint_response("revocation", request)
            if response.status_code == 200:
                uow.commit()
            return response

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """OIDC Core §5.3: the consented claims of the person the token was issued for."""
        with self.db.uow() as uow:
            context = self._context(uow)
            row = context.bearer(access_token)
            if row is None or row.account_id is None or "openid" not in row.scope.split():
                raise InvalidToken("The access token is unknown, expired, revoked or not for a person.")
            claims = context.claims(row.client_id, row.account_id, row.scope)
            client = context.active_client(row.client_id)
            if client is None:
                raise InvalidToken("The client this token was issued to is no longer registered.")
            releases.record_release(uow.session, client, row.account_id, claims, "userinfo", context.now)
            uow.commit()  # the access record exists before the claims leave
            return claims

    def end_session(self, request: StarletteOAuth2Request, session_secret: str | None) -> Response | None:
        """RP-initiated logout: ends the browser session; redirects only to a registered post-logout URI."""
        with self.db.uow() as uow:
            context = self._context(uow, None, session_secret)
            server = Server(context, ALL_SCOPES)
            try:
                validated = server.validate_endpoint_request("end_session", request)
            except OAuth2Error as error:
                return server.handle_error_response(request, error)  # type: ignore[no-any-return]
            if validated.needs_confirmation and request.method != "POST":
                return None  # no valid id_token_hint: the person confirms on our page first
            response: Response | None = server.create_endpoint_response("end_session", validated)
            uow.commit()
            return response

    # ---------------------------------------------------------------- agency API clients
    def api_principal(self, access_token: str, scope: str) -> ApiPrincipal:
        """The agency system behind a client-credentials token that carries ``scope``; rate-limited per client."""
        with self.db.uow() as uow:
            context = self._context(uow)
            row = context.bearer(access_token)
            client = context.active_client(row.client_id) if row is not None else None
            if row is None or client is None or client.kind is not ClientKind.service:
                raise InvalidToken("The access token is unknown, expired or revoked; get a new one at /oauth/token.")
            granted = frozenset(row.scope.split())
            if scope not in granted:
                raise InsufficientScope(f"This call needs the scope {scope!r}; the token has: {' '.join(granted)}.")
            if not self.rate_limiter.allow(client.client_id, client.rate_limit_per_minute):
                raise RateLimited(
                    f"More than {client.rate_limit_per_minute} requests a minute from this client; slow down.",
                    retry_after=60,
                )
            return ApiPrincipal(client.client_id, client.agency_id, granted)

    # ---------------------------------------------------------------- sign-in and step-up
    def sign_in(
        self, login_name: str, password: str, client: signin.Client, previous_session: str | None = None
    ) -> signin.NewSession:
        """A password sign-in; a session the browser had before is ended (a new session id at every sign-in)."""
        with self.db.uow() as uow:
            new = signin.password(
                uow,
                self.passwords,
                self.login_policy,
                login_name=login_name,
                password_text=password,
                client=client,
                max_failures_per_address=self.max_failures_per_address,
                now=self.clock(),
            )
            if previous_session:
                identity.logout(uow, previous_session)
            return new

    def raise_token_level(self, token_secret: str, code: str, client: signin.Client) -> Assurance:
        """A second factor given with an API login: the new token carries ``substantial``. A wrong code
        revokes the token before anyone has seen it (nothing usable is issued)."""
        with self.db.uow() as uow:
            token = uow.session.scalar(
                sa.select(AuthToken).where(AuthToken.token_hash == identity.token_hash(token_secret))
            )
            assert token is not None
            try:
                return signin.token_second_factor(
                    uow,
                    self.pki.sealer(),
                    token_id=token.id,
                    account_id=token.account_id,
                    code=code,
                    client=client,
                    now=self.clock(),
                )
            except DomainError:
                identity.logout(uow, token_secret)
                raise

    def step_up(self, session_secret: str, code: str, client: signin.Client) -> signin.NewSession:
        with self.db.uow() as uow:
            return signin.second_factor(
                uow,
                self.pki.sealer(),
                secret=session_secret,
                code=code,
                client=client,
                now=self.clock(),
                session_ttl=self.config.session_ttl,
            )

    def step_up_signature(self, session_secret: str, token: str, client: signin.Client) -> signin.NewSession:
        with self.db.uow() as uow:
            return signin.signature(
                uow,
                self.pki,
                secret=session_secret,
                token=token,
                secret_key=self.secret_key,
                issuer=self.config.issuer,
                client=client,
                now=self.clock(),
                session_ttl=self.config.session_ttl,
            )

    @property
    def relying_party(self) -> security_keys.RelyingParty:
        return security_keys.RelyingParty.of(self.config.issuer)

    def security_key_options(self, session_secret: str, purpose: str) -> str:
        """WebAuthn options (JSON) to register a key (``register``) or to step up with one (``authenticate``)."""
        with self.db.uow() as uow:
            if purpose == "register":
                return security_keys.registration_options(uow, self.relying_party, self.secret_key, session_secret)
            return security_keys.authentication_options(uow, self.relying_party, self.secret_key, session_secret)

    def register_security_key(self, session_secret: str, credential: str, label: str, client: signin.Client) -> None:
        with self.db.uow() as uow:
            now = self.clock()
            security_keys.register(uow, self.relying_party, self.secret_key, session_secret, credential, label, now)
            active = identity.active_session(uow.session, session_secret)
            assert active is not None
            record_event(
                uow.session,
                active.actor.account_id,
                SecurityEventKind.security_key_added,
                now,
                client_ip=client.ip,
                user_agent=client.user_agent,
                detail=label[:100] or None,
            )
            uow.commit()

    def step_up_security_key(self, session_secret: str, credential: str, client: signin.Client) -> signin.NewSession:
        with self.db.uow() as uow:
            return signin.security_key(
                uow,
                self.relying_party,
                secret=session_secret,
                credential=credential,
                secret_key=self.secret_key,
                client=client,
                now=self.clock(),
                session_ttl=self.config.session_ttl,
            )

    def signature_challenge(self, session_secret: str) -> dict[str, str] | None:
        with self.db.reading() as session:
            active = identity.active_session(session, session_secret)
        if active is None:
            return None
        return signin.signature_challenge(self.secret_key, active.token_id, self.config.issuer)

    def upstream_start(self, next_path: str) -> Started:
        if self.upstream is None:
            raise NotFound("No upstream identity provider is configured (SHAFFOF_UPSTREAM_OIDC_ISSUER).")
        return self.upstream.start(next_path, self.clock())

    def upstream_finish(self, callback_url: str, flow_cookie: str | None, client: signin.Client) -> tuple[str, str]:
        """The upstream provider sent the person back: a session here, matched by PINFL, and where to go."""
        if self.upstream is None:
            raise NotFound("No upstream identity provider is configured (SHAFFOF_UPSTREAM_OIDC_ISSUER).")
        with self.db.uow() as uow:
            return self.upstream.finish(
                uow, callback_url, flow_cookie, self.clock(), self.config.session_ttl, client.ip, client.user_agent
            )

    def session_actor(self, session_secret: str | None) -> Actor | None:
        """The account behind a valid browser session (for the person's own security page)."""
        if not session_secret:
            return None
        with self.db.reading() as session:
            active = identity.active_session(session, session_secret)
        return active.actor if active else None

    def page_actor(self, session_secret: str | None) -> Actor | None:
        """The account behind a portal page's session, or None when it has ended, expired (absolute limit) or
        lain idle past ``idle_timeout``. The last use is written at most once a minute (pages are many)."""
        if not session_secret:
            return None
        now = self.clock()
        with self.db.uow() as uow:
            active = identity.active_session(uow.session, session_secret)
            if active is None:
                return None
            assurance = uow.session.get(SessionAssurance, active.token_id)
            if assurance is not None:
                if assurance.last_seen_at + self.config.idle_timeout <= now:
                    return None
                if now - assurance.last_seen_at >= dt.timedelta(minutes=1):
                    assurance.last_seen_at = now
                    uow.commit()
            return active.actor

    def credential_level(self, secret: str | None) -> Assurance:
        """The level of a browser session or API token (``low`` when none was recorded: a password only)."""
        if not secret:
            return Assurance.low
        with self.db.reading() as session:
            token_id = session.scalar(
                sa.select(AuthToken.id).where(
                    AuthToken.token_hash == identity.token_hash(secret), AuthToken.revoked_at.is_(None)
                )
            )
            assurance = session.get(SessionAssurance, token_id) if token_id is not None else None
            return assurance.acr if assurance is not None else Assurance.low

    def service_level(self, service_code: str) -> Assurance:
        """The level the service's package declares for applications (``assurance_level``)."""
        with self.db.reading() as session:
            return Assurance(catalog.get_service(session, service_code).assurance_level.value)

    def ensure_service_level(self, secret: str | None, service_code: str) -> None:
        """Refuse an application made with a credential below the service's level (AssuranceTooLow)."""
        if self.enforce_service_assurance:
            assurance.ensure_level(self.service_level(service_code), self.credential_level(secret), service_code)

    def session_user(self, session_secret: str | None) -> SignedInUser | None:
        with self.db.uow() as uow:
            user = signed_in_user(uow.session, session_secret, self.clock(), self.config)
            uow.commit()
            return user

    def recovery_codes(self, actor: Actor, session_secret: str | None) -> list[str]:
        """New recovery codes, only from a session that just proved a second factor (not with a password only)."""
        user = self.session_user(session_secret)
        if user is None or user.account_id != actor.account_id or user.acr.rank < Assurance.substantial.rank:
            raise Forbidden("Confirm your second factor in this browser session first (sign-in at 'substantial').")
        with self.db.uow() as uow:
            return signin.issue_recovery_codes(uow, actor.account_id, self.clock())

    def has_second_factor(self, actor: Actor) -> bool:
        with self.db.reading() as session:
            return signin.has_second_factor(session, actor.account_id)

    def security_events(self, actor: Actor, limit: int = 50) -> list[SecurityEvent]:
        with self.db.uow() as uow:
            found = signin.events(uow, actor.account_id, limit)
            uow.session.expunge_all()
            return found

    # ---------------------------------------------------------------- administration
    def register_client(self, actor: Actor | None, registration: clients.ClientRegistration) -> clients.IssuedClient:
        """Administrators register clients (the CLI acts as the operator: no actor)."""
        if actor is not None:
            ensure_admin(actor)
        with self.db.uow() as uow:
            issued = clients.register(uow.session, registration, self.clock())
            uow.commit()
            uow.session.expunge(issued.client)
            return issued

    def rotate_client_secret(self, actor: Actor | None, client_id: str) -> clients.IssuedClient:
        if actor is not None:
            ensure_admin(actor)
        with self.db.uow() as uow:
            issued = clients.rotate_secret(uow.session, client_id, self.clock())
            uow.commit()
            uow.session.expunge(issued.client)
            return issued

    def list_clients(self, actor: Actor | None) -> list[OidcClient]:
        if actor is not None:
            ensure_admin(actor)
        with self.db.uow() as uow:
            rows = list(uow.session.scalars(sa.select(OidcClient).order_by(OidcClient.id)))
            uow.session.expunge_all()
            return rows
