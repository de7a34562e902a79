"""JSON API of automated decisions: the decision record (/trace) and the officer's review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from shaffof.automation.schemas import ReviewCommand, TracePublic
from shaffof.automation.service import Automation
from shaffof.web.deps import CurrentActor, PlatformDep


def get_automation(platform: PlatformDep) -> Automation:
    return platform.automation


AutomationDep = Annotated[Automation, Depends(get_automation)]
router = APIRouter(tags=["automated decisions"])


@router.get("/cases/{registration_number}/trace", response_model=TracePublic)
def trace(registration_number: str, actor: CurrentActor, automation: AutomationDep) -> TracePublic:
    """Why the case was decided as it was: outcome, reasons (uz/ru/en), the rules that fired with their legal
    citations, every input with its source, the model version, and how to contest. For a review case: the
    trace of the decision under review."""
    return automation.trace(actor, registration_number)


@router.post("/officer/cases/{registration_number}/review", response_model=TracePublic)
def review(
    registration_number: str, body: ReviewCommand, actor: CurrentActor, automation: AutomationDep
) -> TracePublic:
    """Confirm or replace the contested automated decision (on the review case, taken by the officer)."""
    return automation.review(actor, registration_number, body)
