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
from shaffof.reports.schemas import DictionaryEntry, GroupBy, StatisticsReport
from shaffof.reports.service import Filters
from shaffof.web.deps import PlatformDep

router = APIRouter(tags=["statistics"])

PARAMETERS = frozenset({"from", "to", "agency", "service", "region", "group_by", "lang"})


def refuse_unknown_parameters(request: Request, allowed: frozenset[str] = PARAMETERS) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise UnknownFilter(
            f"Unknown parameter(s): {', '.join(unknown)}; the statistics take {', '.join(sorted(allowed))}.",
            errors=[FieldError(f"query/{name}", "unknown parameter") for name in unknown],
        )


def filters(
    request: Request,
    from_: Annotated[str | None, Query(alias="from", max_length=7, description="first month, YYYY-MM")] = None,
    to: Annotated[str | None, Query(max_length=7, description="last month, YYYY-MM (not in the future)")] = None,
    agency: Annotated[str | None, Query(max_length=16, description="agency code")] = None,
    service: Annotated[str | None, Query(max_length=64, description="service code")] = None,
    region: Annotated[str | None, Query(max_length=64, description="ISO 3166-2 region of the agencies")] = None,
) -> Filters:
    refuse_unknown_parameters(request)
    return Filters(from_month=from_, to_month=to, agency=agency, service=service, region=region)


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


@router.get("/statistics.csv", response_class=PlainTextResponse)
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
