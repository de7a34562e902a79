"""``GET /api/v1/statistics`` (GovStack-style: filters in, aggregates out), its CSV twin and the data dictionary.

Public and unauthenticated: aggregates only. An unknown query parameter is refused rather than ignored,
so a misspelt filter never silently returns the national figures.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from shaffof.errors import FieldError
from shaffof.reports import opendata
from shaffof.reports.dictionary import DICTIONARY
from shaffof.reports.errors import UnknownFilter
from shaffof.reports.schemas import CaseList, DictionaryEntry, FindingsReport, GroupBy, Measure, StatisticsReport
from shaffof.reports.service import Filters
from shaffof.web.deps import CurrentActor, PlatformDep

router = APIRouter(tags=["statistics"])

PARAMETERS = frozenset({"from", "to", "agency", "service", "region", "group_by", "lang"})
CASE_LIST_PARAMETERS = frozenset({"from", "to", "agency", "service", "region", "measure", "limit"})
FINDINGS_PARAMETERS = frozenset({"agency", "lang"})


def refuse_unknown_parameters(request: Request, allowed: frozenset[str] = PARAMETERS) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise UnknownFilter(
            f"Unknown parameter(s): {', '.join(unknown)}; the statistics take {', '.join(sorted(allowed))}.",
            errors=[FieldError(f"query/{name}", "unknown parameter") for name in unknown],
        )


def _period_and_filters(
    from_: Annotated[str | None, Query(alias="from", max_length=7, description="first month, YYYY-MM")] = None,
    to: Annotated[str | None, Query(max_length=7, description="last month, YYYY-MM (not in the future)")] = None,
    agency: Annotated[str | None, Query(max_length=16, description="agency code")] = None,
    service: Annotated[str | None, Query(max_length=64, description="service code")] = None,
    region: Annotated[str | None, Query(max_length=64, description="ISO 3166-2 region of the agencies")] = None,
) -> Filters:
    return Filters(from_month=from_, to_month=to, agency=agency, service=service, region=region)


def filters(request: Request, selected: Annotated[Filters, Depends(_period_and_filters)]) -> Filters:
    refuse_unknown_parameters(request)
    return selected


def case_list_filters(request: Request, selected: Annotated[Filters, Depends(_period_and_filters)]) -> Filters:
    refuse_unknown_parameters(request, CASE_LIST_PARAMETERS)
    return selected


FiltersDep = Annotated[Filters, Depends(filters)]
GroupByQuery = Annotated[GroupBy, Query(description="total, agency, service, region or month")]
LangQuery = Annotated[str, Query(pattern="^(uz|ru|en)$", description="language of the labels")]


@router.get("/statistics", response_model=StatisticsReport)
def statistics(
    platform: PlatformDep, selected: FiltersDep, group_by: GroupByQuery = GroupBy.total, lang: LangQuery = "en"
) -> StatisticsReport:
    """Cases received (by channel), decided, on time, overdue now, processing times, automated, contested,
    changed on review and ratings, for a period and filters, grouped as asked. Small groups are flagged."""
    return platform.statistics.report(selected, group_by, language=lang)


@router.get("/statistics.csv", response_class=PlainTextResponse, responses={200: {"content": {"text/csv": {}}}})
def statistics_csv(
    platform: PlatformDep, selected: FiltersDep, group_by: GroupByQuery = GroupBy.total, lang: LangQuery = "en"
) -> PlainTextResponse:
    """The same figures as CSV (columns as in the data dictionary), for spreadsheets."""
    report = platform.statistics.report(selected, group_by, language=lang)
    name = f"shaffof-statistics-{group_by.value}-{report.filters.from_month}-{report.filters.to_month}.csv"
    return PlainTextResponse(
        opendata.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/statistics/dictionary", response_model=list[DictionaryEntry])
def dictionary() -> list[DictionaryEntry]:
    """What every published column means, its unit and where it comes from."""
    return list(DICTIONARY)


def _findings(
    request: Request,
    platform: PlatformDep,
    agency: Annotated[str | None, Query(max_length=16, description="agency code (default: every body)")] = None,
    lang: LangQuery = "en",
) -> FindingsReport:
    refuse_unknown_parameters(request, FINDINGS_PARAMETERS)
    return platform.statistics.findings_report(agency, language=lang)


@router.get("/statistics/integrity", response_model=FindingsReport)
def integrity_findings(report: Annotated[FindingsReport, Depends(_findings)]) -> FindingsReport:
    """Open findings of the process-integrity monitor per body and rule: counts only, small counts flagged
    (the board of findings itself is for heads and auditors)."""
    return report


@router.get(
    "/statistics/integrity.csv", response_class=PlainTextResponse, responses={200: {"content": {"text/csv": {}}}}
)
def integrity_findings_csv(report: Annotated[FindingsReport, Depends(_findings)]) -> PlainTextResponse:
    """The same counts as CSV."""
    return PlainTextResponse(
        opendata.findings_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="shaffof-integrity-findings.csv"'},
    )


@router.get("/officer/statistics", response_model=StatisticsReport)
def agency_statistics(
    actor: CurrentActor,
    platform: PlatformDep,
    selected: FiltersDep,
    group_by: GroupByQuery = GroupBy.service,
    lang: LangQuery = "en",
) -> StatisticsReport:
    """The officer's and head's dashboard: the figures of their own agency (auditors: any agency)."""
    return platform.statistics.agency_report(actor, selected, group_by, language=lang)


@router.get("/officer/statistics/cases", response_model=CaseList)
def cases_behind(
    actor: CurrentActor,
    platform: PlatformDep,
    selected: Annotated[Filters, Depends(case_list_filters)],
    measure: Annotated[Measure, Query(description="the figure whose cases to list")],
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> CaseList:
    """The registration numbers behind a figure, for the agency's staff (open each with GET /cases/{number})."""
    return platform.statistics.cases_behind(actor, measure, selected, limit=limit)
