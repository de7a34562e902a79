"""The mediator's HTTP face: the signed agency query, the officer's lookup, the form pre-fill, the log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from shaffof.mediator.policies import Operator
from shaffof.mediator.schemas import (
    MediatorRequest,
    MediatorResponse,
    MessagePublic,
    MessageVerification,
    OfficerLookup,
    PolicyChangePublic,
    PolicyCreate,
    PolicyPublic,
    PolicyRevoke,
    PolicyUpdate,
    Prefill,
)
from shaffof.web.deps import MAX_INTEGER, CurrentActor, PlatformDep, RowId, StoredId

router = APIRouter(tags=["registries"])


async def _raw_body(request: Request) -> bytes:
    """The request body exactly as sent: the signature covers these bytes, not a re-serialisation."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post(
    "/mediator/{registry}/{service}",
    response_model=MediatorResponse,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": MediatorRequest.model_json_schema()}},
            "required": True,
        }
    },
)
def mediator_query(
    registry: str,
    service: str,
    body: RawBody,
    actor: CurrentActor,
    platform: PlatformDep,
    key_id: Annotated[str | None, Header(alias="X-Mediator-Key-Id", max_length=64)] = None,
    signature: Annotated[str | None, Header(alias="X-Mediator-Signature", max_length=200)] = None,
) -> MediatorResponse:
    """An agency system's query of a base registry, with its purpose and case; signed, logged, recorded."""
    return platform.mediator.query(actor, registry, service, body, key_id=key_id, signature=signature)


@router.post("/registries/{registry}/{service}/lookup", response_model=MediatorResponse)
def officer_lookup(
    registry: str, service: str, command: OfficerLookup, actor: CurrentActor, platform: PlatformDep
) -> MediatorResponse:
    """An officer's look at a person's registry data (through the mediator: policy, log, access record)."""
    return platform.mediator.lookup(actor, registry, service, command)


@router.get("/services/{code}/prefill", response_model=Prefill)
def prefill(code: str, actor: CurrentActor, platform: PlatformDep) -> Prefill:
    """The service's form fields the registries already know for the signed-in citizen (once-only)."""
    return platform.mediator.prefill(actor, code)


@router.get("/mediator/messages", response_model=list[MessagePublic])
def messages(
    actor: CurrentActor,
    platform: PlatformDep,
    limit: int = Query(default=100, ge=1, le=500),
    before: int | None = Query(default=None, ge=1, le=MAX_INTEGER),
) -> list[MessagePublic]:
    """The message log (auditors), newest first."""
    return platform.mediator.messages(actor, limit=limit, before=before)


@router.get("/mediator/messages/{message_id}/verify", response_model=MessageVerification)
def verify_message(message_id: StoredId, actor: CurrentActor, platform: PlatformDep) -> MessageVerification:
    """An entry checked against its sealed batch and the batch's RFC 3161 token."""
    return platform.mediator.verify_message(actor, message_id)


@router.get("/mediator/policies", response_model=list[PolicyPublic])
def list_policies(actor: CurrentActor, platform: PlatformDep) -> list[PolicyPublic]:
    """The access policies, revoked ones included (administrators and auditors). Deny by default: nothing
    else is allowed."""
    return platform.policies.all(actor)


@router.post("/mediator/policies", response_model=PolicyPublic, status_code=201)
def add_policy(body: PolicyCreate, actor: CurrentActor, platform: PlatformDep) -> PolicyPublic:
    """Add an access policy (administrators); the change is logged with who and why."""
    return platform.policies.add(Operator.of(actor), body)


@router.patch("/mediator/policies/{policy_id}", response_model=PolicyPublic)
def change_policy(policy_id: RowId, body: PolicyUpdate, actor: CurrentActor, platform: PlatformDep) -> PolicyPublic:
    """Change a policy's categories, legal ground, citation or logging level (administrators), logged."""
    return platform.policies.change(Operator.of(actor), policy_id, body)


@router.post("/mediator/policies/{policy_id}/revoke", response_model=PolicyPublic)
def revoke_policy(policy_id: RowId, body: PolicyRevoke, actor: CurrentActor, platform: PlatformDep) -> PolicyPublic:
    """Revoke a policy (administrators): from the commit on it allows nothing; logged with who and why."""
    return platform.policies.revoke(Operator.of(actor), policy_id, body)


@router.get("/mediator/policies/{policy_id}/changes", response_model=list[PolicyChangePublic])
def policy_history(policy_id: RowId, actor: CurrentActor, platform: PlatformDep) -> list[PolicyChangePublic]:
    """Every change of the policy: when, by whom, why, before and after."""
    return platform.policies.history(actor, policy_id)
