"""The OpenID Connect provider's requests, beside the framework's near-empty request measured in the same run.

What is timed (one process, in-process ASGI through Starlette's TestClient on a migrated SQLite file; interleaved
rounds; per-request medians of the rounds):

  baseline        GET /healthz — routing, middleware, JSON: the floor every request pays
  discovery       GET /.well-known/openid-configuration
  authorize       GET /oauth/authorize for a signed-in person who consented: validation (Authlib), the session's
                  assurance, the code row — answered with a 302 to the client
  token (code)    POST /oauth/token, authorization_code + PKCE: client authentication, the code spent, the access
                  token row, the ES256 ID token signed through the key store
  token (client)  POST /oauth/token, client_credentials
  api call        GET /api/v1/agency/services with a client-credentials token (scope check, rate limit)
  userinfo        GET /oauth/userinfo (scope profile): the claims, the person's data-tracker access record and
                  its ledger leaf, one commit
  userinfo (sub)  the same with scope openid only: no personal claim, so no access record — the release's cost
                  is the difference of the two rows
  sign primitive  one ECDSA P-256 signature (pyca/cryptography) — against ``id-token sign``, keys.sign_jwt alone

    .venv/bin/python bench/oidc.py [--rounds R] [--requests N]
"""

from __future__ import annotations

import argparse
import html
import re
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
warnings.filterwarnings("ignore")

from authlib.oauth2.rfc7636 import create_s256_code_challenge  # noqa: E402
from bench.signatures import machine  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import PASSWORD, World  # noqa: E402

from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.oidc import keys  # noqa: E402
from shaffof.web.app import create_app  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
REDIRECT = "https://portal.example/cb"


def setup(directory: Path) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    url = f"sqlite:///{directory / 'bench.db'}"
    migrate.upgrade(url)
    database = Database(url)
    settings = Settings(
        data_dir=directory / "var",
        secret_key="bench-secret-key-that-is-long-enough-0123456789",
        argon2_time_cost=1,
        argon2_memory_kib=8 * 1024,
        services_dir=REPO / "services",
    )
    app = create_app(settings, db=database)
    World.build(app.state.platform, REPO / "services")
    client = TestClient(app, base_url="https://testserver")
    admin = client.post("/api/v1/auth/login", json={"login": "admin", "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {admin}"}
    web = client.post(
        "/api/v1/admin/oidc/clients",
        headers=headers,
        json={
            "name": "Bench portal",
            "agency": "TOSHHOK",
            "kind": "web",
            "redirect_uris": [REDIRECT],
            "scopes": ["openid", "profile"],
        },
    ).json()
    system = client.post(
        "/api/v1/admin/oidc/clients",
        headers=headers,
        json={
            "name": "Bench system",
            "agency": "TOSHHOK",
            "kind": "service",
            "scopes": ["catalog.read"],
            "rate_limit_per_minute": 100_000,
        },
    ).json()
    # A signed-in person who has consented once.
    page = client.get("/oauth/sign-in?next=/")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    client.post(
        "/oauth/sign-in",
        data={
            "csrf": csrf,
            "step": "password",
            "next": "/",
            "level": "low",
            "lang": "en",
            "login": "alice",
            "password": PASSWORD,
        },
    )
    first = client.get(authorize_url(web["client_id"])[0], follow_redirects=False)
    form = {
        k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', first.text)
    }
    client.post("/oauth/authorize", data={**form, "decision": "allow"}, follow_redirects=False)
    return client, web, system


def authorize_url(client_id: str, scope: str = "openid profile") -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return "/oauth/authorize?" + "&".join(f"{k}={v}" for k, v in query.items()), verifier


def timed(call: Callable[[], object], n: int) -> float:
    """Median seconds of ``n`` calls."""
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    for key, value in machine().items():
        console.print(f"{key:>13}: {value}")
    with tempfile.TemporaryDirectory() as directory:
        client, web, system = setup(Path(directory))
        platform = client.app.state.platform  # type: ignore[attr-defined]
        basic = (system["client_id"], system["client_secret"])
        access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=basic).json()
        api_headers = {"Authorization": f"Bearer {access['access_token']}"}
        codes: list[tuple[str, str]] = []

        def authorize() -> None:
            url, verifier = authorize_url(web["client_id"])
            response = client.get(url, follow_redirects=False)
            assert response.status_code == 302, response.text
            codes.append((parse_qs(urlsplit(response.headers["location"]).query)["code"][0], verifier))

        user_tokens: list[str] = []

        def token_code() -> None:
            code, verifier = codes.pop()
            response = client.post(
                "/oauth/token",
                auth=(web["client_id"], web["client_secret"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                },
            )
            assert response.status_code == 200, response.text
            user_tokens.append(response.json()["access_token"])

        url, verifier = authorize_url(web["client_id"], scope="openid")
        answer = client.get(url, follow_redirects=False)
        bare = client.post(
            "/oauth/token",
            auth=(web["client_id"], web["client_secret"]),
            data={
                "grant_type": "authorization_code",
                "code": parse_qs(urlsplit(answer.headers["location"]).query)["code"][0],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        ).json()["access_token"]

        private = ec.generate_private_key(ec.SECP256R1())
        platform.oidc.jwks()  # publishes the first signing key
        with platform.db.uow() as uow:
            signing_key = keys.active_key(uow.session)
            assert signing_key is not None
            uow.session.expunge(signing_key)
        claims = {"iss": "https://testserver", "sub": "x" * 43, "aud": web["client_id"], "exp": 2_000_000_000}

        def id_token_sign() -> None:
            with platform.db.reading() as session:
                keys.sign_jwt(session, platform.pki.keystore, signing_key, claims)

        kinds: dict[str, Callable[[], object]] = {
            "baseline (GET /healthz)": lambda: client.get("/healthz"),
            "discovery": lambda: client.get("/.well-known/openid-configuration"),
            "authorize (302 with code)": authorize,
            "token (code + PKCE + ID token)": token_code,
            "token (client credentials)": lambda: client.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=basic
            ),
            "api call (client token)": lambda: client.get("/api/v1/agency/services", headers=api_headers),
            "userinfo": lambda: client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {user_tokens[-1]}"}),
            "userinfo (sub only, no record)": lambda: client.get(
                "/oauth/userinfo", headers={"Authorization": f"Bearer {bare}"}
            ),
            "sign primitive (ECDSA P-256)": lambda: private.sign(b"x" * 300, ec.ECDSA(hashes.SHA256())),
            "id-token sign (key store)": id_token_sign,
        }
        for call in kinds.values():  # warm-up (the key store opens the signing key once)
            for _ in range(5):
                call()
        results: dict[str, list[float]] = {name: [] for name in kinds}
        for _ in range(args.rounds):
            for name, call in kinds.items():
                results[name].append(timed(call, args.requests))
        table = Table(title=f"{args.rounds} rounds × {args.requests} requests, medians (SQLite, in-process ASGI)")
        table.add_column("request")
        table.add_column("median ms", justify="right")
        table.add_column("× baseline", justify="right")
        baseline = statistics.median(results["baseline (GET /healthz)"])
        primitive = statistics.median(results["sign primitive (ECDSA P-256)"])
        for name, medians in results.items():
            value = statistics.median(medians)
            reference = primitive if name.startswith(("id-token", "sign primitive")) else baseline
            table.add_row(name, f"{value * 1000:.2f}", f"{value / reference:.1f}")
        console.print(table)
        console.print("(the two signing rows are relative to the sign primitive; every other row to the baseline)")
        client.close()


if __name__ == "__main__":
    main()
