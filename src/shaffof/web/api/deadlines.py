"""Deadlines: the policies, the public calculator, the legal calendar and its overrides; the officer's
extension of a case's answer deadline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from shaffof.cases.schemas import CasePublic, Extend
from shaffof.deadlines.calendar import WorkingWeek
from shaffof.deadlines.schemas import (
    CalculationPublic,
    CalendarYearPublic,
    OverrideCreate,
    OverridePublic,
    PolicyPublic,
)
from shaffof.deadlines.service import Deadlines
from shaffof.web.deps import CasesDep, CurrentActor, PlatformDep
from shaffof.web.ui.views import choose_language

router = APIRouter(tags=["deadlines"])


def get_deadlines(platform: PlatformDep) -> Deadlines:
    return platform.deadlines


DeadlinesDep = Annotated[Deadlines, Depends(get_deadlines)]
Lang = Annotated[str | None, Query(max_length=5, description="uz, ru or en; default: Accept-Language, then uz")]


@router.get("/deadlines/policies", response_model=list[PolicyPublic])
def policies(request: Request, deadlines: DeadlinesDep, lang: Lang = None) -> list[PolicyPublic]:
    """The deadline policies by their stable names, each with its settings and citation."""
    return deadlines.list_policies(choose_language(request, lang))


@router.get("/deadlines/calculate", response_model=CalculationPublic)
def calculate(
    request: Request,
    deadlines: DeadlinesDep,
    policy: Annotated[str, Query(max_length=64, description="a name from GET /api/v1/deadlines/policies")],
    received_at: Annotated[
        str, Query(max_length=64, description="ISO 8601 with an offset, e.g. 2026-03-06T10:00:00+05:00")
    ],
    lang: Lang = None,
) -> CalculationPublic:
    """The due date(s) for a receipt at ``received_at``, with the explanation and the citation."""
    return deadlines.calculate(policy, received_at, choose_language(request, lang))


@router.get("/deadlines/calendar/{year}", response_model=CalendarYearPublic)
def calendar(
    year: int,
    request: Request,
    deadlines: DeadlinesDep,
    working_week: WorkingWeek = WorkingWeek.five_days,
    lang: Lang = None,
) -> CalendarYearPublic:
    """The year's holidays, decree days, swapped working days and overrides, and its working-day count."""
    return deadlines.calendar_year(year, working_week, choose_language(request, lang))


@router.post("/deadlines/calendar/overrides", response_model=OverridePublic, status_code=201)
def add_override(body: OverrideCreate, actor: CurrentActor, deadlines: DeadlinesDep) -> OverridePublic:
    """Enter a decreed day off or a swapped working day (administrators); the due dates of open cases
    whose count passes the date move at once, each with a timeline event."""
    return deadlines.add_override(actor, body)


@router.post("/officer/cases/{registration_number}/extend", response_model=CasePublic, tags=["officer"])
def extend(registration_number: str, body: Extend, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    """Extend the answer deadline: ``study`` (ZRU-445 Art. 28(2)) or ``exceptional`` (Art. 28(3), the head)."""
    return cases.extend(actor, registration_number, body)
