"""What the privacy domain shows: access records, consents, the person's data export."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shaffof.privacy.models import AccessChannel, AccessOutcome, LegalGround


class AccessRecordPublic(BaseModel):
    """One read of a person's data, as the person and the auditor see it."""

    id: uuid.UUID
    at: dt.datetime
    subject_pinfl: str
    who: str | None = Field(description="the account that read the data")
    agency: str | None = Field(description="the agency code of the reader")
    channel: AccessChannel
    categories: list[str]
    purpose: str
    legal_ground: LegalGround
    citation: dict[str, Any]
    case: str | None
    outside_case: bool
    stated_reason: str | None
    outcome: AccessOutcome
    refusal: str | None
    leaf_hash: str = Field(description="its leaf in the ledger (base64 RFC 9162 leaf hash)")


class AccessRecordVerification(BaseModel):
    record_id: uuid.UUID
    leaf_hash: str
    matches_record: bool = Field(description="the stored row hashes to the leaf it was logged under")
    in_ledger: bool
    leaf_index: int | None = Field(description="its index once the sequencer has integrated it")


class ConsentGive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: str = Field(min_length=2, max_length=16, description="agency code of the recipient")
    purpose: str = Field(min_length=3, max_length=100)
    categories: list[str] = Field(min_length=1, max_length=10)
    days: int = Field(ge=1, le=3650, description="the term of the consent, in days")


class ConsentPublic(BaseModel):
    id: uuid.UUID
    recipient: str
    purpose: str
    categories: list[str]
    given_at: dt.datetime
    expires_at: dt.datetime
    withdrawn_at: dt.datetime | None
    active: bool
    receipt_sha256: str = Field(description="hex SHA-256 of the canonical consent record the receipt signs")
    receipt_token: str = Field(description="base64 RFC 3161 token of the platform TSA over receipt_sha256")
    withdrawal_token: str | None


class TombstonePublic(BaseModel):
    id: uuid.UUID
    at: dt.datetime
    what: str
    categories: list[str]
    content_sha256: str = Field(
        description="hex SHA-256 of the destroyed (encrypted) content: proves what, not shows it"
    )
    reason: str
    citation: dict[str, Any]
    leaf_hash: str


class DataExport(BaseModel):
    """Everything the platform holds about the person (ZRU-547: the subject's right of access)."""

    pinfl: str
    generated_at: dt.datetime
    registries: dict[str, Any]
    cases: list[dict[str, Any]]
    consents: list[ConsentPublic]
    access_records: list[AccessRecordPublic]
