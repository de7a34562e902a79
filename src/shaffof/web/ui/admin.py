"""The administrator's pages: agencies, staff accounts and their roles, service packages (upload a zip, check
it file by file, publish) and the calendar's overrides (decreed days off and swapped working days).

Each page calls the domain that owns the data — identity (``service.create_staff_account``, ``staff``),
catalog (``publishing``) and deadlines (``add_override``) — and each of those refuses anyone but an
administrator, so the pages decide nothing about who may act. Logins and codes travel in form bodies, never
in URLs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from shaffof.catalog import publishing
from shaffof.catalog import service as catalog
from shaffof.deadlines.calendar import OverrideKind
from shaffof.deadlines.schemas import OverrideCreate
from shaffof.errors import DomainError
from shaffof.identity import service as identity
from shaffof.identity import staff
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.identity.policy import ensure_admin
from shaffof.identity.schemas import StaffAccountCreate
from shaffof.web.ui import nav
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import N_, gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
ROLES = {
    "officer": N_("Officer"),
    "head": N_("Head of body"),
    "auditor": N_("Auditor"),
    "admin": N_("Administrator"),
    "archivist": N_("Archivist"),
}
MAX_PACKAGE_BYTES = 20 * 1024 * 1024


def administrators(actor: Actor | None) -> bool:
    return actor is not None and actor.role is Role.admin


nav.register(nav.NavLink("/admin", N_("Administration"), administrators, order=95))


def _admin(request: Request) -> Actor:
    actor = signed_in(request)
    ensure_admin(actor)  # the identity domain's rule; a refusal is shown as a page
    return actor


def _posted(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in form_of(request).items() if isinstance(v, str) and k != "password"}


def _domain_errors(error: DomainError, errors: FieldErrors, fields: dict[str, str]) -> None:
    """The domain's refusal next to the field it names (``fields`` maps its names to the page's ids)."""
    for problem in error.errors:
        field = fields.get(problem.path.split("/")[0])
        if field:
            errors.add(field, problem.message)
    errors.add("", error.detail)


@router.get("/admin", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    _admin(request)
    return render(request, "portal/admin/index.html", {})


@router.get("/admin/agencies", response_class=HTMLResponse)
def agencies(request: Request) -> HTMLResponse:
    """The bodies and the higher body of each (which hears complaints about it); they come from packages."""
    _admin(request)
    with platform_of(request).db.reading() as session:
        rows = catalog.list_agencies(session)
        codes = catalog.agency_codes(session)
        listed = [
            {"code": a.code, "name": a.name, "region": a.region, "parent": codes.get(a.parent_id or 0)} for a in rows
        ]
        services: dict[str, int] = {}
        for service in catalog.list_services(session):
            code = codes[service.agency_id]
            services[code] = services.get(code, 0) + 1
    return render(request, "portal/admin/agencies.html", {"agencies": listed, "services": services})


def _users_page(
    request: Request, actor: Actor, *, errors: FieldErrors, values: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    language = choose_language(request, None)
    platform = platform_of(request)
    with platform.db.reading() as session:
        accounts = staff.list_staff(session, actor)
        bodies = [(a.code, a.name[language]) for a in catalog.list_agencies(session)]
    roles = [(code, gettext(language, label)) for code, label in ROLES.items()]
    return render(
        request,
        "portal/admin/users.html",
        {
            "accounts": accounts,
            "roles": roles,
            "role_names": dict(roles),
            "bodies": bodies,
            "errors": errors.by_field,
            "values": values,
            "changed": request.query_params.get("changed") == "1",
        },
        status_code=status_code,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request) -> HTMLResponse:
    return _users_page(request, _admin(request), errors=FieldErrors(), values={})


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(request: Request) -> Response:
    """Create a staff account (the password is never echoed back into the page)."""
    actor = _admin(request)
    language = choose_language(request, None)
    posted = _posted(request)
    password = form_of(request).get("password")
    password = password if isinstance(password, str) else ""
    errors = FieldErrors()
    for field, value in (
        ("login", posted.get("login")),
        ("password", password),
        ("display_name", posted.get("display_name")),
    ):
        if not value:
            errors.add(field, gettext(language, "This field is required."))
    if posted.get("role") not in ROLES:
        errors.add("role", gettext(language, "Choose one of the options."))
    if errors:
        return _users_page(request, actor, errors=errors, values=posted, status_code=422)
    platform = platform_of(request)
    try:
        command = StaffAccountCreate(
            login=posted["login"],
            password=password,
            role=Role(posted["role"]),
            display_name=posted["display_name"],
            agency=posted.get("agency") or None,
            email=posted.get("email") or None,
        )
        with platform.db.uow() as uow:
            agency_id = catalog.get_agency_by_code(uow.session, command.agency).id if command.agency else None
            identity.create_staff_account(uow, platform.passwords, actor, command, agency_id)
    except DomainError as error:
        _domain_errors(error, errors, {"login": "login", "password": "password", "agency": "agency", "role": "role"})
    except ValidationError as error:  # the command's own limits (the login's pattern, lengths)
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else ""
            errors.add(field if field in {"login", "display_name", "email"} else "", problem["msg"])
    if errors:
        return _users_page(request, actor, errors=errors, values=posted, status_code=422)
    return redirect("/admin/users?changed=1")


@router.post("/admin/users/role", response_class=HTMLResponse)
def change_role(request: Request) -> Response:
    actor = _admin(request)
    posted = _posted(request)
    errors = FieldErrors()
    if posted.get("role") not in ROLES:
        errors.add("", gettext(choose_language(request, None), "Choose one of the options."))
        return _users_page(request, actor, errors=errors, values={}, status_code=422)
    try:
        with platform_of(request).db.uow() as uow:
            staff.change_role(uow.session, actor, posted.get("login", ""), Role(posted["role"]))
            uow.commit()
    except DomainError as error:
        _domain_errors(error, errors, {})
        return _users_page(request, actor, errors=errors, values={}, status_code=error.status)
    return redirect("/admin/users?changed=1")


@router.post("/admin/users/active", response_class=HTMLResponse)
def set_active(request: Request) -> Response:
    """Deactivate (or reactivate) an account: its sessions and tokens stop working at once."""
    actor = _admin(request)
    posted = _posted(request)
    try:
        with platform_of(request).db.uow() as uow:
            staff.set_active(uow.session, actor, posted.get("login", ""), posted.get("active") == "1")
            uow.commit()
    except DomainError as error:
        errors = FieldErrors()
        _domain_errors(error, errors, {})
        return _users_page(request, actor, errors=errors, values={}, status_code=error.status)
    return redirect("/admin/users?changed=1")


def _packages_page(request: Request, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    base: dict[str, Any] = {"errors": {}, "check": None, "report": None, "filename": ""}
    return render(request, "portal/admin/packages.html", base | context, status_code=status_code)


@router.get("/admin/packages", response_class=HTMLResponse)
def packages(request: Request) -> HTMLResponse:
    _admin(request)
    return _packages_page(request, {})


@router.post("/admin/packages", response_class=HTMLResponse)
def upload_packages(request: Request) -> HTMLResponse:
    """Check the uploaded archive (``action=check``) or check and publish it (``action=publish``)."""
    actor = _admin(request)
    language = choose_language(request, None)
    form = form_of(request)
    chosen = form.get("package")
    errors = FieldErrors()
    data = b""
    if isinstance(chosen, UploadFile) and chosen.filename:
        data = chosen.file.read(MAX_PACKAGE_BYTES + 1)
    if not data:
        errors.add("package", gettext(language, "Choose a zip file of service packages."))
    elif len(data) > MAX_PACKAGE_BYTES:
        errors.add("package", gettext(language, "The file is larger than %(limit)s MiB.") % {"limit": 20})
    if errors:
        return _packages_page(request, {"errors": errors.by_field}, status_code=422)
    filename = chosen.filename if isinstance(chosen, UploadFile) else ""
    try:
        check = publishing.check_archive(actor, data)
    except DomainError as error:
        errors.add("package", error.detail)
        return _packages_page(request, {"errors": errors.by_field, "filename": filename}, status_code=422)
    if not check.ok or form.get("action") != "publish":
        return _packages_page(request, {"check": check, "filename": filename}, status_code=200 if check.ok else 422)
    report = publishing.publish_archive(platform_of(request).db, actor, data)
    return _packages_page(request, {"check": check, "report": report, "filename": filename})


def _calendar_page(
    request: Request, year: int, *, errors: FieldErrors, values: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    language = choose_language(request, None)
    calendar = platform_of(request).deadlines.calendar_year(year, lang=language)
    kinds = [
        (OverrideKind.day_off.value, gettext(language, "Day off (decreed)")),
        (OverrideKind.working_day.value, gettext(language, "Working day (swapped)")),
    ]
    return render(
        request,
        "portal/admin/calendar.html",
        {
            "year": year,
            "calendar": calendar,
            "kinds": kinds,
            "kind_names": dict(kinds),
            "errors": errors.by_field,
            "values": values,
            "moved": request.query_params.get("moved"),
        },
        status_code=status_code,
    )


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar(request: Request, year: int | None = Query(default=None, ge=2000, le=2100)) -> HTMLResponse:
    _admin(request)
    platform = platform_of(request)
    chosen = year or platform.deadlines.local_date(platform.deadlines.clock()).year
    return _calendar_page(request, chosen, errors=FieldErrors(), values={})


@router.post("/admin/calendar", response_class=HTMLResponse)
def add_override(request: Request) -> Response:
    """Enter a decreed day off or a swapped working day; open cases' due dates move in the same transaction."""
    actor = _admin(request)
    language = choose_language(request, None)
    posted = _posted(request)
    platform = platform_of(request)
    errors = FieldErrors()
    try:
        year = dt.date.fromisoformat(posted.get("date", "")).year
    except ValueError:
        year = platform.deadlines.local_date(platform.deadlines.clock()).year
        errors.add("date", gettext(language, "Enter a date as YYYY-MM-DD."))
    if posted.get("kind") not in {k.value for k in OverrideKind}:
        errors.add("kind", gettext(language, "Choose one of the options."))
    if len(posted.get("reason", "")) < 3:
        errors.add("reason", gettext(language, "Enter at least %(limit)s characters.") % {"limit": 3})
    if not errors:
        command = OverrideCreate(date=posted["date"], kind=OverrideKind(posted["kind"]), reason=posted["reason"][:500])
        try:
            added = platform.deadlines.add_override(actor, command)
        except DomainError as error:
            _domain_errors(error, errors, {"date": "date", "kind": "kind", "reason": "reason"})
        else:
            return redirect(f"/admin/calendar?year={year}&moved={added.recomputed_deadlines or 0}")
    return _calendar_page(request, year, errors=errors, values=posted, status_code=422)
