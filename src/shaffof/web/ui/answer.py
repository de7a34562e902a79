"""The answer to a citizen's case: the decision page (printable, with the sealed document to download and a
link to the verification page filled in with the case number) and the applicant's rating of the answer, 1 to
5 with a comment, as my.gov.uz asks once a request is answered.

The rating is one call of ``cases/ratings.py`` (which decides that only the applicant rates, once, after the
decision); the decision page reads the case through the cases domain, so an officer's look at it is recorded
for the applicant's data tracker like every other read.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from shaffof.cases.ratings import Rate
from shaffof.web.ui.browser import PageRoute, form_of, platform_of, redirect, signed_in
from shaffof.web.ui.citizen import case_with_errors
from shaffof.web.ui.forms import FieldErrors
from shaffof.web.ui.i18n import gettext
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
SCORES = (1, 2, 3, 4, 5)
COMMENT_LIMIT = 2000  # as the domain's Rate.comment


@router.post("/cases/{number}/rating", response_class=HTMLResponse)
def rate(number: str, request: Request) -> Response:
    """Rate the answer once it is decided; the score counts in the published statistics, the comment does
    not leave the case."""
    actor = signed_in(request)
    language = choose_language(request, None)
    posted = {k: v.strip() for k, v in form_of(request).items() if isinstance(v, str)}
    errors = FieldErrors()
    score = posted.get("score", "")
    if score not in {str(s) for s in SCORES}:
        errors.add("score-1", gettext(language, "Choose a score from 1 to 5."))
    if len(posted.get("comment", "")) > COMMENT_LIMIT:
        errors.add("comment", gettext(language, "Write at most %(limit)s characters.") % {"limit": COMMENT_LIMIT})
    if errors:
        return case_with_errors(request, actor, number, errors, posted)
    platform_of(request).ratings.rate(actor, number, Rate(score=int(score), comment=posted.get("comment") or None))
    return redirect(f"/cases/{number}#rating")


@router.get("/cases/{number}/decision", response_class=HTMLResponse)
def decision(number: str, request: Request) -> HTMLResponse:
    """The decision on one page: outcome, grounds, who decided and when, the sealed document and how to check
    its signature. Print styles leave out the navigation, so the printout is the decision itself."""
    actor = signed_in(request)
    case = platform_of(request).cases.get(actor, number)
    documents = [d for d in case.documents if d.document_type == "decision"]
    return render(request, "portal/decision.html", {"case": case, "documents": documents})
