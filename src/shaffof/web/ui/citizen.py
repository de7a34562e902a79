"""The citizen's pages: a service, the application form (from the service's JSON Schema) with documents,
review and submit, the receipt, "my cases" with the timeline and live status, answering a request for
information, the decision and contesting it.

Each page parses the form, calls one domain operation (cases, catalog, deadlines, ledger) and renders the
result; who may do what is decided by the cases domain's policy, never here.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile

from shaffof.canonical_json import canonicalize
from shaffof.cases.errors import SubmissionInvalid
from shaffof.cases.models import Channel
from shaffof.cases.schemas import CaseSubmit, DocumentRef
from shaffof.catalog import service as catalog
from shaffof.catalog.schemas import ServicePublic, service_public
from shaffof.deadlines.schemas import PolicyPublic
from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.oidc.assurance import AssuranceTooLow
from shaffof.oidc.models import Assurance
from shaffof.platform import Platform
from shaffof.web.deps import SESSION_COOKIE
from shaffof.web.ui import forms
from shaffof.web.ui.account import step_up_url
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
SIGNATURE_LIMIT = 65_536  # as CaseSubmit.signature
UPLOAD_FIELD = "upload-"  # hidden inputs keeping an already uploaded document: upload-<code> = id|sha256|name


def _service(platform: Platform, code: str) -> tuple[ServicePublic, dict[str, dict[str, str]]]:
    with platform.db.reading() as session:
        service = catalog.get_service(session, code)
        codes = catalog.agency_codes(session)
        agencies = {a.code: a.name for a in catalog.list_agencies(session)}
        return service_public(service, codes[service.agency_id]), agencies


def _policy(platform: Platform, service: ServicePublic, language: str) -> PolicyPublic | None:
    """The service's deadline policy as the catalogue page describes it (its own, or the statutory one)."""
    names = {service.code, service.deadline_policy}
    return next((p for p in platform.deadlines.list_policies(language) if p.name in names), None)


@router.get("/services/{code}", response_class=HTMLResponse)
def service_page(code: str, request: Request) -> HTMLResponse:
    platform = platform_of(request)
    language = choose_language(request, None)
    service, agencies = _service(platform, code)
    return render(
        request,
        "portal/service.html",
        {
            "service": service,
            "agency_name": agencies[service.agency][language],
            "policy": _policy(platform, service, language),
        },
    )


def _recipients(service: ServicePublic, agencies: dict[str, dict[str, str]], language: str) -> list[tuple[str, str]]:
    """The bodies the applicant may address (empty: only the owner, no choice to make)."""
    allowed = service.recipients or []
    codes = sorted(agencies) if "*" in allowed else allowed
    return [(c, agencies[c][language]) for c in codes if c in agencies] if len(codes) > 1 else []


def _form_page(
    request: Request,
    service: ServicePublic,
    agencies: dict[str, dict[str, str]],
    *,
    values: dict[str, str],
    uploads: dict[str, dict[str, str]],
    errors: FieldErrors,
    status_code: int = 200,
) -> HTMLResponse:
    language = choose_language(request, None)
    return render(
        request,
        "portal/apply.html",
        {
            "service": service,
            "fields": forms.fields_of(service.form_schema, language),
            "recipients": _recipients(service, agencies, language),
            "values": values,
            "uploads": uploads,
            "errors": errors.by_field,
            "documents": service.required_documents,
        },
        status_code=status_code,
    )


def _below_service_level(request: Request, code: str) -> Assurance | None:
    """The level the service needs when this browser's sign-in is below it (issue 5: asked to step up)."""
    platform = platform_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    try:
        platform.oidc.ensure_service_level(secret, code)
    except AssuranceTooLow as refusal:
        return Assurance(refusal.extra["required_acr"])
    return None


@router.get("/services/{code}/apply", response_class=HTMLResponse)
def apply_form(code: str, request: Request) -> Response:
    signed_in(request)
    service, agencies = _service(platform_of(request), code)
    needed = _below_service_level(request, code)
    if needed is not None:  # the person steps up first and comes back to the form
        return redirect(step_up_url(needed, f"/services/{code}/apply", choose_language(request, None)))
    return _form_page(request, service, agencies, values={}, uploads={}, errors=FieldErrors())


def _kept_uploads(form: FormData) -> dict[str, dict[str, str]]:
    kept = {}
    for key, value in form.multi_items():
        if key.startswith(UPLOAD_FIELD) and isinstance(value, str) and value.count("|") >= 2:
            upload_id, sha256, name = value.split("|", 2)
            kept[key.removeprefix(UPLOAD_FIELD)] = {"id": upload_id, "sha256": sha256, "name": name, "raw": value}
    return kept


