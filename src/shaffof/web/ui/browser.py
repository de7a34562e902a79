"""The browser side of sign-in for pages: who is signed in, CSRF tokens on every form, and the page route
that turns refusals into pages (not problem+json) and sign-in requirements into a redirect.

Pages share the API's session cookie (``web/deps.py``). Every form carries a ``csrf_token`` field: the HMAC
of the session secret (as the API's ``X-CSRF-Token``), or — before sign-in, for the sign-in form itself — of a
random pre-session cookie, so a third-party site cannot post a form in the visitor's name (login CSRF included).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.platform import Platform
from shaffof.web.deps import SAFE_METHODS, SESSION_COOKIE, csrf_token
from shaffof.web.ui.i18n import LANGUAGES

PRE_SESSION_COOKIE = "shaffof_presession"
LANGUAGE_COOKIE = "shaffof_lang"
CSRF_FIELD = "csrf_token"
_NO_ACTOR = object()


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in visitor; answered with a redirect to the sign-in form."""


class FormRejected(Exception):
    """A form without a valid CSRF token: answered with 403 and nothing done."""


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def page_actor(request: Request) -> Actor | None:
    """The signed-in account of this browser (looked up once per request), or None."""
    cached = getattr(request.state, "page_actor", _NO_ACTOR)
    if cached is not _NO_ACTOR:
        return cached  # type: ignore[return-value]
    # The idle and absolute timeouts of browser sessions are the identity provider's (docs/oidc.md).
    actor = platform_of(request).oidc.page_actor(request.cookies.get(SESSION_COOKIE))
    request.state.page_actor = actor
    return actor


def signed_in(request: Request) -> Actor:
    actor = page_actor(request)
    if actor is None:
        raise SignInRequired
    return actor


def form_token(request: Request) -> str:
    """The CSRF token forms on this page must carry (empty until the pre-session cookie is set)."""
    secret_key = platform_of(request).settings.secret_key
    session_secret = request.cookies.get(SESSION_COOKIE)
    if session_secret and page_actor(request) is not None:
        return csrf_token(secret_key, session_secret)
    nonce = getattr(request.state, "pre_session", None) or request.cookies.get(PRE_SESSION_COOKIE)
    return csrf_token(secret_key, "pre-session:" + nonce) if nonce else ""


def ensure_pre_session(request: Request) -> str | None:
    """A new pre-session nonce when the browser has none (the caller sets it as a cookie)."""
    if request.cookies.get(PRE_SESSION_COOKIE):
        return None
    nonce = secrets.token_urlsafe(24)
    request.state.pre_session = nonce
    return nonce


def set_pre_session_cookie(request: Request, response: Response, nonce: str | None) -> None:
    if nonce:
        secure = platform_of(request).settings.cookie_secure
        response.set_cookie(PRE_SESSION_COOKIE, nonce, httponly=True, secure=secure, samesite="lax", path="/")


def _form_token_is_valid(request: Request, sent: str) -> bool:
    secret_key = platform_of(request).settings.secret_key
    candidates = []
    if session_secret := request.cookies.get(SESSION_COOKIE):
        candidates.append(csrf_token(secret_key, session_secret))
    if nonce := request.cookies.get(PRE_SESSION_COOKIE):
        candidates.append(csrf_token(secret_key, "pre-session:" + nonce))
    return bool(sent) and any(hmac.compare_digest(sent, expected) for expected in candidates)


def form_of(request: Request) -> FormData:
    """The posted form, read once (and CSRF-checked) by :class:`PageRoute` so handlers can be plain
    functions that FastAPI runs in its thread pool, away from the event loop that serves live updates."""
    form: FormData = request.state.form
    return form


def redirect(path: str) -> RedirectResponse:
    """After a successful form: see the result at its own address (POST/redirect/GET)."""
    return RedirectResponse(path, status_code=303)


class PageRoute(APIRoute):
    """A route of the portal: checks the CSRF token of every unsafe request, remembers the chosen language,
    and shows refusals as pages in the visitor's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                if request.method not in SAFE_METHODS:
                    form = await request.form()
                    request.state.form = form
                    sent = form.get(CSRF_FIELD)
                    if not isinstance(sent, str) or not _form_token_is_valid(request, sent):
                        raise FormRejected
                response = await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except FormRejected:
                response = error_page(request, status=403, title_id="form-expired")
            except DomainError as error:
                response = error_page(request, status=error.status, title_id="refused", detail=error.detail)
            lang = request.query_params.get("lang")
            if lang in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != lang:
                secure = platform_of(request).settings.cookie_secure
                response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, secure=secure, samesite="lax")
            response.headers.setdefault("Cache-Control", "no-store")  # pages may show personal data
            return response

        return page


def error_page(request: Request, *, status: int, title_id: str, detail: str | None = None) -> HTMLResponse:
    from shaffof.web.ui.views import choose_language, templates  # views import this module

    return templates.TemplateResponse(
        request,
        "portal/error.html",
        {"lang": choose_language(request, None), "kind": title_id, "status": status, "detail": detail},
        status_code=status,
    )
