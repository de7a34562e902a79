"""The mediator's wire formats."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shaffof.mediator.models import LoggingLevel, MessageOutcome
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
