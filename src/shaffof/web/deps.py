"""FastAPI dependencies: the platform's services and the authenticated actor."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Path, Request, Response

from shaffof.cases.service import Cases
from shaffof.config import Settings
from shaffof.errors import Forbidden, Unauthenticated
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import TokenKind
from shaffof.platform import Platform

SESSION_COOKIE = "shaffof_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The largest id, offset or index anything stored can have (PostgreSQL's bigint, SQLite's INTEGER): a larger number
# in a path or query is refused as invalid (422) rather than failing in the database driver (found by the fuzzer).
MAX_INTEGER = 2**63 - 1
StoredId = Annotated[int, Path(ge=0, le=MAX_INTEGER, description="an id given by the platform")]
# Ids of tables with a 32-bit key (PostgreSQL INTEGER): a larger number is refused (422), never sent to the database.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=0, le=MAX_ROW_ID, description="an id given by the platform")]


class CsrfRejected(Forbidden):
    code = "csrf-rejected"
    title = "Missing or wrong CSRF token"


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_cases(platform: PlatformDep) -> Cases:
    return platform.cases


CasesDep = Annotated[Cases, Depends(get_cases)]


def csrf_token(secret_key: str, session_secret: str) -> str:
    """The CSRF token bound to a browser session (HMAC of the session secret)."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_secret.encode(), hashlib.sha256).hexdigest()


def set_session_cookie(response: Response, settings: Settings, secret: str) -> None:
    """The browser session cookie: HttpOnly, Secure (unless configured off for local HTTP), SameSite=Lax."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_ttl_seconds,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def optional_actor(request: Request, platform: PlatformDep) -> Actor | None:
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret:
            raise Unauthenticated("Use 'Authorization: Bearer <token>' with a token from POST /api/v1/auth/login.")
        with platform.db.reading() as session:
            actor = identity.authenticate(session, secret.strip(), TokenKind.api)
        if actor is None:
            raise Unauthenticated("The API token is unknown, expired or revoked; sign in again.")
        return actor
    session_secret = request.cookies.get(SESSION_COOKIE)
    if not session_secret:
        return None
    actor = platform.oidc.page_actor(session_secret)  # browser sessions: the idle timeout too (docs/oidc.md)
    if actor is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf_token(platform.settings.secret_key, session_secret)):
            raise CsrfRejected(
                f"A request made with a session cookie must carry the {CSRF_HEADER} header given at sign-in."
            )
    return actor


def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise Unauthenticated("Sign in first: POST /api/v1/auth/login.")
    return actor


def credential_secret(request: Request) -> str | None:
    """The bearer token or, failing one, the session cookie a request is made with."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return secret.strip()
    return request.cookies.get(SESSION_COOKIE)


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
