"""The officer's and the head of body's pages: the queue (nearest deadline first, filters, SLA shown by
text and symbol, not colour alone), the case page with its actions, and the agency's deadline board.

Every action is one call of the cases domain, which decides whether this officer may do it (policy.py);
a refusal is shown on the case page with the domain's reason.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from shaffof.cases.models import CaseState, Outcome
from shaffof.cases.schemas import CasePublic, CaseSummary, Extend
from shaffof.catalog import service as catalog
from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.web.ui import forms, labels
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.citizen import case_context
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.integrity_forms import case_page_context
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
QUEUE_PAGE = 200
OVERDUE = ("overdue", "long_overdue")


def _queue(request: Request, actor: Actor, *, state: str | None, service: str | None, mine: bool) -> list[CaseSummary]:
    chosen_state = CaseState(state) if state and state in CaseState.__members__ else None
    return platform_of(request).cases.queue(
        actor, state=chosen_state, service=service or None, mine=mine, limit=QUEUE_PAGE
    )


@router.get("/officer", response_class=HTMLResponse)
def queue(
    request: Request,
    state: str | None = Query(default=None, max_length=32),
    service: str | None = Query(default=None, max_length=64),
    sla: str | None = Query(default=None, max_length=32),
    assignee: str | None = Query(default=None, max_length=64),
    mine_first: bool = Query(default=False),
) -> HTMLResponse:
    """The agency's open cases, nearest deadline first. The SLA and "unassigned" filters narrow the first
    page the domain returns (the queue is already in deadline order, so overdue cases come first)."""
    actor = signed_in(request)
    platform = platform_of(request)
    cases = _queue(request, actor, state=state, service=service, mine=assignee == "me")
    if sla:
        cases = [c for c in cases if c.sla is not None and c.sla.value == sla]
    if assignee == "none":
        cases = [c for c in cases if c.assignee is None]
    # The head may pick any officer of the body (the domain lists them only for the head).
    colleagues = platform.integrity.officers(actor) if actor.role is Role.head else []
    if assignee and assignee not in ("me", "none"):
        names = {name for login, name in colleagues if login == assignee}
        cases = [c for c in cases if c.assignee in names]
    if mine_first:  # stable: each part keeps the deadline order
        cases.sort(key=lambda c: c.assignee != actor.display_name)
    language = choose_language(request, None)
    with platform.db.reading() as session:
        services = sorted((s.code, s.name[language]) for s in catalog.list_services(session))
    options = {
        "state": [(s.value, gettext(language, labels.STATES[s.value])) for s in CaseState],
        "service": services,
        "sla": [(code, gettext(language, label.text)) for code, label in labels.SLA.items()],
        "assignee": [("me", gettext(language, "Me")), ("none", gettext(language, "Unassigned")), *colleagues],
    }
    return render(
        request,
        "portal/queue.html",
        {
            "cases": cases,
            "filters": {
                "state": state or "",
                "service": service or "",
                "sla": sla or "",
                "assignee": assignee or "",
                "mine_first": mine_first,
            },
            "options": options,
        },
    )


@router.get("/officer/board", response_class=HTMLResponse)
def board(request: Request) -> HTMLResponse:
    """The head of body's deadline board: the agency's overdue cases first, then those at risk."""
    actor = signed_in(request)
    cases = _queue(request, actor, state=None, service=None, mine=False)
    overdue = [c for c in cases if c.sla is not None and c.sla.value in OVERDUE]
    at_risk = [c for c in cases if c.sla is not None and c.sla.value == "at_risk"]
    return render(request, "portal/board.html", {"overdue": overdue, "at_risk": at_risk, "total": len(cases)})


def _officer_case(
    request: Request,
    actor: Actor,
    number: str,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    platform = platform_of(request)
    language = choose_language(request, None)
    context = case_context(request, actor, number)
    with platform.db.reading() as session:
        agencies = [(a.code, a.name) for a in catalog.list_agencies(session)]
        schema = catalog.get_service(session, context["case"].service.code).form_schema
    context |= {
        "errors": (errors or FieldErrors()).by_field,
        "values": values or {},
        "forward_options": [(code, name[language]) for code, name in agencies if code != context["case"].agency.code],
        "fields": {field.name: field for field in forms.fields_of(schema, language)},
        "outcome_options": [(o.value, gettext(language, labels.OUTCOMES[o.value])) for o in Outcome],
    }
    context |= case_page_context(request, actor, context["case"])  # four-eyes, the head's reassign form
    return render(request, "portal/officer_case.html", context, status_code=status_code)


@router.get("/officer/cases/{number}", response_class=HTMLResponse)
def officer_case(number: str, request: Request) -> HTMLResponse:
    return _officer_case(request, signed_in(request), number)


Check = Callable[[dict[str, str], str, FieldErrors], None]


def _at_least(field: str, minimum: int) -> Check:
    def check(posted: dict[str, str], language: str, errors: FieldErrors) -> None:
        if len(posted.get(field, "")) < minimum:
            errors.add(field, gettext(language, "Enter at least %(limit)s characters.") % {"limit": minimum})

    return check


def _choice(field: str, allowed: Callable[[], set[str]]) -> Check:
    def check(posted: dict[str, str], language: str, errors: FieldErrors) -> None:
        if posted.get(field, "") not in allowed():
            errors.add(field, gettext(language, "Choose one of the options."))

    return check


def _chosen(field: str) -> Check:
    """Something chosen; whether the choice is allowed is the domain's to say (e.g. an officer of the body)."""

    def check(posted: dict[str, str], language: str, errors: FieldErrors) -> None:
        if not posted.get(field, ""):
            errors.add(field, gettext(language, "Choose one of the options."))

    return check


