"""HTTP side of the provider: protocol endpoints (fixed paths for OIDC clients), the sign-in, step-up and
consent pages (plain forms, no JavaScript), and the JSON API for administrators, people and agency systems.

Views parse, call one operation of :class:`shaffof.oidc.service.Oidc` and render; every decision is there.
Form bodies are read here (async) and the operation runs in the thread pool like every database call.
"""

from __future__ import annotations

import hmac
import json
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from shaffof.canonical_json import canonicalize
from shaffof.catalog import service as catalog
from shaffof.errors import DomainError
from shaffof.identity.errors import InvalidCredentials, TooManyLoginAttempts
from shaffof.oidc import signin
from shaffof.oidc._internal.server import StarletteOAuth2Request
from shaffof.oidc.clients import ClientRegistration
from shaffof.oidc.models import Assurance
from shaffof.oidc.schemas import (
    ClientCreate,
    ClientPublic,
    ClientWithSecret,
    SecurityEventPublic,
    SecurityKeyCredential,
    SecurityKeyOptions,
)
from shaffof.oidc.scopes import CONSENT_CITATION, PERSON_SCOPES
from shaffof.oidc.service import (
    ApiPrincipal,
    InsufficientScope,
    InvalidToken,
    NeedConsent,
    NeedSignIn,
    Oidc,
    Respond,
    ShowError,
)
from shaffof.oidc.texts import TEXTS
from shaffof.web.deps import CSRF_HEADER, SESSION_COOKIE, CsrfRejected, CurrentActor, PlatformDep, csrf_token
from shaffof.web.ui.account import account_page
from shaffof.web.ui.views import LANGUAGES, choose_language, domain_templates

FORM_COOKIE = "shaffof_form"  # double-submit CSRF token of the sign-in form (no session exists yet)
# The pages extend the portal's base.html: its gettext, locale filters, navigation and account box.
templates = domain_templates(Path(__file__).parent / "templates")

router = APIRouter(include_in_schema=False)  # fixed paths: /.well-known/…, /oauth/…
api_router = APIRouter(tags=["identity"])  # under /api/v1


def _oidc(platform: PlatformDep) -> Oidc:
    return platform.oidc


OidcDep = Annotated[Oidc, Depends(_oidc)]


async def _oauth_request(request: Request, *, with_form: bool) -> StarletteOAuth2Request:
    form: list[tuple[str, str]] = []
    if with_form:
        form = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    return StarletteOAuth2Request(
        request.method, str(request.url), request.headers, list(request.query_params.multi_items()), form
    )


def _client(request: Request) -> signin.Client:
    return signin.Client(request.client.host if request.client else None, request.headers.get("user-agent"))


def _safe_next(value: str | None) -> str:
    """Only paths on this server (no open redirect): ``/…`` but never ``//host``, backslashes or white space
    (browsers drop tabs and newlines inside URLs, so a slash, a tab and a slash would become ``//``)."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and value.isprintable()
        and " " not in value
    ):
        return value
    return "/"


def _set_session(response: Response, platform: PlatformDep, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=platform.settings.session_ttl_seconds,
        httponly=True,
        secure=platform.settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def _page(request: Request, name: str, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.update(t=TEXTS[lang], lang=lang, languages=LANGUAGES)
    return templates.TemplateResponse(request, name, context, status_code=status)


def _form_expired(request: Request, lang: str) -> HTMLResponse:
    texts = TEXTS[lang]
    return _page(
        request, "message.html", lang, 403, heading=texts["error_title"], message=texts["form_expired"], alert=True
    )


# ------------------------------------------------------------------------------------------ protocol endpoints
@router.get("/.well-known/openid-configuration")
def discovery(oidc: OidcDep) -> JSONResponse:
    return JSONResponse(oidc.discovery(), headers={"Cache-Control": "public, max-age=3600"})


@router.get("/oauth/jwks")
def jwks(oidc: OidcDep) -> JSONResponse:
    # Short caching: after a rotation relying parties must see the new key within minutes.
    return JSONResponse(oidc.jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.get("/oauth/authorize")
async def authorize(request: Request, platform: PlatformDep) -> Response:
    oauth_request = await _oauth_request(request, with_form=False)
    secret = request.cookies.get(SESSION_COOKIE)
    outcome = await run_in_threadpool(platform.oidc.authorize, oauth_request, secret)
    return _render_outcome(request, platform, outcome, list(request.query_params.multi_items()), secret)


@router.post("/oauth/authorize")
async def authorize_consent(request: Request, platform: PlatformDep) -> Response:
    """The consent form's answer (allow or deny), CSRF-checked against the session."""
    form = await request.form()
    secret = request.cookies.get(SESSION_COOKIE) or ""
    lang = choose_language(request, None)
    expected = csrf_token(platform.settings.secret_key, secret)
    if not secret or not hmac.compare_digest(str(form.get("csrf", "")), expected):
        return _form_expired(request, lang)
    params = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k not in ("csrf", "decision")]
    oauth_request = StarletteOAuth2Request("POST", str(request.url), request.headers, [], params)
    allow = form.get("decision") == "allow"
    outcome = await run_in_threadpool(platform.oidc.consent, oauth_request, secret, allow)
    return _render_outcome(request, platform, outcome, params, secret)


