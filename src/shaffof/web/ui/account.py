"""Signing in and out of the pages, and the inbox of in-app notices.

The sign-in form posts a CSRF token bound to a pre-session cookie; on success the session cookie is the
API's (HttpOnly, Secure, SameSite=Lax) and the browser goes where it was heading (same-site paths only).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from shaffof.errors import DomainError
from shaffof.identity import service as identity
from shaffof.identity import sessions
from shaffof.identity.models import Role
from shaffof.oidc import signin
from shaffof.oidc.models import Assurance
from shaffof.oidc.texts import TEXTS
from shaffof.web.deps import SESSION_COOKIE, RowId, StoredId, set_session_cookie
from shaffof.web.ui.browser import (
    PRE_SESSION_COOKIE,
    PageRoute,
    ensure_pre_session,
    form_of,
    form_token,
    platform_of,
    redirect,
    set_pre_session_cookie,
    signed_in,
)
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def step_up_url(level: Assurance, next_path: str, language: str) -> str:
    """The identity provider's sign-in steps up to ``level``, then returns to ``next_path``."""
    return f"/oauth/sign-in?level={level.value}&next={quote(next_path, safe='')}&lang={language}"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect; else nothing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def _landing(role: Role) -> str:
    if role in (Role.officer, Role.head):
        return "/officer"
    return "/cases" if role is Role.citizen else "/"


def _login_page(
    request: Request, *, next_path: str, login: str, errors: FieldErrors, status_code: int = 200
) -> HTMLResponse:
    nonce = ensure_pre_session(request)
    response = render(
        request,
        "portal/login.html",
        {"next": next_path, "login": login, "errors": errors.by_field},
        status_code=status_code,
    )
    set_pre_session_cookie(request, response, nonce)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_path=_safe_next(next), login="", errors=FieldErrors())


@router.post("/login", response_class=HTMLResponse)
def login(request: Request) -> Response:
    platform = platform_of(request)
    language = choose_language(request, None)
    form = form_of(request)
    login_name = str(form.get("login", "")).strip()
    password = str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "")))
    errors = FieldErrors()
    if not login_name:
        errors.add("login", gettext(language, "Enter your PINFL or user name."))
    if not password:
        errors.add("password", gettext(language, "Enter your password."))
    if not errors:
        client = signin.Client(request.client.host if request.client else None, request.headers.get("user-agent"))
        try:
            # The identity provider's sign-in: throttled per account and address, a new session id (the old
            # one ends), the level 'low' recorded, and a line in the person's security log.
            new = platform.oidc.sign_in(login_name, password, client, request.cookies.get(SESSION_COOKIE))
        except DomainError as error:
            status = 429 if error.status == 429 else 401
            message = (
                gettext(language, "Too many failed attempts. Wait a few minutes and try again.")
                if status == 429
                else gettext(language, "The login or the password is wrong.")
            )
            errors.add("password", message)
            return _login_page(request, next_path=next_path, login=login_name, errors=errors, status_code=status)
        actor = platform.oidc.session_actor(new.secret)
        assert actor is not None
        target = next_path or _landing(actor.role)
        if new.has_second_factor:  # the person has one: the second step follows at once (level 'substantial')
            target = step_up_url(Assurance.substantial, target, language)
        response = redirect(target)
        set_session_cookie(response, platform.settings, new.secret)
        response.delete_cookie(PRE_SESSION_COOKIE, path="/")
        return response
    return _login_page(request, next_path=next_path, login=login_name, errors=errors, status_code=422)


@router.post("/logout")
def logout(request: Request) -> Response:
    platform = platform_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with platform.db.uow() as uow:
            identity.logout(uow, secret)
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=platform.settings.cookie_secure, httponly=True)
    return response


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request) -> HTMLResponse:
    actor = signed_in(request)
    items = platform_of(request).notifications.inbox(actor, limit=100)
    return render(request, "portal/inbox.html", {"items": items})


@router.post("/inbox/{notification_id}/read")
def mark_read(notification_id: StoredId, request: Request) -> Response:
    actor = signed_in(request)
    platform_of(request).notifications.mark_read(actor, notification_id)
    return redirect("/inbox")


def account_page(request: Request, *, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The one account-security page: where the account is signed in (each can be ended), this browser's
    sign-in level, the second factor (authenticator by QR code, recovery codes, security keys) and the log of
    security events ("new sign-in from …"). The identity provider's forms post to /oauth/security/… and
    answer with this page (``extra``: a new enrolment, codes shown once, a notice or an error)."""
    actor = signed_in(request)
    platform = platform_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    with platform.db.reading() as session:
        sign_ins = sessions.active_sign_ins(session, actor, identity.token_hash(secret) if secret else None)
    enrolment = extra.get("enrolment")
    context = {
        "sign_ins": sign_ins,
        "t": TEXTS[choose_language(request, None)],
        "form_csrf": form_token(request),
        "level": platform.oidc.credential_level(secret).value,
        "has_factor": platform.oidc.has_second_factor(actor),
        "events": platform.oidc.security_events(actor),
        "qr": segno.make(enrolment.otpauth_uri, error="m").svg_data_uri(scale=6) if enrolment else None,
        **extra,
    }
    return render(request, "portal/account.html", context, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> HTMLResponse:
    return account_page(request)


@router.post("/account/sign-ins/{token_id}/end")
def end_sign_in(token_id: RowId, request: Request) -> Response:
    actor = signed_in(request)
    platform = platform_of(request)
    with platform.db.uow() as uow:
        sessions.end_sign_in(uow, actor, token_id)
    return redirect("/account")