def _store_uploads(
    platform: Platform, actor: Actor, service: ServicePublic, form: FormData, language: str, errors: FieldErrors
) -> dict[str, dict[str, str]]:
    """Stage each newly chosen file (the domain sniffs and limits it); keep the ones uploaded before."""
    uploads = _kept_uploads(form)
    for document in service.required_documents:
        chosen = form.get(f"doc-{document['code']}")
        if not isinstance(chosen, UploadFile) or not chosen.filename:
            continue
        limit = platform.settings.max_document_bytes
        data = chosen.file.read(limit + 1)
        if not data:
            continue
        try:
            staged = platform.cases.upload(
                actor, filename=chosen.filename, declared_type=chosen.content_type, data=data
            )
        except DomainError as error:
            errors.add(f"doc-{document['code']}", error.detail)
            continue
        raw = f"{staged.id}|{staged.sha256}|{staged.filename}"
        uploads[document["code"]] = {"id": str(staged.id), "sha256": staged.sha256, "name": staged.filename, "raw": raw}
    for document in service.required_documents:
        if document.get("required", True) and document["code"] not in uploads:
            errors.add(f"doc-{document['code']}", gettext(language, "Attach this document."))
    return uploads


@router.post("/services/{code}/apply", response_class=HTMLResponse)
def review(code: str, request: Request) -> HTMLResponse:
    """Check the answers and the documents; show them for review, or the form again with every error."""
    actor = signed_in(request)
    platform = platform_of(request)
    platform.oidc.ensure_service_level(request.cookies.get(SESSION_COOKIE), code)
    language = choose_language(request, None)
    service, agencies = _service(platform, code)
    form = form_of(request)
    posted = {k: v for k, v in form.items() if isinstance(v, str)}
    if "payload" in posted:  # "change my answers" from the review page
        answers = _payload(posted)["form"]
        return _form_page(
            request,
            service,
            agencies,
            values=forms.as_posted(answers) | {"agency": posted.get("agency", "")},
            uploads=_kept_uploads(form),
            errors=FieldErrors(),
        )
    answers, errors = forms.read_answers(service.form_schema, posted, language)
    forms.validate(service.form_schema, answers, language, errors)
    uploads = _store_uploads(platform, actor, service, form, language, errors)
    recipients = _recipients(service, agencies, language)
    agency = posted.get("agency", "")
    if recipients and agency not in {c for c, _ in recipients}:
        errors.add("agency", gettext(language, "Choose the body to address."))
    values = {k: v for k, v in posted.items() if k.startswith("f-")} | {"agency": agency}
    if errors:
        return _form_page(request, service, agencies, values=values, uploads=uploads, errors=errors, status_code=422)
    fields = forms.fields_of(service.form_schema, language)
    return render(
        request,
        "portal/review.html",
        {
            "service": service,
            "fields": fields,
            "answers": answers,
            "agency": agency,
            "agency_name": agencies[agency][language] if agency else agencies[service.agency][language],
            "uploads": uploads,
            "documents": {d["code"]: d for d in service.required_documents},
            "payload": json.dumps({"form": answers}, ensure_ascii=False),
            "idempotency_key": uuid.uuid4().hex,
            "to_sign": (
                canonicalize(_command(code, agency, answers, uploads).signed_content()).decode()
                if service.signature_required
                else None
            ),
        },
    )


