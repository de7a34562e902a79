"""The staff dashboard (``/officer/statistics``): the public figures for the officer's or head's own agency
(an auditor's choice of agency, or every body), each figure a link to the list of its cases
(``/officer/statistics/cases``), and for heads and auditors the integrity monitor's open findings per rule.

Who sees which agency, and whether the findings are shown, is decided by the statistics domain's policy
(reports/policy.py); the lists show what the officer's queue shows — number, service, state, deadline — and
no applicant data, so they need no access record. Filters are a plain GET form; a bad filter is shown next
to its field and nothing is counted.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shaffof.catalog import service as catalog
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.reports.charts import grouped_columns
from shaffof.reports.errors import PeriodInvalid, UnknownFilter
from shaffof.reports.schemas import Measure
from shaffof.reports.service import Filters
from shaffof.web.ui import nav
from shaffof.web.ui.browser import PageRoute, platform_of, signed_in
from shaffof.web.ui.i18n import N_, gettext
from shaffof.web.ui.statistics import percent
from shaffof.web.ui.views import choose_language, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
CASE_LIST_LIMIT = 500
FILTER_FIELDS = ("from", "to", "agency", "service")


def staff_and_auditors(actor: Actor | None) -> bool:
    return actor is not None and (actor.is_agency_staff or actor.role is Role.auditor)


nav.register(nav.NavLink("/officer/statistics", N_("Agency statistics"), staff_and_auditors, order=33))

# The figures that lead to a list of cases, with their page texts (message ids).
MEASURE_LABELS: dict[Measure, str] = {
    Measure.received: N_("Received"),
    Measure.decided: N_("Decided"),
    Measure.decided_late: N_("Decided after the deadline"),
    Measure.decided_automatically: N_("Decided automatically"),
    Measure.overdue_now: N_("Overdue now"),
    Measure.contested: N_("Contested"),
}
SEVERITIES = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}


def _chosen(
    from_: str | None = Query(default=None, alias="from", max_length=16),
    to: str | None = Query(default=None, max_length=16),
    agency: str | None = Query(default=None, max_length=32),
    service: str | None = Query(default=None, max_length=80),
) -> dict[str, str | None]:
    """The filters as the form sent them (an empty field is no filter)."""
    return {"from": from_ or None, "to": to or None, "agency": agency or None, "service": service or None}


Chosen = Annotated[dict[str, str | None], Depends(_chosen)]


def _filters(chosen: dict[str, str | None]) -> Filters:
    return Filters(from_month=chosen["from"], to_month=chosen["to"], agency=chosen["agency"], service=chosen["service"])


def cases_link(measure: Measure, chosen: dict[str, str | None], **narrower: str) -> str:
    """The address of the case list behind a figure, under the same filters (narrowed, e.g. to a service)."""
    query = {k: v for k, v in {**chosen, **narrower}.items() if v}
    return "/officer/statistics/cases?" + urlencode({"measure": measure.value, **query})


def _filter_errors(error: PeriodInvalid | UnknownFilter) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in error.errors:
        field = problem.path if problem.path in FILTER_FIELDS else "from"
        errors.setdefault(field, []).append(problem.message)
    return errors or {"from": [error.detail]}


def _options(request: Request, actor: Actor, language: str) -> dict[str, list[tuple[str, str]]]:
    with platform_of(request).db.reading() as session:
        agencies = sorted((a.code, a.name[language]) for a in catalog.list_agencies(session))
        services = sorted((s.code, s.name[language]) for s in catalog.list_services(session))
    # Only an auditor chooses the agency; staff always see their own.
    return {"agency": agencies if actor.role is Role.auditor else [], "service": services}


@router.get("/officer/statistics", response_class=HTMLResponse)
def dashboard(request: Request, chosen: Chosen) -> HTMLResponse:
    actor = signed_in(request)
    language = choose_language(request, None)
    context: dict[str, Any] = {
        "chosen": chosen,
        "options": _options(request, actor, language),
        "errors": {},
        "board": None,
        "percent": percent,
        "measures": MEASURE_LABELS,
        "Measure": Measure,
        "cases_link": cases_link,
        "severities": SEVERITIES,
    }
    try:
        board = platform_of(request).statistics.staff_dashboard(actor, _filters(chosen), language=language)
    except (PeriodInvalid, UnknownFilter) as error:
        context["errors"] = _filter_errors(error)
        return render(request, "portal/staff_statistics.html", context, status_code=422)
    months = [row.key for row in board.by_month.rows]
    context |= {
        "board": board,
        "total": board.by_service.total,
        "trend_chart": grouped_columns(
            gettext(language, "Month by month"),
            gettext(language, "Cases received and decided in each month."),
            months,
            [
                (gettext(language, "Received"), [r.measures.received for r in board.by_month.rows]),
                (gettext(language, "Decided"), [r.measures.decided for r in board.by_month.rows]),
            ],
        )
        if months
        else None,
    }
    return render(request, "portal/staff_statistics.html", context)


@router.get("/officer/statistics/cases", response_class=HTMLResponse)
def cases_behind(request: Request, chosen: Chosen, measure: str = Query(default="", max_length=32)) -> HTMLResponse:
    """The cases a figure counts: registration number, service, state and deadline, as the queue shows them."""
    actor = signed_in(request)
    language = choose_language(request, None)
    context: dict[str, Any] = {"chosen": chosen, "errors": {}, "listing": None, "measures": MEASURE_LABELS}
    if measure not in {m.value for m in Measure}:
        context["errors"] = {"measure": [gettext(language, "Choose one of the figures.")]}
        return render(request, "portal/staff_statistics_cases.html", context, status_code=422)
    chosen_measure = Measure(measure)
    context["measure"] = chosen_measure
    try:
        listing = platform_of(request).statistics.cases_behind(
            actor, chosen_measure, _filters(chosen), limit=CASE_LIST_LIMIT
        )
    except (PeriodInvalid, UnknownFilter) as error:
        context["errors"] = _filter_errors(error)
        return render(request, "portal/staff_statistics_cases.html", context, status_code=422)
    context |= {"listing": listing, "back": "/officer/statistics?" + urlencode({k: v for k, v in chosen.items() if v})}
    return render(request, "portal/staff_statistics_cases.html", context)
