"""The public "about" and "help" pages: what Shaffof is, the laws it works under (each a link to its official
text on lex.uz), and how to apply, follow a case, contest a decision and check a signature.

The laws are data (``LAWS``: citations as shared/legal.md writes them), shown with their titles translated by
the portal's catalogues; the pages need no sign-in and show nobody's data.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shaffof.legal import Citation
from shaffof.web.ui.browser import PageRoute
from shaffof.web.ui.i18n import N_
from shaffof.web.ui.views import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

LAWS = (
    Citation(
        law="ZRU-445",
        title=N_("On appeals of individuals and legal entities: registration, deadlines, extensions, complaints"),
        url="https://lex.uz/docs/3336171",
    ),
    Citation(
        law="ZRU-395",
        title=N_("On electronic government: electronic services, one window, once-only data"),
        url="https://lex.uz/docs/2833855",
    ),
    Citation(law="ZRU-547", title=N_("On personal data: legal grounds, consent, storage in Uzbekistan")),
    Citation(law="ZRU-793", title=N_("On electronic digital signature: a valid signature equals a handwritten one")),
)


@router.get("/about", response_class=HTMLResponse)
def about(request: Request) -> HTMLResponse:
    return render(request, "portal/about.html", {"laws": LAWS})


@router.get("/help", response_class=HTMLResponse)
def help_page(request: Request) -> HTMLResponse:
    return render(request, "portal/help.html", {})
