"""Public views and commands of automated decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shaffof.automation.models import ReviewResult, RunStatus
from shaffof.cases.models import Outcome
from shaffof.legal import Citation


class ContestRoute(BaseModel):
    """How the applicant has an automated decision looked at by a person (told with every decision)."""

    endpoint: str
    within_days: int
    citation: Citation
    explanation: dict[str, str]


class ReviewPublic(BaseModel):
    result: ReviewResult
    outcome: str
    reason: str
    review_case: str | None
    reviewed_at: dt.datetime
    awaiting_approval: bool = Field(
        default=False, description="a replacement (a reversal) waits for a second officer's approval"
    )
    sent_back: str | None = Field(
        default=None, description="the second officer sent the replacement back, with this reason: review again"
    )


class TracePublic(BaseModel):
    """The decision record: outcome, reasons in uz/ru/en, the rules that fired with their norms, every input
    with its source, the model version and the machine-readable steps."""

    registration_number: str
    status: RunStatus
    service: str
    service_version: int
    model_digest: str
    decisive_date: dt.date | None
    outcome: str | None
    reasons: dict[str, str]
    citations: list[Citation]
    illustrative: list[str] = Field(
        default_factory=list,
        description="codes of the cited rule sets that are illustrative (not norms of the legal ground)",
    )
    inputs: dict[str, Any]
    parameters: dict[str, Any]
    steps: list[dict[str, Any]]
    error: str | None
    decided_at: dt.datetime | None
    contest: ContestRoute | None
    review: ReviewPublic | None


class ReviewCommand(BaseModel):
    """An officer's review of a contested automated decision."""

    model_config = ConfigDict(extra="forbid")
    result: Literal["confirmed", "replaced"]
    outcome: Outcome | None = Field(default=None, description="the new outcome (required when replacing)")
    reason: str = Field(min_length=3, max_length=5000, description="why — recorded and told to the applicant")


class ReplayResult(BaseModel):
    """A decision re-run on the model version and inputs it was made with."""

    registration_number: str
    model_digest: str
    stored_outcome: str | None
    replayed_outcome: str | None
    stored_rules: list[str]
    replayed_rules: list[str]

    @property
    def reproduced(self) -> bool:
        return self.stored_outcome == self.replayed_outcome and self.stored_rules == self.replayed_rules


class AdvanceReport(BaseModel):
    checked: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