def _render_outcome(
    request: Request, platform: PlatformDep, outcome: Any, params: list[tuple[str, str]], secret: str | None
) -> Response:
    lang = choose_language(request, None)
    if isinstance(outcome, Respond):
        return outcome.response
    if isinstance(outcome, ShowError):
        return _page(
            request,
            "message.html",
            lang,
            400,
            heading=TEXTS[lang]["error_title"],
            message=f"{outcome.error}: {outcome.description}",
            alert=True,
        )
    if isinstance(outcome, NeedSignIn):
        back = "/oauth/authorize?" + urlencode([(k, v) for k, v in params if k not in ("prompt", "max_age")])
        since = int(outcome.authenticated_since.timestamp()) if outcome.authenticated_since else 0
        return RedirectResponse(_sign_in_url(outcome.level, back, lang, since), status_code=303)
    assert isinstance(outcome, NeedConsent)
    asked = [s for s in outcome.scopes if s in PERSON_SCOPES]
    return _page(
        request,
        "consent.html",
        lang,
        client_name=outcome.client_name,
        scopes=asked,
        scope_titles={s: PERSON_SCOPES[s].title[lang] for s in asked},
        claims_by_scope={s: PERSON_SCOPES[s].claims for s in asked},
        citation=CONSENT_CITATION,
        params=params,
        form_csrf=csrf_token(platform.settings.secret_key, secret or ""),
    )


@router.post("/oauth/token")
async def token(request: Request, oidc: OidcDep) -> Response:
    oauth_request = await _oauth_request(request, with_form=True)
    response: Response = await run_in_threadpool(oidc.token, oauth_request)
    return response


@router.post("/oauth/revoke")
async def revoke(request: Request, oidc: OidcDep) -> Response:
    oauth_request = await _oauth_request(request, with_form=True)
    response: Response = await run_in_threadpool(oidc.revoke, oauth_request)
    return response


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _bearer_error(error: DomainError, code: str) -> JSONResponse:
    status = 403 if code == "insufficient_scope" else 401
    return JSONResponse(
        {"error": code, "error_description": error.detail},
        status_code=status,
        headers={"WWW-Authenticate": f'Bearer error="{code}"'},
    )


@router.api_route("/oauth/userinfo", methods=["GET", "POST"])
def userinfo(request: Request, oidc: OidcDep) -> JSONResponse:
    try:
        claims = oidc.userinfo(_bearer(request))
    except InvalidToken as error:
        return _bearer_error(error, "invalid_token")
    return JSONResponse(claims, headers={"Cache-Control": "no-store"})


@router.api_route("/oauth/end-session", methods=["GET", "POST"])
async def end_session(request: Request, platform: PlatformDep) -> Response:
    """RP-initiated logout 1.0: with a valid ``id_token_hint`` at once; otherwise after the person confirms."""
    lang = choose_language(request, None)
    secret = request.cookies.get(SESSION_COOKIE)
    if request.method == "POST":
        form = await request.form()
        # A relying party may POST with an id_token_hint; without one, only our own confirmation form (its CSRF
        # token) signs a person out, so another site cannot.
        if not form.get("id_token_hint") and not hmac.compare_digest(
            str(form.get("csrf", "")), csrf_token(platform.settings.secret_key, secret or "")
        ):
            return _form_expired(request, lang)
    oauth_request = await _oauth_request(request, with_form=request.method == "POST")
    response = await run_in_threadpool(platform.oidc.end_session, oauth_request, secret)
    if response is None and request.method == "GET":
        return _page(
            request,
            "message.html",
            lang,
            heading=TEXTS[lang]["sign_out"],
            message=TEXTS[lang]["confirm_sign_out"],
            confirm_logout=True,
            form_csrf=csrf_token(platform.settings.secret_key, secret or ""),
        )
    if response is None:
        response = _page(
            request, "message.html", lang, heading=TEXTS[lang]["sign_out"], message=TEXTS[lang]["signed_out"]
        )
    if response.status_code < 400:
        response.delete_cookie(SESSION_COOKIE, path="/", secure=platform.settings.cookie_secure, httponly=True)
    return response


