"""The mediator's wire formats."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shaffof.legal import Citation
from shaffof.mediator.models import LoggingLevel, MessageOutcome, PolicyAction
from shaffof.privacy.models import LegalGround


class MediatorRequest(BaseModel):
    """An agency system's query. The ``X-Mediator-Signature`` header carries the base64 Ed25519 signature,
    by the key named in ``X-Mediator-Key-Id``, over ``POST /api/v1/mediator/{registry}/{service}\\n`` followed
    by the exact request body bytes."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=20, description="the person's PINFL")
    purpose: str | None = Field(default=None, max_length=100, description="why: matched against access policies")
    case: str | None = Field(default=None, max_length=64, description="the consumer's case the query serves")
    categories: list[str] = Field(min_length=1, max_length=10)
    request_id: str = Field(min_length=8, max_length=64, description="unique per consumer; a replay is refused")
    issued_at: dt.datetime = Field(description="when the consumer signed it (refused beyond the allowed skew)")


class MediatorResponse(BaseModel):
    message_id: int
    registry: str
    service: str
    subject: str
    categories: list[str]
    legal_ground: LegalGround
    data: dict[str, Any]
    request_sha256: str
    response_sha256: str


class OfficerLookup(BaseModel):
    """An officer's look at a person's registry data from the workspace."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=20)
    purpose: str | None = Field(default=None, max_length=100)
    case: str | None = Field(default=None, max_length=64)
    categories: list[str] = Field(min_length=1, max_length=10)
    reason: str | None = Field(
        default=None, max_length=500, description="required outside your cases; shown to the person"
    )


class AutomatedQuery(BaseModel):
    """A service process's question about the applicant of a case (no person behind it: the rules)."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=20)
    purpose: str = Field(max_length=100, description="the service's code, as the access policy names it")
    case: str = Field(max_length=64)
    categories: list[str] = Field(min_length=1, max_length=10)


class PrefillField(BaseModel):
    value: Any
    source: str = Field(description="registry/service the value comes from")


class Prefill(BaseModel):
    """A service's form pre-filled from the registries (the once-only principle, decree UP-113)."""

    service: str
    form: dict[str, Any]
    fields: dict[str, PrefillField]


class MessagePublic(BaseModel):
    id: int
    at: dt.datetime
    consumer: str | None
    registry: str
    service: str
    purpose: str | None
    case: str | None
    outcome: MessageOutcome
    refusal: str | None
    logging: LoggingLevel
    request_sha256: str
    response_sha256: str | None
    content: dict[str, Any] | None = Field(description="request and response, at logging level 'full' only")
    batch_id: int | None


class MessageVerification(BaseModel):
    """An entry checked against its sealed batch: digest → RFC 9162 inclusion → root → TSA token."""

    message_id: int
    entry_sha256: str
    batch_id: int | None
    leaf_index: int | None
    batch_size: int | None
    audit_path: list[str] | None
    root_hash: str | None
    timestamp_token: str | None = Field(description="base64 RFC 3161 token over root_hash")
    timestamped_at: dt.datetime | None
    verified: bool
    problem: str | None


class BatchPublic(BaseModel):
    id: int
    size: int
    root_hash: str
    sealed_at: dt.datetime
    timestamp_token: str


class PolicyCreate(BaseModel):
    """A new access policy: which agency may use which registry service, for which purpose and categories,
    on which legal ground (ZRU-547 Art. 18), and what the message log keeps of the content."""

    model_config = ConfigDict(extra="forbid")

    consumer: str = Field(min_length=2, max_length=16, description="the consumer agency's code")
    registry: str = Field(min_length=2, max_length=32)
    service: str = Field(min_length=2, max_length=32)
    purpose: str = Field(min_length=3, max_length=100, pattern=r"^\S(.*\S)?$")
    categories: list[str] = Field(min_length=1, max_length=10)
    legal_ground: LegalGround
    citation: Citation | None = Field(default=None, description="the norm; by default the ground's own")
    logging: LoggingLevel = LoggingLevel.metadata
    reason: str = Field(min_length=10, max_length=500, description="why the policy is added (kept in its history)")


class PolicyUpdate(BaseModel):
    """A change of a policy's categories, ground, citation or logging level (what is absent stays)."""

    model_config = ConfigDict(extra="forbid")

    categories: list[str] | None = Field(default=None, min_length=1, max_length=10)
    legal_ground: LegalGround | None = None
    citation: Citation | None = None
    logging: LoggingLevel | None = None
    reason: str = Field(min_length=10, max_length=500, description="why the policy changes")


class PolicyRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=10, max_length=500, description="why the policy is revoked")


class PolicyPublic(BaseModel):
    id: int
    consumer: str
    registry: str
    service: str
    purpose: str
    categories: list[str]
    legal_ground: LegalGround
    citation: dict[str, Any]
    logging: LoggingLevel
    active: bool


class PolicyChangePublic(BaseModel):
    id: int
    at: dt.datetime
    policy_id: int
    action: PolicyAction
    operator: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any]