def _act(
    request: Request, number: str, checks: list[Check], act: Callable[[Actor, dict[str, str]], CasePublic]
) -> Response:
    """Check the form, call the domain; on a refusal show the case page with the reason (status of the refusal)."""
    actor = signed_in(request)
    language = choose_language(request, None)
    form = form_of(request)
    posted = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    errors = FieldErrors()
    for check in checks:
        check(posted, language, errors)
    if errors:
        return _officer_case(request, actor, number, errors=errors, values=posted, status_code=422)
    try:
        act(actor, posted)
    except DomainError as error:
        for problem in error.errors:
            errors.add(problem.path.split("/")[0], problem.message)
        errors.add("", error.detail)
        return _officer_case(request, actor, number, errors=errors, values=posted, status_code=error.status)
    return redirect(f"/officer/cases/{number}")


def _agency_codes(request: Request) -> Callable[[], set[str]]:
    def codes() -> set[str]:
        with platform_of(request).db.reading() as session:
            return {a.code for a in catalog.list_agencies(session)}

    return codes


@router.post("/officer/cases/{number}/take")
def take(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    return _act(request, number, [], lambda actor, _posted: cases.take(actor, number))


@router.post("/officer/cases/{number}/request-info")
def request_info(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    return _act(
        request, number, [_at_least("message", 3)], lambda actor, p: cases.request_info(actor, number, p["message"])
    )


@router.post("/officer/cases/{number}/forward")
def forward(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    checks = [_choice("agency", _agency_codes(request)), _at_least("forward-reason", 3)]
    return _act(
        request, number, checks, lambda actor, p: cases.forward(actor, number, p["agency"], p["forward-reason"])
    )


def _extension(posted: dict[str, str]) -> Extend:
    days = posted.get("days", "")
    return Extend(kind=posted["kind"], justification=posted["justification"], days=int(days) if days else None)


def _days(posted: dict[str, str], language: str, errors: FieldErrors) -> None:
    days = posted.get("days", "")
    if days and (not days.isdigit() or not 1 <= int(days) <= 62):
        errors.add("days", gettext(language, "Enter a whole number of days from 1 to 62, or leave it empty."))


@router.post("/officer/cases/{number}/extend")
def extend(number: str, request: Request) -> Response:
    """Extend the answer deadline: study (ZRU-445 Art. 28(2)) or exceptional by the head (Art. 28(3))."""
    cases = platform_of(request).cases
    checks = [_choice("kind", lambda: {"study", "exceptional"}), _at_least("justification", 10), _days]
    return _act(request, number, checks, lambda actor, p: cases.extend(actor, number, _extension(p)))


@router.post("/officer/cases/{number}/decide")
def decide(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    checks = [_choice("outcome", lambda: {o.value for o in Outcome}), _at_least("reason", 3)]
    return _act(
        request, number, checks, lambda actor, p: cases.decide(actor, number, Outcome(p["outcome"]), p["reason"])
    )


@router.post("/officer/cases/{number}/approve")
def approve(number: str, request: Request) -> Response:
    """Four-eyes: a second officer of the body lets the proposed decision take effect."""
    cases = platform_of(request).cases
    return _act(request, number, [], lambda actor, _posted: cases.approve_decision(actor, number))


@router.post("/officer/cases/{number}/send-back")
def send_back(number: str, request: Request) -> Response:
    """Four-eyes: the second officer refuses the proposed decision, with a reason; the case stays in review."""
    cases = platform_of(request).cases
    return _act(
        request,
        number,
        [_at_least("send-back-reason", 3)],
        lambda actor, p: cases.send_back_decision(actor, number, p["send-back-reason"]),
    )


@router.post("/officer/cases/{number}/reassign")
def reassign(number: str, request: Request) -> Response:
    """The head of the body moves the case to another officer, with a reason kept on the timeline."""
    cases = platform_of(request).cases
    return _act(
        request,
        number,
        [_chosen("officer"), _at_least("reassign-reason", 3)],
        lambda actor, p: cases.reassign(actor, number, p["officer"], p["reassign-reason"]),
    )


@router.post("/officer/cases/{number}/close")
def close(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    return _act(request, number, [_at_least("reason", 3)], lambda actor, p: cases.close(actor, number, p["reason"]))