def _payload(posted: dict[str, str]) -> dict[str, Any]:
    try:
        payload = json.loads(posted.get("payload", ""))
    except json.JSONDecodeError:
        raise SubmissionInvalid("The reviewed answers were damaged in transit; fill in the form again.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("form"), dict):
        raise SubmissionInvalid("The reviewed answers were damaged in transit; fill in the form again.")
    return payload


def _command(
    code: str, agency: str, answers: dict[str, Any], uploads: dict[str, dict[str, str]], signature: str | None = None
) -> CaseSubmit:
    """The submission as the portal files it. The review page shows its canonical JSON for the applicant to
    sign, so it is built the same way there and on submission (a signature covers exactly these fields)."""
    return CaseSubmit(
        service=code,
        agency=agency or None,
        form=answers,
        documents=[
            DocumentRef(upload_id=uuid.UUID(u["id"]), document_type=doc, sha256=u["sha256"])
            for doc, u in uploads.items()
        ],
        channel=Channel.portal,
        **({"signature": signature} if signature else {}),
    )


def _signature(form: FormData) -> str | None:
    """The applicant's JWS over the submission, uploaded as a file (the no-JavaScript way to sign)."""
    chosen = form.get("signature")
    if isinstance(chosen, UploadFile) and chosen.filename:
        return chosen.file.read(SIGNATURE_LIMIT + 1).decode("ascii", errors="replace").strip() or None
    return None


@router.post("/services/{code}/submit", response_class=HTMLResponse)
def submit(code: str, request: Request) -> Response:
    """File the application; a second press of the button (same key) shows the first case, never a second."""
    actor = signed_in(request)
    platform = platform_of(request)
    platform.oidc.ensure_service_level(request.cookies.get(SESSION_COOKIE), code)  # refused: a page naming it
    form = form_of(request)
    posted = {k: v for k, v in form.items() if isinstance(v, str)}
    answers = _payload(posted)["form"]
    uploads = _kept_uploads(form)
    command = _command(code, posted.get("agency", ""), answers, uploads, _signature(form))
    key = posted.get("idempotency_key") or None
    try:
        result = platform.cases.submit(actor, command, idempotency_key=key)
    except SubmissionInvalid as error:
        service, agencies = _service(platform, code)
        errors = FieldErrors()
        for problem in error.errors:
            parts = problem.path.split("/")
            name = (
                f"f-{parts[1]}" if parts[0] == "form" and len(parts) > 1 else "agency" if parts[0] == "agency" else ""
            )
            errors.add(name, problem.message)
        if not error.errors or any(p.path == "signature" for p in error.errors):
            errors.add("", error.detail)
        values = forms.as_posted(answers) | {"agency": posted.get("agency", "")}
        return _form_page(request, service, agencies, values=values, uploads=uploads, errors=errors, status_code=422)
    return redirect(f"/cases/{result.case.registration_number}/receipt")


@router.get("/cases/{number}/receipt", response_class=HTMLResponse)
def receipt(number: str, request: Request) -> HTMLResponse:
    actor = signed_in(request)
    platform = platform_of(request)
    case = platform.cases.get(actor, number)
    ledger = platform.ledger.case_receipt(actor, number)
    return render(request, "portal/receipt.html", {"case": case, "ledger": ledger})


@router.get("/cases", response_class=HTMLResponse)
def my_cases(request: Request) -> HTMLResponse:
    actor = signed_in(request)
    cases = platform_of(request).cases.my_cases(actor, limit=200)
    return render(request, "portal/my_cases.html", {"cases": cases})


def case_context(request: Request, actor: Actor, number: str) -> dict[str, Any]:
    platform = platform_of(request)
    case = platform.cases.get(actor, number)
    timeline = platform.cases.timeline(actor, number)
    request_for_info = next((e for e in reversed(timeline) if e.kind.value == "info_requested"), None)
    rating = platform.ratings.of(actor, number) if case.outcome is not None else None
    return {"case": case, "timeline": timeline, "info_request": request_for_info, "rating": rating}


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_page(number: str, request: Request) -> HTMLResponse:
    actor = signed_in(request)
    return render(request, "portal/case.html", case_context(request, actor, number) | {"errors": {}, "values": {}})


def _case_form(request: Request, number: str) -> tuple[Actor, dict[str, str], FormData]:
    actor = signed_in(request)
    form = form_of(request)
    return actor, {k: v.strip() for k, v in form.items() if isinstance(v, str)}, form


def case_with_errors(
    request: Request, actor: Actor, number: str, errors: FieldErrors, values: dict[str, str]
) -> HTMLResponse:
    context = case_context(request, actor, number) | {"errors": errors.by_field, "values": values}
    return render(request, "portal/case.html", context, status_code=422)


@router.post("/cases/{number}/respond", response_class=HTMLResponse)
def respond(number: str, request: Request) -> Response:
    """Answer the body's request for information, with documents if any."""
    actor, posted, form = _case_form(request, number)
    platform = platform_of(request)
    language = choose_language(request, None)
    errors = FieldErrors()
    documents = []
    chosen = form.get("document")
    if isinstance(chosen, UploadFile) and chosen.filename:
        data = chosen.file.read(platform.settings.max_document_bytes + 1)
        try:
            staged = platform.cases.upload(
                actor, filename=chosen.filename, declared_type=chosen.content_type, data=data
            )
            documents.append(DocumentRef(upload_id=staged.id, document_type="info_response"))
        except DomainError as error:
            errors.add("document", error.detail)
    if not posted.get("message"):
        errors.add("message", gettext(language, "Write your answer."))
    if errors:
        return case_with_errors(request, actor, number, errors, posted)
    platform.cases.provide_info(actor, number, posted["message"], documents)
    return redirect(f"/cases/{number}")


@router.post("/cases/{number}/contest", response_class=HTMLResponse)
def contest(number: str, request: Request) -> Response:
    """Contest the decision: a review case opens at the higher body (ZRU-445 Art. 22: within one year)."""
    actor, posted, _form = _case_form(request, number)
    language = choose_language(request, None)
    reason = posted.get("reason", "")
    if len(reason) < 3:
        errors = FieldErrors()
        errors.add("reason", gettext(language, "Say why the decision is wrong (at least 3 characters)."))
        return case_with_errors(request, actor, number, errors, posted)
    review_case = platform_of(request).cases.contest(actor, number, reason)
    return redirect(f"/cases/{review_case.registration_number}/receipt")


@router.get("/cases/{number}/documents/{sha256}")
def document(number: str, sha256: str, request: Request) -> Response:
    """A case document (the sealed decision among them), for whoever may read the case."""
    actor = signed_in(request)
    meta, content = platform_of(request).cases.document_content(actor, number, sha256)
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", meta.filename) or "document"
    return Response(
        content,
        media_type=meta.media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(meta.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
