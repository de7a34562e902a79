"""Pydantic schemas of the integrity domain (API bodies and views)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shaffof.cases.models import Outcome
from shaffof.integrity.models import AssignmentStrategy, FindingStatus, ProposalStatus, RecusalReason, Severity
from shaffof.legal import Citation


class Reasoned(BaseModel):
    """A body with a reason. Emptiness is judged by the domain (so that the refusal names the field)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=4000)


class Reassign(Reasoned):
    officer: str = Field(min_length=1, max_length=64, description="login of the officer who takes the case over")


class ConflictDeclare(Reasoned):
    pinfl: str = Field(min_length=14, max_length=14, description="the person the officer has a conflict with")


class RulePublic(BaseModel):
    code: str
    severity: Severity
    title: str
    description: str
    citation: Citation | None
    basis: str
    params: dict[str, Any]


class FindingPublic(BaseModel):
    id: int
    rule: str
    title: str
    severity: Severity
    basis: str
    agency: str | None
    case: str | None = Field(description="registration number of the case the finding is about")
    officer: str | None
    detail: dict[str, Any]
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    status: FindingStatus
    dismissed_by: str | None = None
    dismissed_at: dt.datetime | None = None
    dismissal_reason: str | None = None


class RecusalPublic(BaseModel):
    case: str
    officer: str
    operation: str
    reason: RecusalReason
    at: dt.datetime


class ProposalPublic(BaseModel):
    case: str
    outcome: Outcome
    reason: str
    why: str
    proposed_by: str
    proposed_at: dt.datetime
    status: ProposalStatus


class AssignmentRuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str
    service: str | None = None
    strategy: AssignmentStrategy = AssignmentStrategy.workload_balanced
    skills: list[str] = Field(default_factory=list)


class Measure(BaseModel):
    """A number in the accountability report with the cases behind it."""

    value: float | int | None
    cases: list[str]


class OfficerLine(BaseModel):
    officer: str
    login: str
    agency: str
    cases: Measure = Field(description="cases assigned to the officer")
    decided: Measure
    on_time_percent: Measure = Field(description="share of the officer's decisions made by the answer deadline")
    reversed_on_review: Measure = Field(description="decisions reversed by the higher body on review")
    findings: Measure = Field(description="open findings that name the officer")
    average_rating: Measure = Field(
        description="the applicants' average rating (1-5) of the officer's answers, with the rated cases; "
        "None before any rating"
    )


class ScanSummary(BaseModel):
    checked_rules: list[str]
    not_run: dict[str, str]
    new: int
    seen_again: int
    open_total: int
