"""The applicant rates the answer to their case (1-5, once)."""

from __future__ import annotations

from fastapi import APIRouter

from shaffof.cases.ratings import Rate, RatingPublic
from shaffof.web.deps import CurrentActor, PlatformDep

router = APIRouter(tags=["cases"])


@router.post("/cases/{registration_number}/rating", response_model=RatingPublic, status_code=201)
def rate(registration_number: str, body: Rate, actor: CurrentActor, platform: PlatformDep) -> RatingPublic:
    return platform.ratings.rate(actor, registration_number, body)
