"""The officer's side: the agency queue and the actions on a case."""

from __future__ import annotations

from fastapi import APIRouter, Query

from shaffof.cases.models import CaseState
from shaffof.cases.schemas import CasePublic, CaseSummary, Close, Decide, Forward, InfoRequest, Take
from shaffof.web.deps import MAX_INTEGER, CasesDep, CurrentActor, PlatformDep

router = APIRouter(prefix="/officer", tags=["officer"])


@router.get("/queue", response_model=list[CaseSummary])
def queue(
    actor: CurrentActor,
    cases: CasesDep,
    state: CaseState | None = None,
    service: str | None = Query(default=None, max_length=64),
    mine: bool = False,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_INTEGER),
) -> list[CaseSummary]:
    """The agency's open cases, the nearest deadline first."""
    return cases.queue(actor, state=state, service=service, mine=mine, limit=limit, offset=offset)


@router.post("/cases/{registration_number}/take", response_model=CasePublic)
def take(registration_number: str, actor: CurrentActor, cases: CasesDep, body: Take | None = None) -> CasePublic:
    return cases.take(actor, registration_number, reason=body.reason if body else None)


@router.post("/cases/{registration_number}/request-info", response_model=CasePublic)
def request_info(registration_number: str, body: InfoRequest, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    return cases.request_info(actor, registration_number, body.message)


@router.post("/cases/{registration_number}/forward", response_model=CasePublic)
def forward(registration_number: str, body: Forward, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    return cases.forward(actor, registration_number, body.agency, body.reason)


@router.post("/cases/{registration_number}/decide", response_model=CasePublic)
def decide(registration_number: str, body: Decide, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    """Decide; with ``totp`` the officer signs the decision document personally in the same step."""
    signer = platform.decision_documents(platform.pki.decision_key(actor, body.totp)) if body.totp else None
    return platform.cases.decide(actor, registration_number, body.outcome, body.reason, signer=signer)


@router.post("/cases/{registration_number}/close", response_model=CasePublic)
def close(registration_number: str, body: Close, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    return cases.close(actor, registration_number, body.reason)