# ------------------------------------------------------------------------------------------ sign-in pages
def _sign_in_url(level: Assurance, next_path: str, lang: str, since: int) -> str:
    return f"/oauth/sign-in?level={level.value}&next={quote(next_path, safe='')}&lang={lang}&since={since}"


def _step(user: Any, level: Assurance, since: int) -> str | None:
    """The next sign-in step towards ``level`` (a password first when the sign-in is older than ``since``),
    or None when the session already has it."""
    if user is None or user.auth_time.timestamp() < since:
        return "password"
    if user.acr.rank >= level.rank:
        return None
    if user.acr is Assurance.low:
        return "second_factor"
    return "signature"


def _sign_in_page(
    request: Request,
    platform: PlatformDep,
    *,
    lang: str,
    level: Assurance,
    next_path: str,
    secret: str | None,
    since: int = 0,
    error: str | None = None,
    error_field: str | None = None,
    status: int = 200,
) -> Response:
    user = platform.oidc.session_user(secret)
    step = _step(user, level, since)
    if step is None:
        return RedirectResponse(next_path, status_code=303)
    form_token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    challenge = None
    if step == "signature" and secret:
        found = platform.oidc.signature_challenge(secret)
        challenge = canonicalize(found).decode() if found else None
    response = _page(
        request,
        "signin.html",
        lang,
        status,
        step=step,
        level=level.value,
        next=next_path,
        since=since,
        current=user.acr.value if user else None,
        form_csrf=form_token if step == "password" else csrf_token(platform.settings.secret_key, secret or ""),
        error=error,
        error_field=error_field or ("login" if step == "password" else step),
        challenge=challenge,
        upstream=bool(platform.settings.upstream_oidc_issuer),
    )
    response.set_cookie(
        FORM_COOKIE,
        form_token,
        httponly=True,
        secure=platform.settings.cookie_secure,
        samesite="strict",
        path="/oauth/",
    )
    return response


@router.get("/oauth/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request,
    platform: PlatformDep,
    next: str | None = Query(default=None, max_length=4000),
    level: Assurance = Assurance.low,
    lang: str | None = Query(default=None, max_length=5),
    since: int = Query(default=0, ge=0, description="a sign-in older than this instant (Unix time) is redone"),
) -> Response:
    language = choose_language(request, lang)
    return _sign_in_page(
        request,
        platform,
        lang=language,
        level=level,
        next_path=_safe_next(next),
        secret=request.cookies.get(SESSION_COOKIE),
        since=since,
    )


