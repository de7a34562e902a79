"""The portal's pages of automated decisions (docs/portal.md: gettext uz/ru/en, ``base.html``, CSRF, errors
linked to their fields, no JavaScript).

- ``/cases/{number}/trace`` — the decision record, for the applicant (and the officers who may read the case):
  the outcome and reasons, the rules that fired with their norms (an illustrative rule set is said to be one),
  every input with its source and the mediator's message, the parameters in force, how to contest.
- ``/officer/reviews/{number}`` — the review case of a contested automated decision, for the reviewing body:
  the same record, and the form to confirm or replace the outcome. A replacement reverses the decision, so it
  waits for a second officer (four-eyes, docs/integrity.md), who approves it or sends it back from this page.

Each form calls one domain operation (``Automation.review``, ``Cases.approve_decision``,
``Cases.send_back_decision``); who may do what is decided there, and a refusal is shown with its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from shaffof.automation.schemas import ReviewCommand
from shaffof.cases.models import Outcome
from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.web.ui import labels
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
RESULTS = ("confirmed", "replaced")


@router.get("/cases/{number}/trace", response_class=HTMLResponse)
def trace_page(number: str, request: Request) -> HTMLResponse:
    actor = signed_in(request)
    record = platform_of(request).automation.trace(actor, number)
    return render(request, "automation/trace.html", {"number": number, "record": record})


def _review_page(
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
    case = platform.cases.get(actor, number)
    record = platform.automation.trace(actor, number)  # the decision under review (an access record)
    context: dict[str, Any] = {
        "case": case,
        "record": record,
        "errors": (errors or FieldErrors()).by_field,
        "values": values or {},
        "outcome_options": [(o.value, gettext(language, labels.OUTCOMES[o.value])) for o in Outcome],
    }
    return render(request, "automation/review.html", context, status_code=status_code)


@router.get("/officer/reviews/{number}", response_class=HTMLResponse)
def review_page(number: str, request: Request) -> HTMLResponse:
    return _review_page(request, signed_in(request), number)


def _act(
    request: Request,
    number: str,
    check: Callable[[dict[str, str], str, FieldErrors], None],
    act: Callable[[Actor, dict[str, str]], object],
) -> Response:
    """Check the form, call the domain; a problem is shown on the review page next to its field."""
    actor = signed_in(request)
    language = choose_language(request, None)
    posted = {k: v.strip() for k, v in form_of(request).items() if isinstance(v, str)}
    errors = FieldErrors()
    check(posted, language, errors)
    if errors:
        return _review_page(request, actor, number, errors=errors, values=posted, status_code=422)
    try:
        act(actor, posted)
    except DomainError as error:
        for problem in error.errors:
            errors.add(problem.path.split("/")[0], problem.message)
        errors.add("", error.detail)
        return _review_page(request, actor, number, errors=errors, values=posted, status_code=error.status)
    return redirect(f"/officer/reviews/{number}")


def _reason(field: str) -> Callable[[dict[str, str], str, FieldErrors], None]:
    def check(posted: dict[str, str], language: str, errors: FieldErrors) -> None:
        if len(posted.get(field, "")) < 3:
            errors.add(field, gettext(language, "Enter at least %(limit)s characters.") % {"limit": 3})

    return check


def _review_form(posted: dict[str, str], language: str, errors: FieldErrors) -> None:
    if posted.get("result", "") not in RESULTS:
        errors.add("result", gettext(language, "Choose one of the options."))
    elif posted["result"] == "replaced" and posted.get("outcome", "") not in {o.value for o in Outcome}:
        errors.add("outcome", gettext(language, "Choose one of the options."))
    _reason("reason")(posted, language, errors)


def _command(posted: dict[str, str]) -> ReviewCommand:
    replacing = posted["result"] == "replaced"
    return ReviewCommand.model_validate(
        {
            "result": posted["result"],
            "outcome": posted["outcome"] if replacing else None,
            "reason": posted["reason"],
        }
    )


@router.post("/officer/reviews/{number}/review")
def review(number: str, request: Request) -> Response:
    automation = platform_of(request).automation
    return _act(request, number, _review_form, lambda actor, p: automation.review(actor, number, _command(p)))


@router.post("/officer/reviews/{number}/approve")
def approve(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    return _act(request, number, lambda *_: None, lambda actor, _p: cases.approve_decision(actor, number))


@router.post("/officer/reviews/{number}/send-back")
def send_back(number: str, request: Request) -> Response:
    cases = platform_of(request).cases
    return _act(
        request,
        number,
        _reason("send-back-reason"),
        lambda actor, p: cases.send_back_decision(actor, number, p["send-back-reason"]),
    )
