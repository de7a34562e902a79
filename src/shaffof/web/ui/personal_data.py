"""The person's own data pages (ZRU-547): who accessed my data (the data tracker, with paging, a filter and
the notices of reads outside my cases), my consents (give, withdraw, the signed receipt), my data export
(JSON and PDF) and a rectification request. Server-rendered, no JavaScript; each handler parses, calls one
privacy or rights operation, renders. Only the data subject's own account gets anything (the privacy
domain refuses everyone else).
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from shaffof.catalog import service as catalog
from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.privacy.models import AccessOutcome
from shaffof.privacy.rights import RectificationRequest
from shaffof.privacy.schemas import ConsentGive, DataExport
from shaffof.registries.catalog import CATEGORIES, REGISTRIES
from shaffof.web.ui import nav
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import N_, gettext
from shaffof.web.ui.views import choose_language, render, templates

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 25

nav.register(nav.NavLink("/my-data/consents", N_("My consents"), nav.citizens, order=26))

# The words the pages show for the domain's codes (message ids; the catalogues translate them).
CATEGORY_LABELS = {
    "identity": N_("identity"),
    "address": N_("address"),
    "family": N_("family"),
    "documents": N_("identity documents"),
    "property": N_("real estate"),
    "business": N_("business"),
    "case_form": N_("application form"),
    "case_documents": N_("case documents"),
    "case_events": N_("case history"),
    "access_log": N_("access records"),
    "certificates": N_("signature certificates"),
}
CHANNEL_LABELS = {
    "officer": N_("an officer"),
    "mediator": N_("an agency system"),
    "prefill": N_("form pre-filling"),
    "export": N_("data export"),
    "audit": N_("an auditor"),
    "automated": N_("an automated decision"),
}
GROUND_LABELS = {
    "consent": N_("your consent"),
    "contract": N_("a contract"),
    "legal_obligation": N_("a legal obligation"),
    "vital_interests": N_("vital interests"),
}
SHOW = {"all": N_("All"), "outside": N_("Outside my cases"), "refused": N_("Refused attempts")}
REGISTRY_LABELS = {
    "population": N_("Population registry"),
    "property": N_("Property registry"),
    "business": N_("Business registry"),
}


def _agencies(request: Request, language: str) -> list[tuple[str, str]]:
    with platform_of(request).db.reading() as session:
        return [(a.code, a.name.get(language) or a.code) for a in catalog.list_agencies(session)]


def _objections(
    error: ValidationError | DomainError, language: str, messages: dict[str, str], errors: FieldErrors
) -> None:
    """The form's objections by input (the last part of each path), in the visitor's words, each once;
    a refusal that names no input is not a form error and goes on to the error page."""
    if isinstance(error, DomainError):
        if not error.errors:
            raise error
        paths = [(problem.path, problem.message) for problem in error.errors]
    else:
        paths = [("/".join(str(part) for part in e["loc"]), e["msg"]) for e in error.errors()]
    for path, message in paths:
        field = path.split("/")[0] if isinstance(error, ValidationError) else path.split("/")[-1]
        if field not in errors.by_field:
            errors.add(field, gettext(language, messages[field]) if field in messages else message)


def _labels() -> dict[str, dict[str, str]]:
    return {"categories": CATEGORY_LABELS, "channels": CHANNEL_LABELS, "grounds": GROUND_LABELS}


# ---------------------------------------------------------------------------------------------- the tracker


@router.get("/my-data", response_class=HTMLResponse)
def access_log(
    request: Request,
    show: str = Query(default="all", max_length=16),
    agency: str = Query(default="", max_length=16),
    page: int = Query(default=1, ge=1, le=10_000),
) -> HTMLResponse:
    """Who accessed my data: newest first, a page at a time; the reads outside my cases are shown first."""
    actor = signed_in(request)
    privacy = platform_of(request).privacy
    language = choose_language(request, None)
    show = show if show in SHOW else "all"
    errors = FieldErrors()
    filters: dict[str, Any] = {
        "outside_case": True if show == "outside" else None,
        "outcome": AccessOutcome.refused if show == "refused" else None,
        "agency": agency or None,
    }
    try:
        records = privacy.my_access_log(actor, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE, **filters)
    except DomainError:
        errors.add("agency", gettext(language, "Choose an agency from the list."))
        records = []
    notices = privacy.my_access_log(actor, limit=5, outside_case=True, outcome=AccessOutcome.allowed)
    query = {"show": show, "agency": agency}
    return render(
        request,
        "portal/my_data.html",
        {
            "records": records[:PAGE_SIZE],
            "notices": notices,
            "destroyed": privacy.my_tombstones(actor),
            "show": show,
            "shows": [(key, gettext(language, label)) for key, label in SHOW.items()],
            "agency": agency,
            "agencies": _agencies(request, language),
            "page": page,
            "newer": f"/my-data?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
            "older": f"/my-data?{urlencode({**query, 'page': page + 1})}" if len(records) > PAGE_SIZE else None,
            "errors": errors.by_field,
            **_labels(),
        },
        status_code=422 if errors else 200,
    )


# ---------------------------------------------------------------------------------------------- consents


def _consents_page(
    request: Request, actor: Actor, *, values: dict[str, Any], errors: FieldErrors, status_code: int = 200
) -> HTMLResponse:
    language = choose_language(request, None)
    return render(
        request,
        "portal/consents.html",
        {
            "consents": platform_of(request).privacy.consents(actor),
            "agencies": _agencies(request, language),
            "category_choices": [(c, CATEGORY_LABELS.get(c, c)) for c in sorted(CATEGORIES)],
            "values": values,
            "errors": errors.by_field,
            **_labels(),
        },
        status_code=status_code,
    )


@router.get("/my-data/consents", response_class=HTMLResponse)
def consents(request: Request) -> HTMLResponse:
    actor = signed_in(request)
    return _consents_page(request, actor, values={"days": "365"}, errors=FieldErrors())


_CONSENT_MESSAGES = {
    "recipient": N_("Choose who receives the data."),
    "purpose": N_("Write the purpose (3 to 100 characters), as the recipient names it."),
    "categories": N_("Choose at least one kind of data."),
    "days": N_("Give the term in days, from 1 to 3650."),
}


@router.post("/my-data/consents", response_class=HTMLResponse)
def give_consent(request: Request) -> Response:
    """ZRU-547 Art. 18: consent for a purpose, a recipient, kinds of data and a term; a signed receipt."""
    actor = signed_in(request)
    language = choose_language(request, None)
    form = form_of(request)
    values: dict[str, Any] = {
        "recipient": str(form.get("recipient", "")),
        "purpose": str(form.get("purpose", "")).strip(),
        "categories": [str(c) for c in form.getlist("categories")],
        "days": str(form.get("days", "")).strip(),
    }
    errors = FieldErrors()
    try:
        command = ConsentGive.model_validate(
            {**values, "days": int(values["days"]) if values["days"].isdigit() else -1}
        )
        platform_of(request).privacy.give_consent(actor, command)
    except (ValidationError, DomainError) as error:
        _objections(error, language, _CONSENT_MESSAGES, errors)
    if errors:
        return _consents_page(request, actor, values=values, errors=errors, status_code=422)
    return redirect("/my-data/consents")


@router.post("/my-data/consents/{consent_id}/withdraw")
def withdraw_consent(consent_id: uuid.UUID, request: Request) -> Response:
    """Effective when it commits: the next query that relied on the consent is refused (ZRU-547 Art. 17)."""
    actor = signed_in(request)
    platform_of(request).privacy.withdraw_consent(actor, consent_id)
    return redirect("/my-data/consents")


@router.get("/my-data/consents/{consent_id}/receipt")
def consent_receipt(consent_id: uuid.UUID, request: Request) -> Response:
    """The signed consent receipt as a file to keep (JSON with the RFC 3161 tokens)."""
    actor = signed_in(request)
    receipt = platform_of(request).privacy.consent_receipt(actor, consent_id)
    return Response(
        json.dumps(receipt, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="consent-{consent_id}.json"'},
    )


# ---------------------------------------------------------------------------------------------- export


@router.get("/my-data/export", response_class=HTMLResponse)
def export_page(request: Request) -> HTMLResponse:
    signed_in(request)
    return render(request, "portal/my_data_export.html", {})


def _export(request: Request) -> DataExport:
    return platform_of(request).rights.export(signed_in(request))


@router.get("/my-data/export.json")
def export_json(request: Request) -> Response:
    """Everything held about me, machine-readable (the export is itself an access record, channel export)."""
    data = _export(request)
    return Response(
        data.model_dump_json(indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@router.get("/my-data/export.pdf")
def export_pdf(request: Request) -> Response:
    """Everything held about me, readable: the same export laid out as a PDF in my language."""
    from weasyprint import HTML  # loads Pango: only when a PDF is asked for

    data = _export(request)
    language = choose_language(request, None)
    html = templates.env.get_template("portal/my_data_export_pdf.html").render(
        lang=language,
        timezone=platform_of(request).settings.timezone,
        export=data,
        registries=json.loads(json.dumps(data.registries, ensure_ascii=False, default=str)),
        **_labels(),
    )
    return Response(
        HTML(string=html).write_pdf(),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="my-data.pdf"'},
    )


# ---------------------------------------------------------------------------------------------- rectification

_RECTIFICATION_MESSAGES = {
    "registry": N_("Choose the registry that holds the wrong data."),
    "field": N_("Say what is wrong (2 to 100 characters), for example the house number of your address."),
    "current_value": N_("At most 500 characters."),
    "correct_value": N_("Write the correct value (1 to 500 characters)."),
    "reason": N_("Explain the correction (10 to 2000 characters) and name the document that proves it."),
}


def _rectification_page(
    request: Request, *, values: dict[str, str], errors: FieldErrors, status_code: int = 200
) -> HTMLResponse:
    language = choose_language(request, None)
    return render(
        request,
        "portal/rectification.html",
        {
            "registries": [(code, gettext(language, REGISTRY_LABELS[code])) for code in sorted(REGISTRIES)],
            "values": values,
            "errors": errors.by_field,
        },
        status_code=status_code,
    )


@router.get("/my-data/rectification", response_class=HTMLResponse)
def rectification_form(request: Request) -> HTMLResponse:
    signed_in(request)
    return _rectification_page(request, values={}, errors=FieldErrors())


@router.post("/my-data/rectification", response_class=HTMLResponse)
def request_rectification(request: Request) -> Response:
    """The correction becomes a case at the registry's owner, answered within the ZRU-445 term."""
    actor = signed_in(request)
    language = choose_language(request, None)
    form = form_of(request)
    values = {name: str(form.get(name, "")).strip() for name in _RECTIFICATION_MESSAGES}
    errors = FieldErrors()
    if values["registry"] not in REGISTRIES:  # said together with the form's other objections
        unknown = _RECTIFICATION_MESSAGES["registry"]
        errors.add("registry", gettext(language, unknown))
    try:
        command = RectificationRequest.model_validate({**values, "current_value": values["current_value"] or None})
        case = platform_of(request).rights.request_rectification(actor, command)
    except (ValidationError, DomainError) as error:
        _objections(error, language, _RECTIFICATION_MESSAGES, errors)
    if errors:
        return _rectification_page(request, values=values, errors=errors, status_code=422)
    return redirect(f"/cases/{case.registration_number}/receipt")
