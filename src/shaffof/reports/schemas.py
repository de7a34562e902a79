"""What the statistics answer with: figures per group, the filters applied, the data dictionary."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel


class GroupBy(StrEnum):
    total = "total"
    agency = "agency"
    service = "service"
    region = "region"
    month = "month"


class Measures(BaseModel):
    """One group's figures. A share is a fraction 0..1 (None when its denominator is 0); ``small`` says
    there are too few decisions to compare this group with others (it is then listed, never ranked)."""

    received: int
    received_online: int
    received_service_centre: int
    online_share: float | None
    forwarded: int
    decided: int
    decided_on_time: int
    on_time_share: float | None
    overdue_now: int | None  # open cases past their answer deadline now (not defined per past month)
    median_processing_days: int | None
    p90_processing_days: int | None
    decided_automatically: int
    automated_share: float | None
    contested: int
    contested_share: float | None
    reviewed: int
    changed_on_review: int
    changed_on_review_share: float | None
    ratings: int
    average_rating: float | None
    small: bool


class Row(BaseModel):
    key: str  # agency code, service code, region, YYYY-MM, or "total"
    label: str  # a name for people (in the requested language)
    measures: Measures


class AppliedFilters(BaseModel):
    from_month: str
    to_month: str
    agency: str | None = None
    service: str | None = None
    region: str | None = None


class StatisticsReport(BaseModel):
    """GovStack-style statistics: the period and filters, the grouping, one row per group and the total."""

    generated_at: dt.datetime
    filters: AppliedFilters
    group_by: GroupBy
    small_number_threshold: int
    total: Measures
    rows: list[Row]
    dictionary_url: str = "/api/v1/statistics/dictionary"


class Measure(StrEnum):
    """The figures whose cases can be listed (officers, heads, auditors)."""

    received = "received"
    decided = "decided"
    decided_late = "decided_late"
    decided_automatically = "decided_automatically"
    overdue_now = "overdue_now"
    contested = "contested"


class ListedCase(BaseModel):
    """A case behind a figure, as the officer's queue shows it: no applicant, no text of the case."""

    registration_number: str
    service: str  # service code
    agency: str  # agency code
    state: str
    due_at: dt.datetime | None


class CaseList(BaseModel):
    measure: Measure
    filters: AppliedFilters
    registration_numbers: list[str]
    cases: list[ListedCase] = []  # the same cases, in the same order, with service, state and deadline
    truncated: bool  # more cases than listed: narrow the filters


class FindingCount(BaseModel):
    """Open integrity findings of one rule at one body (``agency`` None: findings that name no body).
    A count below the small-number threshold is flagged: a handful of findings ranks nobody."""

    agency: str | None
    agency_name: str | None
    rule: str
    rule_title: str
    severity: str
    basis: str  # the norm the rule protects, or "Platform rule (no statutory norm)"
    open_findings: int
    small: bool


class FindingsReport(BaseModel):
    """Open findings of the process-integrity monitor, counted per body and rule (open data: counts only)."""

    generated_at: dt.datetime
    agency: str | None  # the body asked for; None: every body
    small_number_threshold: int
    total: int
    rows: list[FindingCount]


class DictionaryEntry(BaseModel):
    name: str
    type: str
    unit: str
    definition: str
    source: str
