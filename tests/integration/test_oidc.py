"""The OpenID Connect provider driven as agencies drive it: Authlib's OAuth2 client runs the code flow with PKCE
against a live uvicorn server on loopback, knowing only the discovery URL; a browser (httpx, no JavaScript)
signs in with password and TOTP and consents; joserfc checks the ID token against the published JWKS. The
refusals the issue lists are each checked to issue nothing. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import cbor2
import httpx
import pyotp
import pytest
import sqlalchemy as sa
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from pydantic import SecretStr

from shaffof.canonical_json import canonicalize
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.oidc.models import AccessToken, AuthorizationCode
from shaffof.pki.signing.jws import sign_submission
from shaffof.platform import Platform
from shaffof.privacy.models import AccessRecord
from shaffof.web.app import create_app
from tests.conftest import SERVICES
from tests.factories import PASSWORD, World
from tests.integration.test_live import free_port, serving
from tests.integration.test_pki_cloud import Clock

REDIRECT = "https://portal.toshhok.example/callback"
LOGOUT = "https://portal.toshhok.example/bye"


@dataclass
class Provider:
    base: str
    platform: Platform
    clock: Clock
    admin: dict[str, str]

    def register(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": "Toshkent hokimligi portali",
            "agency": "TOSHHOK",
            "kind": "web",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [LOGOUT],
            "scopes": ["openid", "profile", "pinfl"],
        }
        body.update(overrides)
        response = httpx.post(f"{self.base}/api/v1/admin/oidc/clients", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def enrol_totp(self, login: str) -> pyotp.TOTP:
        headers = bearer(self.base, login)
        started = httpx.post(f"{self.base}/api/v1/auth/totp/enrol", headers=headers)
        assert started.status_code in (200, 201), started.text
        totp = pyotp.TOTP(started.json()["secret"])
        confirmed = httpx.post(
            f"{self.base}/api/v1/auth/totp/confirm", json={"code": totp.at(self.clock.now)}, headers=headers
        )
        assert confirmed.status_code in (200, 204), confirmed.text
        self.clock.step()
        return totp


def bearer(base: str, login: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def provider_app(settings: Settings, database: Database, base: str, **overrides: Any) -> FastAPI:
    update = {"oidc_issuer": base, "public_url": base, "cookie_secure": False, **overrides}
    return create_app(settings.model_copy(update=update), db=database)


@pytest.fixture
def provider(settings: Settings, database: Database, world: World) -> Iterator[Provider]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = provider_app(settings, database, base)
    platform: Platform = app.state.platform
    clock = Clock()
    platform.oidc.clock = clock
    platform.pki.clock = clock
    with serving(app, port):
        yield Provider(base, platform, clock, bearer(base, "admin"))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden field {name!r} in the page"
    return html.unescape(found.group(1))


class Browser:
    """A person's browser without JavaScript: follows redirects on this server, fills forms."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=30)

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects on this server; stop at a page, or at a redirect to another site (the RP)."""
        while response.status_code in (302, 303) and response.headers["location"].startswith(
            ("/", str(self.http.base_url))
        ):
            response = self.http.get(response.headers["location"])
        return response

    def submit(self, page: httpx.Response, fields: dict[str, str]) -> httpx.Response:
        form = {name: hidden(page.text, name) for name in ("csrf", "step", "next", "level", "since", "lang")}
        return self.follow(self.http.post("/oauth/sign-in", data={**form, **fields}))

    def sign_in(self, start: httpx.Response, login: str, totp: pyotp.TOTP | None, clock: Clock) -> httpx.Response:
        page = self.follow(start)
        assert 'name="step" value="password"' in page.text, page.text
        page = self.submit(page, {"login": login, "password": PASSWORD})
        if totp is not None and 'name="step" value="second_factor"' in page.text:
            page = self.submit(page, {"code": totp.at(clock.now)})
            clock.step()
        return page

    def consent(self, page: httpx.Response, decision: str = "allow") -> httpx.Response:
        params = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        params = {k: html.unescape(v) for k, v in params.items()}
        params["decision"] = decision
        return self.http.post("/oauth/authorize", data=params)


def relying_party(provider: Provider, client: dict[str, Any], scope: str = "openid profile pinfl") -> OAuth2Client:
    return OAuth2Client(
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uri=REDIRECT,
        scope=scope,
        code_challenge_method="S256",
    )


def discover(base: str) -> dict[str, Any]:
    metadata = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert isinstance(metadata, dict)
    return metadata


def verify_id_token(
    metadata: dict[str, Any], id_token: str, client_id: str, nonce: str, *, at: dt.datetime
) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    token = jwt.decode(id_token, keys, algorithms=["ES256"])
    jwt.JWTClaimsRegistry(
        now=int(at.timestamp()),
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)


@dataclass
class Flow:
    rp: OAuth2Client
    url: str
    verifier: str
    nonce: str
    state: str


def start_flow(rp: OAuth2Client, metadata: dict[str, Any], **extra: str) -> Flow:
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
    )
    return Flow(rp, url, verifier, nonce, state)


def callback_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return location


def test_an_agency_app_with_only_the_discovery_url_signs_a_citizen_in_with_totp(provider: Provider) -> None:
    client = provider.register(required_acr="substantial")
    totp = provider.enrol_totp("alice")
    metadata = discover(provider.base)
    assert metadata["issuer"] == provider.base and metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["pairwise"]

    rp = relying_party(provider, client)
    flow = start_flow(rp, metadata)
    browser = Browser(provider.base)
    page = browser.sign_in(browser.get(flow.url), "alice", totp, provider.clock)
    # The consent screen lists the claims, with the PINFL under its own scope and the legal ground.
    assert page.status_code == 200 and "JShShIR" in page.text and "(pinfl)" in page.text and "ZRU-547" in page.text
    callback = callback_of(browser.consent(page))
    assert parse_qs(urlsplit(callback).query)["state"] == [flow.state]

    tokens = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier)
    claims = verify_id_token(metadata, tokens["id_token"], client["client_id"], flow.nonce, at=provider.clock.now)
    assert claims["acr"] == "substantial" and {"pwd", "otp", "mfa"} <= set(claims["amr"])
    assert claims["pinfl"] == provider_pinfl(provider, "alice") and claims["family_name"] == "Karimova"

    provider.clock.step(1)  # the test's clock stands still: a second later, so the two releases are ordered by time
    info = rp.get(metadata["userinfo_endpoint"])
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]
    assert info.json()["pinfl"] == claims["pinfl"]
    # Each release is in alice's data tracker: which agency got which claims, on her consent.
    with provider.platform.db.reading() as session:
        released = session.scalars(
            sa.select(AccessRecord).where(AccessRecord.subject_pinfl == claims["pinfl"]).order_by(AccessRecord.at)
        ).all()
    assert [r.purpose for r in released] == [
        "sign-in to Toshkent hokimligi portali (ID token)",
        "sign-in to Toshkent hokimligi portali (userinfo)",
    ]
    assert all(r.legal_ground.value == "consent" and "pinfl" in r.categories for r in released)

    # A second agency sees another subject for the same person (pairwise), and no PINFL it did not ask for.
    other = provider.register(name="Adliya", agency="ADLIYA", scopes=["openid"])
    rp2 = relying_party(provider, other, scope="openid")
    flow2 = start_flow(rp2, metadata)
    callback2 = callback_of(browser.follow(browser.get(flow2.url)))  # signed in already; nothing to consent
    tokens2 = rp2.fetch_token(
        metadata["token_endpoint"], authorization_response=callback2, code_verifier=flow2.verifier
    )
    claims2 = verify_id_token(metadata, tokens2["id_token"], other["client_id"], flow2.nonce, at=provider.clock.now)
    assert claims2["sub"] != claims["sub"] and "pinfl" not in claims2


def provider_pinfl(provider: Provider, login: str) -> str:
    with provider.platform.db.reading() as session:
        from shaffof.identity.models import Account, Person

        return str(
            session.scalar(
                sa.select(Person.pinfl).join(Account, Account.person_id == Person.id).where(Account.login == login)
            )
        )


def issued_counts(provider: Provider) -> tuple[int, int]:
    with provider.platform.db.reading() as session:
        codes = session.scalar(sa.select(sa.func.count()).select_from(AuthorizationCode)) or 0
        tokens = session.scalar(sa.select(sa.func.count()).select_from(AccessToken)) or 0
    return codes, tokens


def signed_in_browser(provider: Provider, client: dict[str, Any]) -> tuple[Browser, dict[str, Any]]:
    metadata = discover(provider.base)
    browser = Browser(provider.base)
    flow = start_flow(relying_party(provider, client), metadata)
    page = browser.sign_in(browser.get(flow.url), "alice", None, provider.clock)
    browser.consent(page)
    return browser, metadata


def error_of(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)


def test_authorization_requests_without_pkce_s256_or_nonce_or_with_an_unregistered_uri_issue_nothing(
    provider: Provider,
) -> None:
    client = provider.register()
    browser, _ = signed_in_browser(provider, client)
    before = issued_counts(provider)
    challenge = create_s256_code_challenge(secrets.token_urlsafe(48))
    base = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s1",
        "nonce": secrets.token_urlsafe(8),
    }
    no_pkce = browser.get("/oauth/authorize?" + httpx.QueryParams(base).__str__())
    assert error_of(no_pkce)["error"] == ["invalid_request"] and error_of(no_pkce)["state"] == ["s1"]
    plain = browser.get(
        "/oauth/authorize?"
        + str(httpx.QueryParams({**base, "code_challenge": challenge, "code_challenge_method": "plain"}))
    )
    assert error_of(plain)["error"] == ["invalid_request"]
    no_nonce = {k: v for k, v in base.items() if k != "nonce"}
    missing_nonce = browser.get(
        "/oauth/authorize?"
        + str(httpx.QueryParams({**no_nonce, "code_challenge": challenge, "code_challenge_method": "S256"}))
    )
    assert error_of(missing_nonce)["error"] == ["invalid_request"]
    # A redirect URI that differs in anything from the registered one is refused on our page, never redirected to.
    for uri in (REDIRECT + "/", REDIRECT + "?x=1", "https://evil.example/callback", REDIRECT.upper()):
        wrong = browser.get(
            "/oauth/authorize?"
            + str(
                httpx.QueryParams(
                    {**base, "redirect_uri": uri, "code_challenge": challenge, "code_challenge_method": "S256"}
                )
            )
        )
        assert wrong.status_code == 400 and "location" not in wrong.headers and "redirect" in wrong.text.lower()
    assert issued_counts(provider) == before


def code_for(
    provider: Provider, client: dict[str, Any], browser: Browser, metadata: dict[str, Any]
) -> tuple[Flow, str]:
    flow = start_flow(relying_party(provider, client), metadata)
    return flow, callback_of(browser.follow(browser.get(flow.url)))


def test_wrong_or_missing_verifier_and_a_reused_code_are_refused_and_the_reuse_revokes(provider: Provider) -> None:
    client = provider.register()
    browser, metadata = signed_in_browser(provider, client)
    token_url = metadata["token_endpoint"]

    flow, callback = code_for(provider, client, browser, metadata)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    auth = (client["client_id"], client["client_secret"])
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    wrong = httpx.post(token_url, data={**form, "code_verifier": secrets.token_urlsafe(48)}, auth=auth)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = httpx.post(token_url, data=form, auth=auth)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert issued_counts(provider)[1] == 0

    first = httpx.post(token_url, data={**form, "code_verifier": flow.verifier}, auth=auth)
    assert first.status_code == 200, first.text
    access = first.json()["access_token"]
    assert httpx.get(metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"}).status_code == 200
    again = httpx.post(token_url, data={**form, "code_verifier": flow.verifier}, auth=auth)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    revoked = httpx.get(metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"})
    assert revoked.status_code == 401 and 'error="invalid_token"' in revoked.headers["www-authenticate"]

    # The wrong client secret, or another client's code: invalid_client / invalid_grant.
    _, callback2 = code_for(provider, client, browser, metadata)
    code2 = parse_qs(urlsplit(callback2).query)["code"][0]
    bad_secret = httpx.post(token_url, data={**form, "code": code2}, auth=(client["client_id"], "nope"))
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"


def test_expired_and_tampered_tokens_are_refused(provider: Provider) -> None:
    client = provider.register()
    browser, metadata = signed_in_browser(provider, client)
    flow, callback = code_for(provider, client, browser, metadata)
    rp = flow.rp
    tokens = rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier)
    id_token = tokens["id_token"]
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    keys = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{forged_payload}.{signature}", keys, algorithms=["ES256"])
    # A nonce other than the one the RP sent is detected by the RP.
    with pytest.raises(Exception, match="nonce"):
        verify_id_token(metadata, id_token, client["client_id"], "another-nonce", at=provider.clock.now)

    userinfo = metadata["userinfo_endpoint"]
    access = tokens["access_token"]
    tampered = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    assert httpx.get(userinfo, headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    provider.clock.step(11 * 60)  # past the 10-minute lifetime
    expired = httpx.get(userinfo, headers={"Authorization": f"Bearer {access}"})
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"


def test_a_reused_nonce_is_refused(provider: Provider) -> None:
    client = provider.register()
    browser, metadata = signed_in_browser(provider, client)
    rp = relying_party(provider, client)
    verifier = secrets.token_urlsafe(48)
    url, _ = rp.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce="n-1")
    callback_of(browser.follow(browser.get(url)))
    url2, _ = rp.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce="n-1")
    assert error_of(browser.follow(browser.get(url2)))["error"] == ["invalid_request"]


def test_wrong_totp_and_reused_recovery_code_do_not_step_up(provider: Provider) -> None:
    client = provider.register(required_acr="substantial")
    totp = provider.enrol_totp("alice")
    metadata = discover(provider.base)
    browser = Browser(provider.base)
    flow = start_flow(relying_party(provider, client), metadata)
    page = browser.sign_in(browser.get(flow.url), "alice", None, provider.clock)
    assert 'value="second_factor"' in page.text
    wrong = f"{(int(totp.at(provider.clock.now)) + 1) % 1_000_000:06d}"
    refused = browser.submit(page, {"code": wrong})
    assert refused.status_code == 401 and 'aria-invalid="true"' in refused.text
    assert issued_counts(provider) == (0, 0)

    # With a code, recovery codes can be made (shown once); each works once.
    stepped = browser.submit(refused, {"code": totp.at(provider.clock.now)})
    provider.clock.step()
    session = browser.http.cookies.get("shaffof_session")
    codes = browser.http.post(
        "/api/v1/auth/recovery-codes",
        headers={"X-CSRF-Token": csrf_of(provider, session)},
    )
    assert codes.status_code == 200, codes.text
    recovery = codes.json()["recovery_codes"]
    assert len(recovery) == 10 and stepped.status_code in (200, 302)

    fresh = Browser(provider.base)
    flow2 = start_flow(relying_party(provider, client), metadata)
    page2 = fresh.sign_in(fresh.get(flow2.url), "alice", None, provider.clock)
    consent = fresh.submit(page2, {"code": recovery[0]})
    assert consent.status_code == 200 and "decision" in consent.text  # signed in at substantial: consent next

    third = Browser(provider.base)
    flow3 = start_flow(relying_party(provider, client), metadata)
    page3 = third.sign_in(third.get(flow3.url), "alice", None, provider.clock)
    reused = third.submit(page3, {"code": recovery[0]})
    assert reused.status_code == 401 and "used" in reused.text

    events = httpx.get(f"{provider.base}/api/v1/me/security-events", headers=bearer(provider.base, "alice")).json()
    kinds = [e["kind"] for e in events]
    assert {"login", "step_up", "step_up_failed", "recovery_code_used", "recovery_codes_issued"} <= set(kinds)
    assert all(e["client_ip"] == "127.0.0.1" for e in events if e["kind"] == "login")


def csrf_of(provider: Provider, session_secret: str | None) -> str:
    from shaffof.web.deps import csrf_token

    return csrf_token(provider.platform.settings.secret_key, session_secret or "")


def test_step_up_to_high_needs_a_signature_with_the_persons_certificate(provider: Provider) -> None:
    from tests.integration.test_signed_submission import certify

    provider.platform.pki.initialise()
    client = provider.register(required_acr="high")
    totp = provider.enrol_totp("alice")
    with httpx.Client(base_url=provider.base) as api:
        key, chain = certify(api, bearer(provider.base, "alice"))  # type: ignore[arg-type]
    metadata = discover(provider.base)
    browser = Browser(provider.base)
    flow = start_flow(relying_party(provider, client), metadata)
    page = browser.sign_in(browser.get(flow.url), "alice", totp, provider.clock)
    assert 'value="signature"' in page.text
    challenge = json.loads(html.unescape(re.search(r'<pre id="challenge">(.*?)</pre>', page.text, re.S).group(1)))

    wrong_content = sign_submission({**challenge, "challenge": "0" * 64}, key, chain, provider.clock.now)
    refused = browser.submit(page, {"signature": wrong_content})
    assert refused.status_code == 401 and issued_counts(provider) == (0, 0)

    signed = sign_submission(challenge, key, chain, provider.clock.now)
    consent = browser.submit(refused, {"signature": signed})
    callback = callback_of(browser.consent(consent))
    tokens = flow.rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier
    )
    claims = verify_id_token(metadata, tokens["id_token"], client["client_id"], flow.nonce, at=provider.clock.now)
    assert claims["acr"] == "high" and "pop" in claims["amr"]
    assert canonicalize(challenge)  # the challenge is JSON the person can sign with any JWS tool


def test_denied_consent_returns_access_denied_and_issues_nothing(provider: Provider) -> None:
    client = provider.register()
    metadata = discover(provider.base)
    browser = Browser(provider.base)
    flow = start_flow(relying_party(provider, client), metadata)
    page = browser.sign_in(browser.get(flow.url), "alice", None, provider.clock)
    denied = browser.consent(page, "deny")
    assert error_of(denied)["error"] == ["access_denied"] and issued_counts(provider) == (0, 0)


def test_client_credentials_with_scopes_and_refusals(provider: Provider) -> None:
    system = provider.register(kind="service", redirect_uris=[], post_logout_redirect_uris=[], scopes=["catalog.read"])
    metadata = discover(provider.base)
    auth = (system["client_id"], system["client_secret"])
    wrong_scope = httpx.post(
        metadata["token_endpoint"], data={"grant_type": "client_credentials", "scope": "cases.read"}, auth=auth
    )
    assert wrong_scope.status_code == 400 and wrong_scope.json()["error"] == "invalid_scope"
    code_grant = httpx.post(
        metadata["token_endpoint"], data={"grant_type": "authorization_code", "code": "x"}, auth=auth
    )
    assert code_grant.status_code == 400 and code_grant.json()["error"] == "unauthorized_client"
    assert issued_counts(provider) == (0, 0)

    granted = httpx.post(metadata["token_endpoint"], data={"grant_type": "client_credentials"}, auth=auth)
    assert granted.status_code == 200 and granted.json()["scope"] == "catalog.read"
    access = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    services = httpx.get(f"{provider.base}/api/v1/agency/services", headers=access)
    assert services.status_code == 200 and services.json()
    assert httpx.get(metadata["userinfo_endpoint"], headers=access).status_code == 401  # not a person's token

    # A person's token (a web client's) does not carry the API scope.
    web = provider.register()
    browser, _ = signed_in_browser(provider, web)
    flow, callback = code_for(provider, web, browser, metadata)
    tokens = flow.rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier
    )
    person_token = {"Authorization": f"Bearer {tokens['access_token']}"}
    refused = httpx.get(f"{provider.base}/api/v1/agency/services", headers=person_token)
    assert refused.status_code == 401

    # RFC 7009: only the client a token was issued to can revoke it; then it is refused everywhere.
    other_client = (web["client_id"], web["client_secret"])
    foreign = httpx.post(
        metadata["revocation_endpoint"], data={"token": granted.json()["access_token"]}, auth=other_client
    )
    assert (
        foreign.status_code == 400
        and httpx.get(f"{provider.base}/api/v1/agency/services", headers=access).status_code == 200
    )
    revoked = httpx.post(metadata["revocation_endpoint"], data={"token": granted.json()["access_token"]}, auth=auth)
    assert revoked.status_code == 200
    assert httpx.get(f"{provider.base}/api/v1/agency/services", headers=access).status_code == 401

    # Rotation: a new secret works at once, the old one during the grace period.
    rotated = httpx.post(
        f"{provider.base}/api/v1/admin/oidc/clients/{system['client_id']}/secret", headers=provider.admin
    )
    assert rotated.status_code == 200
    for secret in (rotated.json()["client_secret"], system["client_secret"]):
        again = httpx.post(
            metadata["token_endpoint"], data={"grant_type": "client_credentials"}, auth=(system["client_id"], secret)
        )
        assert again.status_code == 200


def test_per_client_rate_limit(provider: Provider) -> None:
    system = provider.register(
        kind="service", redirect_uris=[], post_logout_redirect_uris=[], scopes=["catalog.read"], rate_limit_per_minute=3
    )
    granted = httpx.post(
        f"{provider.base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(system["client_id"], system["client_secret"]),
    )
    access = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    statuses = [httpx.get(f"{provider.base}/api/v1/agency/services", headers=access).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_registration_is_for_administrators_and_bad_input_names_the_field(provider: Provider) -> None:
    url = f"{provider.base}/api/v1/admin/oidc/clients"
    body = {"name": "X", "agency": "TOSHHOK", "kind": "web", "scopes": ["openid"]}
    officer = httpx.post(
        url, json={**body, "redirect_uris": [REDIRECT]}, headers=bearer(provider.base, "toshhok.officer")
    )
    assert officer.status_code == 403
    bad = httpx.post(
        url,
        json={
            **body,
            "redirect_uris": ["http://portal.example/cb", "https://ok.example/cb#frag"],
            "scopes": ["openid", "root"],
        },
        headers=provider.admin,
    )
    assert bad.status_code == 422
    paths = {e["path"] for e in bad.json()["errors"]}
    assert {"redirect_uris/0", "redirect_uris/1", "scopes/1"} <= paths
    listed = httpx.get(url, headers=provider.admin).json()
    assert listed == []  # nothing saved


def test_signing_key_rotation_keeps_the_old_key_published_until_its_tokens_expire(provider: Provider) -> None:
    client = provider.register()
    browser, metadata = signed_in_browser(provider, client)
    flow, callback = code_for(provider, client, browser, metadata)
    old = flow.rp.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier)
    old_kid = jwt.decode(old["id_token"], KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())).header["kid"]

    rotated = httpx.post(f"{provider.base}/api/v1/admin/oidc/keys/rotate", headers=provider.admin)
    assert rotated.status_code == 200 and rotated.json()["kid"] != old_kid
    published = {k["kid"] for k in httpx.get(metadata["jwks_uri"]).json()["keys"]}
    assert published == {old_kid, rotated.json()["kid"]}
    verify_id_token(metadata, old["id_token"], client["client_id"], flow.nonce, at=provider.clock.now)  # still valid

    flow2, callback2 = code_for(provider, client, browser, metadata)
    new = flow2.rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback2, code_verifier=flow2.verifier
    )
    assert (
        jwt.decode(new["id_token"], KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())).header["kid"]
        == rotated.json()["kid"]
    )

    provider.clock.step(13 * 60)  # past the longest token lifetime and the clock skew
    assert {k["kid"] for k in httpx.get(metadata["jwks_uri"]).json()["keys"]} == {rotated.json()["kid"]}


def test_end_session_with_a_hint_signs_out_and_redirects_only_to_a_registered_uri(provider: Provider) -> None:
    client = provider.register()
    browser, metadata = signed_in_browser(provider, client)
    flow, callback = code_for(provider, client, browser, metadata)
    tokens = flow.rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier
    )
    end = metadata["end_session_endpoint"]
    unregistered = browser.get(
        end
        + "?"
        + str(
            httpx.QueryParams(
                {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
            )
        )
    )
    assert "evil.example" not in unregistered.headers.get("location", "")
    browser2, _ = signed_in_browser(provider, client)
    flow2, callback2 = code_for(provider, client, browser2, metadata)
    tokens2 = flow2.rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback2, code_verifier=flow2.verifier
    )
    out = browser2.get(
        end
        + "?"
        + str(
            httpx.QueryParams(
                {"id_token_hint": tokens2["id_token"], "post_logout_redirect_uri": LOGOUT, "state": "bye"}
            )
        )
    )
    assert out.status_code == 302 and out.headers["location"] == LOGOUT + "?state=bye"
    again = browser2.follow(browser2.get(start_flow(relying_party(provider, client), metadata).url))
    assert 'value="password"' in again.text  # the session is gone


def error_text(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" id="[a-z_]+-error">(.*?)</p>', page.text, re.S)
    return found.group(1) if found else ""


def test_throttling_per_address_says_the_same_for_every_login(provider: Provider) -> None:
    browser = Browser(provider.base)
    page = browser.get("/oauth/sign-in?next=/&lang=en")
    answers: dict[str, set[tuple[int, str]]] = {}
    for login in ("alice", "nobody-here", "bob", "12345678901234"):
        for _ in range(4):
            page = browser.submit(page, {"login": login, "password": "wrong password"})
            answers.setdefault(login, set()).add((page.status_code, error_text(page)))
    # No account enumeration: an existing and an unknown login get the same answer.
    assert answers["alice"] == answers["nobody-here"] == {(401, "The login or the password is wrong.")}
    for login in ("carol", "dave", "alice"):  # 16 failures so far; the address limit is 20
        page = browser.submit(page, {"login": login, "password": "wrong password"})
    page = browser.submit(page, {"login": "eve", "password": "wrong password"})
    page = browser.submit(page, {"login": "bob", "password": PASSWORD})
    assert page.status_code == 429 and "address" in error_text(page)  # even the right password, from here
    assert "Retry-After" in page.headers


def test_sign_in_through_an_upstream_shaffof_matches_the_person_by_pinfl(
    provider: Provider, settings: Settings, tmp_path: Path
) -> None:
    """``provider`` plays the national identity provider; a second Shaffof, on its own database, signs alice
    in through it and then serves its own relying party."""
    from shaffof.db import migrate

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    registered = provider.register(
        name="Shaffof (tuman)",
        redirect_uris=[f"{base}/oauth/upstream/callback"],
        post_logout_redirect_uris=[],
        scopes=["openid", "pinfl"],
    )
    totp = provider.enrol_totp("alice")
    url = f"sqlite:///{tmp_path / 'downstream.db'}"
    migrate.upgrade(url)
    downstream_db = Database(url)
    app = provider_app(
        settings.model_copy(update={"data_dir": tmp_path / "downstream"}),
        downstream_db,
        base,
        upstream_oidc_issuer=provider.base,
        upstream_oidc_client_id=registered["client_id"],
        upstream_oidc_client_secret=SecretStr(registered["client_secret"]),
    )
    World.build(app.state.platform, SERVICES)  # the same demo citizens, with the same PINFLs
    app.state.platform.oidc.clock = provider.clock
    try:
        with serving(app, port):
            downstream = Provider(base, app.state.platform, provider.clock, bearer(base, "admin"))
            client = downstream.register(scopes=["openid", "profile"])
            metadata = discover(base)
            flow = start_flow(relying_party(downstream, client, scope="openid profile"), metadata)
            here, national = Browser(base), Browser(provider.base)
            page = here.follow(here.get(flow.url))
            link = html.unescape(re.search(r'href="(/oauth/upstream/start[^"]*)"', page.text).group(1))
            to_national = here.get(link)
            assert to_national.status_code == 303 and to_national.headers["location"].startswith(provider.base)

            # A forged return (another state) is refused and opens no session.
            forged = here.get("/oauth/upstream/callback?code=x&state=forged")
            assert forged.status_code == 401 and "shaffof_session" not in here.http.cookies

            at_national = national.sign_in(national.get(to_national.headers["location"]), "alice", totp, provider.clock)
            back = national.consent(at_national)
            assert back.status_code == 302 and back.headers["location"].startswith(f"{base}/oauth/upstream/callback")
            consent = here.follow(here.get(back.headers["location"]))
            callback = callback_of(here.consent(consent))
            tokens = flow.rp.fetch_token(
                metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier
            )
            claims = verify_id_token(
                metadata, tokens["id_token"], client["client_id"], flow.nonce, at=provider.clock.now
            )
            assert claims["acr"] == "substantial" and "fed" in claims["amr"] and claims["family_name"] == "Karimova"

            # The callback cannot be replayed: its code is spent at the national provider.
            replay = Browser(base)
            assert replay.get(back.headers["location"]).status_code == 401
    finally:
        downstream_db.dispose()


def test_the_security_page_enrols_an_authenticator_by_qr_code_and_shows_recovery_codes_once(provider: Provider) -> None:
    browser = Browser(provider.base)
    page = browser.sign_in(browser.get("/oauth/sign-in?next=/account"), "bob", None, provider.clock)
    assert page.status_code == 200 and "Xavfsizlik hodisalari" in page.text and "127.0.0.1" in page.text
    enrol = browser.http.post("/oauth/security/totp", data={"csrf": hidden(page.text, "csrf")})
    assert enrol.status_code == 200 and 'src="data:image/svg+xml' in enrol.text
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", enrol.text).group(1)
    totp = pyotp.TOTP(secret)
    wrong = browser.http.post(
        "/oauth/security/totp/confirm", data={"csrf": hidden(enrol.text, "csrf"), "code": "000000"}
    )
    assert wrong.status_code == 401 and 'role="alert"' in wrong.text
    confirmed = browser.http.post(
        "/oauth/security/totp/confirm", data={"csrf": hidden(enrol.text, "csrf"), "code": totp.at(provider.clock.now)}
    )
    assert confirmed.status_code == 200 and "Autentifikator ulandi" in confirmed.text
    provider.clock.step()
    # Recovery codes need a session that proved the second factor, not the password alone.
    too_low = browser.http.post("/oauth/security/recovery-codes", data={"csrf": hidden(confirmed.text, "csrf")})
    assert too_low.status_code == 403
    step_up = browser.follow(browser.get("/oauth/sign-in?level=substantial&next=/account"))
    page = browser.submit(step_up, {"code": totp.at(provider.clock.now)})
    codes = browser.http.post("/oauth/security/recovery-codes", data={"csrf": hidden(page.text, "csrf")})
    assert codes.status_code == 200
    assert len(re.findall(r"<li><code>[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}</code></li>", codes.text)) == 10
    forged = browser.http.post("/oauth/security/recovery-codes", data={"csrf": "forged"})
    assert forged.status_code == 403


def test_prompt_login_and_max_age_make_a_signed_in_person_sign_in_again(provider: Provider) -> None:
    client = provider.register()
    browser, metadata = signed_in_browser(provider, client)
    signed_in_at = provider.clock.now
    provider.clock.step(120)
    # max_age larger than the sign-in's age: no new sign-in.
    flow = start_flow(relying_party(provider, client), metadata, max_age="600")
    callback_of(browser.follow(browser.get(flow.url)))
    for extra in ({"prompt": "login"}, {"max_age": "60"}):
        provider.clock.step(120)  # the last sign-in is two minutes old
        before = browser.http.cookies.get("shaffof_session")
        flow = start_flow(relying_party(provider, client), metadata, **extra)
        page = browser.follow(browser.get(flow.url))
        assert 'name="step" value="password"' in page.text, extra
        provider.clock.step()
        callback = callback_of(browser.submit(page, {"login": "alice", "password": PASSWORD}))
        tokens = flow.rp.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=flow.verifier
        )
        claims = verify_id_token(metadata, tokens["id_token"], client["client_id"], flow.nonce, at=provider.clock.now)
        assert claims["auth_time"] > int(signed_in_at.timestamp())
        signed_in_at = provider.clock.now
        # The new sign-in replaced the session: the old cookie no longer signs anyone in.
        stale = Browser(provider.base)
        stale.http.cookies.set("shaffof_session", before or "")
        assert stale.get("/account").status_code == 303


class SoftwareAuthenticator:
    """A FIDO2 authenticator in software (P-256, 'none' attestation), answering as a browser would."""

    def __init__(self, origin: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.origin = origin
        self.rp_id = urlsplit(origin).hostname or ""
        self.counter = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        self.counter += 1
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + self.counter.to_bytes(4, "big") + attested

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cose
        auth_data = self._auth_data(0x41, attested)  # user present, attested credential data
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)},
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        auth_data = self._auth_data(0x01)
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": options["challenge"], "origin": origin or self.origin}
        ).encode()
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
            },
            "clientExtensionResults": {},
        }


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_security_key_is_a_second_factor_and_a_wrong_origin_is_refused(provider: Provider) -> None:
    client = provider.register(required_acr="substantial")
    totp = provider.enrol_totp("alice")
    metadata = discover(provider.base)
    key = SoftwareAuthenticator(provider.base)
    # Registration needs a session that proved a second factor.
    browser = Browser(provider.base)
    flow = start_flow(relying_party(provider, client), metadata)
    page = browser.sign_in(browser.get(flow.url), "alice", totp, provider.clock)
    headers = {"X-CSRF-Token": csrf_of(provider, browser.http.cookies.get("shaffof_session"))}
    options = browser.http.post("/oauth/security-keys/options", json={"purpose": "register"}, headers=headers)
    assert options.status_code == 200, options.text
    assert options.json()["rp"]["id"] == "127.0.0.1"
    added = browser.http.post(
        "/oauth/security-keys", json={"credential": key.create(options.json()), "label": "YubiKey"}, headers=headers
    )
    assert added.status_code == 204, added.text
    no_csrf = browser.http.post("/oauth/security-keys/options", json={"purpose": "register"})
    assert no_csrf.status_code == 403

    # A new sign-in: password, then the key instead of a code.
    other = Browser(provider.base)
    flow2 = start_flow(relying_party(provider, client), metadata)
    page = other.sign_in(other.get(flow2.url), "alice", None, provider.clock)
    assert 'data-security-key="authenticate"' in page.text and "/static/security-keys.js" in page.text
    headers = {"X-CSRF-Token": csrf_of(provider, other.http.cookies.get("shaffof_session"))}
    options = other.http.post("/oauth/security-keys/options", json={"purpose": "authenticate"}, headers=headers).json()
    phished = other.http.post(
        "/oauth/sign-in/security-key",
        json={"credential": key.get(options, origin="https://shaffof-login.example"), "next": "/"},
        headers=headers,
    )
    assert phished.status_code == 401 and issued_counts(provider) == (0, 0)
    answer = other.http.post(
        "/oauth/sign-in/security-key",
        json={"credential": key.get(options), "next": page.url.raw_path.decode()},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    consent = other.follow(other.get(answer.json()["next"]))
    callback = callback_of(other.consent(consent))
    tokens = flow2.rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=flow2.verifier
    )
    claims = verify_id_token(metadata, tokens["id_token"], client["client_id"], flow2.nonce, at=provider.clock.now)
    assert claims["acr"] == "substantial" and "hwk" in claims["amr"]


def test_sign_in_never_redirects_off_site_and_only_our_form_signs_out(provider: Provider) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\t/evil.example", "/\\evil.example"):
        browser = Browser(provider.base)
        page = browser.get("/oauth/sign-in?" + str(httpx.QueryParams({"next": target})))
        form = {name: hidden(page.text, name) for name in ("csrf", "step", "next", "level", "since", "lang")}
        done = browser.http.post("/oauth/sign-in", data={**form, "login": "alice", "password": PASSWORD})
        assert done.status_code == 303
        assert browser.follow(done).url.host == "127.0.0.1"
        assert browser.get(done.headers["location"]).headers["location"] == "/", target
    # Another site's form cannot sign the person out: without an id_token_hint our CSRF token is required.
    forged = browser.http.post("/oauth/end-session", data={})
    assert forged.status_code == 403
    assert browser.get("/account").status_code == 200  # still signed in
    page = browser.get("/oauth/end-session")
    out = browser.http.post("/oauth/end-session", data={"csrf": hidden(page.text, "csrf")})
    assert out.status_code == 200 and browser.get("/account").status_code == 303
