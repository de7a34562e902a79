"""Sign-in through an upstream OpenID Connect provider (the national identity provider in production).

Shaffof is then a relying party: authorization code flow with PKCE (S256), ``state`` and ``nonce``; the ID token
is verified with joserfc against the upstream JWKS (signature, ``iss``, ``aud``, ``exp``, ``nonce``); the person
is matched by the PINFL in a verified claim — never by name or e-mail — and gets a browser session at the
assurance level configured for that provider (it cannot be higher than what the provider asserts in ``acr``).

The flow's secrets (state, nonce, PKCE verifier, where to go next) travel in a short-lived cookie sealed with
HMAC-SHA-256 under the secret key: nothing is stored before the person comes back.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from shaffof.db.uow import UnitOfWork
from shaffof.errors import Unauthenticated
from shaffof.identity import service as identity
from shaffof.identity.pinfl import InvalidPinfl, parse
from shaffof.oidc.models import Assurance, SecurityEventKind, SessionAssurance
from shaffof.oidc.provider import record_event

FLOW_LIFETIME = dt.timedelta(minutes=10)
HTTP_TIMEOUT = 10.0


class UpstreamRefused(Unauthenticated):
    code = "upstream-sign-in-refused"
    title = "Sign-in through the identity provider failed"


@dataclass(frozen=True)
class UpstreamConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str
    pinfl_claim: str
    acr: Assurance


@dataclass(frozen=True)
class Started:
    authorization_url: str
    flow_cookie: str


class Upstream:
    def __init__(self, config: UpstreamConfig, secret_key: str, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._key = hmac.new(secret_key.encode(), b"shaffof/oidc/upstream-flow", hashlib.sha256).digest()
        self._transport = transport

    def _http(self) -> httpx.Client:
        return httpx.Client(timeout=HTTP_TIMEOUT, transport=self._transport)

    def _metadata(self) -> dict[str, Any]:
        with self._http() as http:
            response = http.get(f"{self.config.issuer}/.well-known/openid-configuration")
        if response.status_code != 200:
            raise UpstreamRefused("The identity provider did not answer; try again later or sign in with a password.")
        metadata: dict[str, Any] = response.json()
        if metadata.get("issuer") != self.config.issuer:
            raise UpstreamRefused("The identity provider's metadata names another issuer; sign-in refused.")
        return metadata

    def _client(self) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            redirect_uri=self.config.redirect_uri,
            scope=self.config.scope,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
            transport=self._transport,
        )

    def _seal(self, flow: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def _open(self, cookie: str | None, now: dt.datetime) -> dict[str, Any]:
        body, _, mac = (cookie or "").partition(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        if not body or not hmac.compare_digest(mac, expected):
            raise UpstreamRefused("The sign-in was not started in this browser, or took too long; start again.")
        flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body))
        if flow["expires"] < now.timestamp():
            raise UpstreamRefused("The sign-in took too long; start again.")
        return flow

    def start(self, next_path: str, now: dt.datetime) -> Started:
        metadata = self._metadata()
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        with self._client() as client:
            url, state = client.create_authorization_url(
                metadata["authorization_endpoint"],
                code_verifier=verifier,
                nonce=nonce,
                acr_values=self.config.acr.value,
            )
        flow = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": next_path,
            "expires": (now + FLOW_LIFETIME).timestamp(),
        }
        return Started(url, self._seal(flow))

    def finish(
        self,
        uow: UnitOfWork,
        callback_url: str,
        flow_cookie: str | None,
        now: dt.datetime,
        session_ttl: dt.timedelta,
        client_ip: str | None,
        user_agent: str | None,
    ) -> tuple[str, str]:
        """Exchange the code, verify the ID token, match the person; a new session's secret and where to go."""
        flow = self._open(flow_cookie, now)
        metadata = self._metadata()
        with self._client() as client:
            client.state = flow["state"]
            try:
                tokens = client.fetch_token(
                    metadata["token_endpoint"],
                    authorization_response=callback_url,
                    code_verifier=flow["verifier"],
                    state=flow["state"],
                )
            except Exception as error:  # Authlib raises its OAuth errors, httpx its transport errors
                raise UpstreamRefused(f"The identity provider refused the sign-in: {error}") from None
            keys = KeySet.import_key_set(client.get(metadata["jwks_uri"]).json())
        claims = self._verified(tokens.get("id_token", ""), keys, flow["nonce"], now)
        pinfl = str(claims.get(self.config.pinfl_claim, ""))
        try:
            pinfl = parse(pinfl).value
        except InvalidPinfl:
            raise UpstreamRefused("The identity provider did not release a valid PINFL; sign-in refused.") from None
        account = identity.citizen_account_by_pinfl(uow.session, pinfl)
        if account is None:
            raise UpstreamRefused("No Shaffof account belongs to this person; ask a service centre to enrol you.")
        level = self._level(claims.get("acr"))
        secret, token_id = identity.open_session(uow, account.id, session_ttl)
        amr = sorted({"fed", *[str(m) for m in claims.get("amr", []) if isinstance(m, str)]})
        uow.session.add(
            SessionAssurance(auth_token_id=token_id, acr=level, amr=amr, authenticated_at=now, last_seen_at=now)
        )
        record_event(
            uow.session,
            account.id,
            SecurityEventKind.login,
            now,
            client_ip=client_ip,
            user_agent=user_agent,
            detail=f"via {self.config.issuer}",
        )
        uow.commit()
        return secret, str(flow["next"])

    def _verified(self, id_token: str, keys: KeySet, nonce: str, now: dt.datetime) -> dict[str, Any]:
        try:
            token = jwt.decode(id_token, keys, algorithms=["ES256", "RS256", "EdDSA"])
            jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                leeway=60,
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as error:
            raise UpstreamRefused(f"The identity provider's ID token was not accepted: {error}") from None
        return dict(token.claims)

    def _level(self, asserted: Any) -> Assurance:
        """The configured level, capped by what the provider asserts (an unknown ``acr`` counts as ``low``)."""
        claimed = Assurance(asserted) if asserted in Assurance.__members__ else Assurance.low
        return claimed if claimed.rank < self.config.acr.rank else self.config.acr