@router.post("/oauth/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, platform: PlatformDep) -> Response:
    form = await request.form()
    lang = choose_language(request, str(form.get("lang", "")) or None)
    texts = TEXTS[lang]
    try:
        level = Assurance(str(form.get("level", "low")))
    except ValueError:
        level = Assurance.low
    next_path = _safe_next(str(form.get("next", "")))
    since = int(str(form.get("since", "0"))) if str(form.get("since", "0")).isdigit() else 0
    step = str(form.get("step", ""))
    secret = request.cookies.get(SESSION_COOKIE)
    sent_csrf = str(form.get("csrf", ""))
    if step == "password":
        valid_csrf = hmac.compare_digest(sent_csrf, request.cookies.get(FORM_COOKIE, "")) and bool(sent_csrf)
    else:
        valid_csrf = bool(secret) and hmac.compare_digest(
            sent_csrf, csrf_token(platform.settings.secret_key, secret or "")
        )

    def again(error: str, status: int) -> Response:
        return _sign_in_page(
            request,
            platform,
            lang=lang,
            level=level,
            next_path=next_path,
            secret=secret,
            since=since,
            error=error,
            status=status,
        )

    if not valid_csrf:
        return again(texts["form_expired"], 403)
    try:
        if step == "password":
            new = await run_in_threadpool(
                platform.oidc.sign_in,
                str(form.get("login", "")).strip(),
                str(form.get("password", "")),
                _client(request),
                secret,
            )
        elif step == "second_factor" and secret:
            new = await run_in_threadpool(platform.oidc.step_up, secret, str(form.get("code", "")), _client(request))
        elif step == "signature" and secret:
            new = await run_in_threadpool(
                platform.oidc.step_up_signature, secret, str(form.get("signature", "")), _client(request)
            )
        else:
            return again(texts["form_expired"], 400)
    except InvalidCredentials:
        return again(texts["wrong_credentials"], 401)
    except TooManyLoginAttempts as error:
        response = again(error.detail, 429)
        response.headers["Retry-After"] = str(error.extra.get("retry_after", 60))
        return response
    except DomainError as error:
        return again(error.detail, error.status)
    response = RedirectResponse(_sign_in_url(level, next_path, lang, since), status_code=303)
    _set_session(response, platform, new.secret)
    return response


# ------------------------------------------------------------------------------------------ the person's security page
@router.get("/oauth/security")
def security() -> Response:
    """The account-security page is the portal's /account (one page for sign-ins, factors and the log)."""
    return RedirectResponse("/account", status_code=308)


def _security_page(request: Request, platform: PlatformDep, secret: str, **extra: Any) -> Response:
    return account_page(request, status_code=int(extra.pop("status", 200)), **extra)


@router.post("/oauth/security/{action:path}", response_class=HTMLResponse)
async def security_action(action: str, request: Request, platform: PlatformDep) -> Response:
    form = await request.form()
    secret = request.cookies.get(SESSION_COOKIE) or ""
    lang = choose_language(request, None)
    actor = platform.oidc.session_actor(secret)
    if actor is None or not hmac.compare_digest(
        str(form.get("csrf", "")), csrf_token(platform.settings.secret_key, secret)
    ):
        return _form_expired(request, lang)
    try:
        if action == "totp":
            enrolment = await run_in_threadpool(platform.pki.enrol_totp, actor)
            return _security_page(request, platform, secret, enrolment=enrolment)
        if action == "totp/confirm":
            await run_in_threadpool(platform.pki.confirm_totp, actor, str(form.get("code", "")).strip())
            return _security_page(request, platform, secret, notice=TEXTS[lang]["totp_confirmed"])
        if action == "recovery-codes":
            codes = await run_in_threadpool(platform.oidc.recovery_codes, actor, secret)
            return _security_page(request, platform, secret, recovery_codes=codes)
    except DomainError as error:
        return _security_page(request, platform, secret, error=error.detail, status=error.status)
    return _security_page(request, platform, secret, status=404)


# ------------------------------------------------------------------------------------------ security keys (WebAuthn)
def _session_with_csrf(request: Request, platform: PlatformDep) -> str:
    """The session secret of a script's request, which must carry the session's CSRF token in a header."""
    secret = request.cookies.get(SESSION_COOKIE) or ""
    sent = request.headers.get(CSRF_HEADER, "")
    if not secret or not hmac.compare_digest(sent, csrf_token(platform.settings.secret_key, secret)):
        raise CsrfRejected(f"Send the page's CSRF token in the {CSRF_HEADER} header.")
    return secret


@router.post("/oauth/security-keys/options")
def security_key_options(body: SecurityKeyOptions, request: Request, platform: PlatformDep) -> Response:
    secret = _session_with_csrf(request, platform)
    return Response(platform.oidc.security_key_options(secret, body.purpose), media_type="application/json")


@router.post("/oauth/security-keys", status_code=204)
def register_security_key(body: SecurityKeyCredential, request: Request, platform: PlatformDep) -> None:
    secret = _session_with_csrf(request, platform)
    platform.oidc.register_security_key(secret, json.dumps(body.credential), body.label, _client(request))


@router.post("/oauth/sign-in/security-key")
def sign_in_with_security_key(body: SecurityKeyCredential, request: Request, platform: PlatformDep) -> JSONResponse:
    """The sign-in page's script answers the second-factor step with a security key; where to go next."""
    secret = _session_with_csrf(request, platform)
    new = platform.oidc.step_up_security_key(secret, json.dumps(body.credential), _client(request))
    response = JSONResponse({"next": _safe_next(body.next)})
    _set_session(response, platform, new.secret)
    return response


UPSTREAM_COOKIE = "shaffof_upstream"


@router.get("/oauth/upstream/start")
def upstream_start(
    platform: PlatformDep,
    next: str | None = Query(default=None, max_length=4000),
) -> Response:
    """Hand the person to the upstream identity provider; it sends them back to /oauth/upstream/callback."""
    started = platform.oidc.upstream_start(_safe_next(next))
    response = RedirectResponse(started.authorization_url, status_code=303)
    response.set_cookie(
        UPSTREAM_COOKIE,
        started.flow_cookie,
        max_age=600,
        httponly=True,
        secure=platform.settings.cookie_secure,
        samesite="lax",
        path="/oauth/upstream/",
    )
    return response


@router.get("/oauth/upstream/callback")
def upstream_callback(request: Request, platform: PlatformDep) -> Response:
    lang = choose_language(request, None)
    try:
        secret, next_path = platform.oidc.upstream_finish(
            str(request.url), request.cookies.get(UPSTREAM_COOKIE), _client(request)
        )
    except DomainError as error:
        return _page(
            request,
            "message.html",
            lang,
            error.status,
            heading=TEXTS[lang]["error_title"],
            message=error.detail,
            alert=True,
        )
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.delete_cookie(UPSTREAM_COOKIE, path="/oauth/upstream/")
    _set_session(response, platform, secret)
    return response


# ------------------------------------------------------------------------------------------ JSON API
def agency_id_of(platform: PlatformDep, code: str) -> int:
    with platform.db.reading() as session:
        return catalog.get_agency_by_code(session, code).id


@api_router.post("/admin/oidc/clients", response_model=ClientWithSecret, status_code=201)
def register_client(body: ClientCreate, actor: CurrentActor, platform: PlatformDep) -> ClientWithSecret:
    registration = ClientRegistration(
        name=body.name,
        agency_id=agency_id_of(platform, body.agency),
        kind=body.kind,
        redirect_uris=tuple(body.redirect_uris),
        post_logout_redirect_uris=tuple(body.post_logout_redirect_uris),
        scopes=tuple(body.scopes),
        required_acr=body.required_acr,
        rate_limit_per_minute=body.rate_limit_per_minute,
    )
    issued = platform.oidc.register_client(actor, registration)
    return ClientWithSecret(**ClientPublic.of(issued.client).model_dump(), client_secret=issued.client_secret)


@api_router.get("/admin/oidc/clients", response_model=list[ClientPublic])
def list_clients(actor: CurrentActor, oidc: OidcDep) -> list[ClientPublic]:
    return [ClientPublic.of(row) for row in oidc.list_clients(actor)]


@api_router.post("/admin/oidc/clients/{client_id}/secret", response_model=ClientWithSecret)
def rotate_client_secret(client_id: str, actor: CurrentActor, oidc: OidcDep) -> ClientWithSecret:
    issued = oidc.rotate_client_secret(actor, client_id)
    return ClientWithSecret(**ClientPublic.of(issued.client).model_dump(), client_secret=issued.client_secret)


@api_router.post("/admin/oidc/keys/rotate")
def rotate_signing_key(actor: CurrentActor, oidc: OidcDep) -> dict[str, str]:
    return {"kid": oidc.rotate_signing_key(actor)}


@api_router.get("/me/security-events", response_model=list[SecurityEventPublic])
def security_events(actor: CurrentActor, oidc: OidcDep) -> list[SecurityEventPublic]:
    return [
        SecurityEventPublic(
            kind=e.kind.value, at=e.at.isoformat(), client_ip=e.client_ip, user_agent=e.user_agent, detail=e.detail
        )
        for e in oidc.security_events(actor)
    ]


@api_router.post("/auth/recovery-codes")
def recovery_codes(request: Request, actor: CurrentActor, oidc: OidcDep) -> dict[str, list[str]]:
    return {"recovery_codes": oidc.recovery_codes(actor, request.cookies.get(SESSION_COOKIE))}


def api_client(scope: str) -> Any:
    """A dependency: the agency system calling with a client-credentials token carrying ``scope``."""

    def dependency(request: Request, oidc: OidcDep) -> ApiPrincipal:
        return oidc.api_principal(_bearer(request), scope)

    return Depends(dependency)


@api_router.get("/agency/services")
def agency_services(
    platform: PlatformDep, principal: Annotated[ApiPrincipal, api_client("catalog.read")]
) -> list[dict[str, Any]]:
    """The calling agency's own services (scope ``catalog.read``)."""
    with platform.db.reading() as session:
        return [
            {"code": s.code, "name": s.name, "kind": s.kind.value}
            for s in catalog.list_services(session)
            if s.agency_id == principal.agency_id
        ]


def install(app: FastAPI) -> None:
    """Map RFC 6750 bearer errors of agency API calls (401/403 with ``WWW-Authenticate``)."""

    @app.exception_handler(InvalidToken)
    async def _invalid(request: Request, error: InvalidToken) -> JSONResponse:
        return _bearer_error(error, "invalid_token")

    @app.exception_handler(InsufficientScope)
    async def _scope(request: Request, error: InsufficientScope) -> JSONResponse:
        return _bearer_error(error, "insufficient_scope")
