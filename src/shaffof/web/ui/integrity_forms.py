"""Fair assignment, four-eyes and recusal in the officer's pages (docs/integrity.md): what the officer's case
page needs to offer the head's reassign form and a pending decision's approve / send back, and the page where
an officer declares a conflict of interest.

Each form calls one operation of the cases or integrity domain, which decides who may do it: the head of the
body reassigns (with a reason kept on record), a second officer of the body approves or sends back a proposed
decision, and nobody may act on a case they are recused from. The page only chooses which forms to show.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from shaffof.cases.schemas import CasePublic
from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.integrity import policy as integrity_policy
from shaffof.integrity.schemas import ProposalPublic
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def pending_proposal(request: Request, actor: Actor, case: CasePublic) -> ProposalPublic | None:
    """The decision on this case that waits for a second officer (four-eyes), if any."""
    if not actor.is_agency_staff or case.state.value != "in_review":  # a proposal keeps the case in review
        return None
    proposals = platform_of(request).integrity.pending_approvals(actor, case=case.registration_number)
    return proposals[0] if proposals else None


def reassign_options(request: Request, actor: Actor, case: CasePublic) -> list[tuple[str, str]]:
    """The body's officers the head may move the case to (empty for anyone else: no form is shown)."""
    if actor.role is not Role.head or case.state.value not in ("registered", "in_review", "info_requested"):
        return []
    officers = platform_of(request).integrity.officers(actor)
    return [(login, name) for login, name in officers if name != case.assignee]


def case_page_context(request: Request, actor: Actor, case: CasePublic) -> dict[str, Any]:
    return {
        "proposal": pending_proposal(request, actor, case),
        "reassign_options": reassign_options(request, actor, case),
    }


def _conflict_page(
    request: Request, *, errors: FieldErrors, values: dict[str, str], done: bool = False, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "portal/conflict.html",
        {"errors": errors.by_field, "values": values, "done": done},
        status_code=status_code,
    )


@router.get("/officer/conflicts", response_class=HTMLResponse)
def conflict_form(request: Request) -> HTMLResponse:
    """Declare a conflict of interest: the officer is never assigned, and cannot take or decide, that
    person's cases; colleagues never see the declaration (docs/integrity.md, Recusal)."""
    actor = signed_in(request)
    integrity_policy.ensure_can_declare(actor)  # officers and heads only; others get the domain's refusal
    done = request.query_params.get("declared") == "1"
    return _conflict_page(request, errors=FieldErrors(), values={}, done=done)


@router.post("/officer/conflicts", response_class=HTMLResponse)
def declare_conflict(request: Request) -> Response:
    actor = signed_in(request)
    language = choose_language(request, None)
    posted = {k: v.strip() for k, v in form_of(request).items() if isinstance(v, str)}
    errors = FieldErrors()
    if not (posted.get("pinfl", "").isdigit() and len(posted.get("pinfl", "")) == 14):
        errors.add("pinfl", gettext(language, "Enter the person's PINFL: 14 digits."))
    if len(posted.get("reason", "")) < 3:
        errors.add("reason", gettext(language, "Enter at least %(limit)s characters.") % {"limit": 3})
    if not errors:
        try:
            platform_of(request).integrity.declare_conflict(actor, posted["pinfl"], posted["reason"])
        except DomainError as error:
            if error.status == 403:
                raise
            for problem in error.errors:
                errors.add(problem.path.split("/")[0], error.detail)
            if not error.errors:
                errors.add("", error.detail)
    if errors:
        return _conflict_page(request, errors=errors, values=posted, status_code=422)
    return redirect("/officer/conflicts?declared=1")
