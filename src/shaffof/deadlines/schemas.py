"""Pydantic schemas of the deadlines domain: commands in, public views out."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from shaffof.deadlines.calendar import DaySource, OverrideKind, WorkingWeek
from shaffof.deadlines.policies import Unit
from shaffof.legal import Citation


class PolicyPublic(BaseModel):
    name: str = Field(description="stable identifier, e.g. 'zru445-answer'")
    statutory: bool = Field(description="false for a policy a service package declares (named after the service)")
    amount: int
    unit: Unit
    working_week: WorkingWeek
    roll_forward: bool = Field(description="a last day on a non-working day moves to the next working day")
    clock_stops: bool = Field(description="the clock stops while information is awaited from the applicant")
    starts_next_working_day_outside_hours: bool
    extendable: bool = Field(description="study (Art. 28(2)) and exceptional (Art. 28(3)) extensions apply")
    description: str
    descriptions: dict[str, str]
    citation: Citation
    aliases: list[str] = Field(default_factory=list, description="former names that still resolve to it")


class ExplanationStep(BaseModel):
    kind: str
    on: dt.date | None
    text: str


class ExplanationPublic(BaseModel):
    lang: str
    text: str
    steps: list[ExplanationStep]


class CalculationPublic(BaseModel):
    policy: str
    received_at: dt.datetime
    timezone: str
    received_on: dt.date
    starts_on: dt.date
    due_on: dt.date = Field(description="the last day, in the body's time zone")
    due_at: dt.datetime = Field(description="the end of the last day, as a UTC instant")
    citation: Citation
    explanation: ExplanationPublic
    interim: list[CalculationPublic] = Field(
        default_factory=list, description="deadlines that run inside this one (a proposal's 10-day notice)"
    )


class CalendarDayPublic(BaseModel):
    date: dt.date
    working: bool
    source: DaySource
    reason: str
    names: dict[str, str]


class OverridePublic(BaseModel):
    date: dt.date
    kind: OverrideKind
    reason: str
    entered_by: str | None
    entered_at: dt.datetime
    recomputed_deadlines: int | None = Field(
        default=None, description="deadlines of open cases that moved because of this override"
    )


class CalendarYearPublic(BaseModel):
    year: int
    working_week: WorkingWeek
    working_days: int
    non_working_days: int
    days: list[CalendarDayPublic] = Field(description="holidays, decree days, swapped working days and overrides")
    overrides: list[OverridePublic]


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(description="YYYY-MM-DD", examples=["2027-03-22"])
    kind: OverrideKind
    reason: str = Field(min_length=3, max_length=500, description="the decree or the reason, shown to citizens")
