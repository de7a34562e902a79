"""The integrity API: four-eyes approvals, reassignment, declared conflicts, the board of findings, the
recusal log and the officer accountability report. Routes parse and call one domain operation; who may do
what is decided by the domain (shaffof.integrity.policy, shaffof.cases.policy)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.status import HTTP_204_NO_CONTENT

from shaffof.cases.schemas import CasePublic
from shaffof.integrity.models import FindingStatus
from shaffof.integrity.schemas import (
    ConflictDeclare,
    FindingPublic,
    OfficerLine,
    ProposalPublic,
    Reasoned,
    Reassign,
    RecusalPublic,
    RulePublic,
)
from shaffof.web.deps import CurrentActor, PlatformDep, RowId

router = APIRouter(prefix="/integrity", tags=["integrity"])

Language = Annotated[str, Query(pattern="^(uz|ru|en)$")]


@router.get("/rules", response_model=list[RulePublic])
def rules(platform: PlatformDep, lang: Language = "en") -> list[RulePublic]:
    """The process-integrity rules with their severity and the norm each one protects (public)."""
    return platform.integrity.rule_views(lang)


@router.get("/approvals", response_model=list[ProposalPublic])
def approvals(actor: CurrentActor, platform: PlatformDep) -> list[ProposalPublic]:
    """Decisions of the body awaiting a second officer's approval (four-eyes)."""
    return platform.integrity.pending_approvals(actor)


@router.post("/cases/{registration_number}/approve", response_model=CasePublic)
def approve(registration_number: str, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    return platform.cases.approve_decision(actor, registration_number)


@router.post("/cases/{registration_number}/send-back", response_model=CasePublic)
def send_back(registration_number: str, body: Reasoned, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    return platform.cases.send_back_decision(actor, registration_number, body.reason)


@router.post("/cases/{registration_number}/reassign", response_model=CasePublic)
def reassign(registration_number: str, body: Reassign, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    return platform.cases.reassign(actor, registration_number, body.officer, body.reason)


@router.post("/conflicts", status_code=HTTP_204_NO_CONTENT)
def declare_conflict(body: ConflictDeclare, actor: CurrentActor, platform: PlatformDep) -> None:
    """The signed-in officer declares a conflict of interest with a person (kept from colleagues)."""
    platform.integrity.declare_conflict(actor, body.pinfl, body.reason)


@router.get("/findings", response_model=list[FindingPublic])
def findings(
    actor: CurrentActor,
    platform: PlatformDep,
    status: FindingStatus | None = FindingStatus.open,
    lang: Language = "en",
) -> list[FindingPublic]:
    """The board of findings (heads: their body's; auditors: all), most severe first."""
    return platform.integrity.findings(actor, status=status, language=lang)


@router.post("/findings/{finding_id}/dismiss", response_model=FindingPublic)
def dismiss(finding_id: RowId, body: Reasoned, actor: CurrentActor, platform: PlatformDep) -> FindingPublic:
    return platform.integrity.dismiss(actor, finding_id, body.reason)


@router.get("/recusals", response_model=list[RecusalPublic])
def recusals(actor: CurrentActor, platform: PlatformDep) -> list[RecusalPublic]:
    """Officers kept off cases and why (heads: their body's; auditors: all)."""
    return platform.integrity.recusals(actor)


@router.get("/officers", response_model=list[OfficerLine])
def officers(
    actor: CurrentActor, platform: PlatformDep, agency: str | None = Query(default=None, max_length=16)
) -> list[OfficerLine]:
    """The officer accountability report (not public), each number with the cases behind it."""
    return platform.integrity.report(actor, agency)
