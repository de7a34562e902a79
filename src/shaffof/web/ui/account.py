"""Signing in and out of the pages, and the inbox of in-app notices.

The sign-in form posts a CSRF token bound to a pre-session cookie; on success the session cookie is the
API's (HttpOnly, Secure, SameSite=Lax) and the browser goes where it was heading (same-site paths only).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from shaffof.errors import DomainError
from shaffof.identity import service as identity
from shaffof.identity import sessions
from shaffof.identity.models import Role, TokenKind
from shaffof.web.deps import SESSION_COOKIE, StoredId, set_session_cookie
from shaffof.web.ui.browser import (
    PRE_SESSION_COOKIE,
    PageRoute,
    ensure_pre_session,
    form_of,
    platform_of,
    redirect,
    set_pre_session_cookie,
    signed_in,
)
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


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
        try:
            with platform.db.uow() as uow:
                issued = identity.login(
                    uow,
                    platform.passwords,
                    platform.login_policy,
                    login_name=login_name,
                    password=password,
                    kind=TokenKind.session,
                    client_ip=request.client.host if request.client else None,
                    label="portal",
                )
        except DomainError as error:
            status = 429 if error.status == 429 else 401
            message = (
                gettext(language, "Too many failed attempts. Wait a few minutes and try again.")
                if status == 429
                else gettext(language, "The login or the password is wrong.")
            )
            errors.add("password", message)
            return _login_page(request, next_path=next_path, login=login_name, errors=errors, status_code=status)
        response = redirect(next_path or _landing(issued.actor.role))
        set_session_cookie(response, platform.settings, issued.secret)
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


@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> HTMLResponse:
    """Account security: where the account is signed in (browsers and API tokens), each can be ended."""
    actor = signed_in(request)
    platform = platform_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    with platform.db.reading() as session:
        sign_ins = sessions.active_sign_ins(session, actor, identity.token_hash(secret) if secret else None)
    return render(request, "portal/account.html", {"sign_ins": sign_ins})


@router.post("/account/sign-ins/{token_id}/end")
def end_sign_in(token_id: StoredId, request: Request) -> Response:
    actor = signed_in(request)
    platform = platform_of(request)
    with platform.db.uow() as uow:
        sessions.end_sign_in(uow, actor, token_id)
    return redirect("/account")
