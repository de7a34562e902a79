"""Pydantic schemas of the cases domain: commands in, public views out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shaffof.cases.models import CaseRelation, CaseState, Channel, EventKind, Outcome
from shaffof.catalog.models import ServiceKind
from shaffof.deadlines.policies import DeadlineKind
from shaffof.deadlines.sla import SlaState
from shaffof.legal import Citation


class DocumentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upload_id: uuid.UUID = Field(description="id returned by POST /api/v1/uploads")
    document_type: str = Field(description="code of a document the service lists (required_documents)")
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="the upload's SHA-256 (required in a signed submission, so the signature covers the content)",
    )


class CaseSubmit(BaseModel):
    """A submission: an application for a service or an appeal to an agency."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(description="service code, e.g. 'birth-certificate-copy' or 'general-ariza'")
    agency: str | None = Field(
        default=None, description="code of the addressed agency, for services that let the applicant choose"
    )
    form: dict[str, Any] = Field(description="the answers, validated against the service's form schema")
    documents: list[DocumentRef] = Field(default_factory=list)
    channel: Channel = Channel.api
    signature: str | None = Field(
        default=None,
        max_length=65_536,
        description=(
            "JWS (ES256, x5c, sigT) over the RFC 8785 canonical JSON of the submission exactly as sent, "
            "without 'signature' (fields left out stay out)"
        ),
    )

    def signed_content(self) -> dict[str, Any]:
        """What a signature covers: the submission as sent, without its signature (documents by digest).
        Defaults the client left out are not added, so the client can sign exactly what it sends."""
        return self.model_dump(mode="json", exclude={"signature"}, exclude_unset=True)


class InfoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=3, max_length=5000, description="what the applicant must provide")


class InfoResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=5000)
    documents: list[DocumentRef] = Field(default_factory=list)


class Forward(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str = Field(description="code of the competent agency")
    reason: str = Field(min_length=3, max_length=5000)


class Decide(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    reason: str = Field(min_length=3, max_length=10000, description="the grounds of the decision")
    totp: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description=(
            "a fresh code from the officer's authenticator: the decision document is then signed with the "
            "officer's own cloud key in the same step; without it the body's e-seal signs it shortly after"
        ),
    )


class Close(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="decision delivered", min_length=3, max_length=2000)


class Contest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=10000, description="why the decision is wrong")


class Take(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class AgencyRef(BaseModel):
    code: str
    name: dict[str, str]


class ServiceRef(BaseModel):
    code: str
    version: int
    name: dict[str, str]


class Extend(BaseModel):
    """Extend the answer deadline: ``study`` (ZRU-445 Art. 28(2): up to one month from receipt in all) or
    ``exceptional`` (Art. 28(3): the head of the body, at most one more month; the applicant is told)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="'study' or 'exceptional'", examples=["study"])
    justification: str = Field(min_length=10, max_length=5000, description="why more time is needed")
    days: int | None = Field(default=None, ge=1, le=62, description="days to add; default: the legal maximum")


class DeadlineStepPublic(BaseModel):
    kind: str
    on: dt.date | None
    text: str


class Deadline(BaseModel):
    policy: str
    description: str
    citation: Citation
    due_at: dt.datetime | None
    kind: DeadlineKind = DeadlineKind.answer
    due_on: dt.date | None = Field(default=None, description="the last day, in the body's time zone")
    started_at: dt.datetime | None = Field(default=None, description="receipt by this body: the clock's start")
    clock_stopped_at: dt.datetime | None = Field(
        default=None, description="set while the clock is stopped (information awaited from the applicant)"
    )
    ended_at: dt.datetime | None = Field(default=None, description="when the awaited act happened")
    adjustments: list[dict[str, Any]] = Field(default_factory=list, description="extensions and clock stops")
    explanation: dict[str, str] = Field(default_factory=dict, description="how the date was computed: uz, ru, en")
    steps: list[DeadlineStepPublic] = Field(default_factory=list, description="the explanation's steps (en)")


class LinkedCase(BaseModel):
    registration_number: str
    relation: CaseRelation
    direction: str = Field(description="'parent' (this case came from it) or 'child' (it came from this)")


class DocumentPublic(BaseModel):
    sha256: str
    document_type: str
    filename: str
    media_type: str
    size: int
    added_at: dt.datetime


class SignaturePublic(BaseModel):
    purpose: str = Field(description="'submission' (the applicant's) or 'decision'")
    format: str
    signer: str
    certificate_serial: str
    signing_time: dt.datetime
    timestamp: dt.datetime | None
    sha256: str = Field(description="SHA-256 of the stored signature (the JWS with its timestamp token)")


class CasePublic(BaseModel):
    registration_number: str
    kind: ServiceKind
    channel: Channel
    state: CaseState
    service: ServiceRef
    agency: AgencyRef
    received_at: dt.datetime
    registered_at: dt.datetime | None
    deadline: Deadline
    deadlines: list[Deadline] = Field(
        default_factory=list,
        description="every deadline of the case: registration, answer, proposal notice, forwarding",
    )
    assignee: str | None
    outcome: Outcome | None
    outcome_reason: str | None
    decided_at: dt.datetime | None
    closed_at: dt.datetime | None
    form: dict[str, Any]
    documents: list[DocumentPublic]
    links: list[LinkedCase]
    signatures: list[SignaturePublic] = Field(default_factory=list)
    sla: SlaState | None = Field(
        default=None, description="on_track / at_risk / overdue / long_overdue; None once closed"
    )


class CaseSummary(BaseModel):
    registration_number: str
    kind: ServiceKind
    state: CaseState
    service: str
    agency: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    assignee: str | None
    sla: SlaState | None = Field(
        default=None, description="on_track / at_risk / overdue / long_overdue; None once closed"
    )
    awaiting_approval: bool = Field(
        default=False, description="a proposed decision waits for a second officer's approval (four-eyes)"
    )


class EventPublic(BaseModel):
    seq: int
    kind: EventKind
    at: dt.datetime
    actor: str | None
    state_before: CaseState | None
    state_after: CaseState
    reason: str | None
    data: dict[str, Any]


class UploadPublic(BaseModel):
    id: uuid.UUID
    sha256: str
    filename: str
    media_type: str
    size: int
