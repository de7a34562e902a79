"""What the archive takes and shows: legal holds, disposal requests, plans and tombstones."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from shaffof.archive.retention import RetentionClass


class HoldCreate(BaseModel):
    registration_number: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=1000, description="why the case's records must be kept")
    authority: str = Field(min_length=1, max_length=500, description="who ordered it: court, decision, date")


class HoldRelease(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    authority: str = Field(min_length=1, max_length=500)


class HoldPublic(BaseModel):
    registration_number: str
    seq: int
    reason: str
    authority: str
    placed_at: dt.datetime
    placed_by_account_id: int
    released_at: dt.datetime | None
    released_by_account_id: int | None
    release_reason: str | None
    release_authority: str | None
    in_force: bool


class DisposalRequest(BaseModel):
    authority: str = Field(
        min_length=1, max_length=500, description="the act approving the disposal (e.g. the expert commission's)"
    )
    dry_run: bool = Field(default=False, description="list what would be disposed of; change nothing")


class RecordRef(BaseModel):
    registration_number: str
    agency_id: int
    case_id: uuid.UUID
    document_type: str


class DisposalCandidate(BaseModel):
    sha256: str
    size: int
    media_type: str
    retention_class: str
    retain_until: dt.datetime
    records: list[RecordRef]


class TombstonePublic(BaseModel):
    id: int
    sha256: str
    size: int
    media_type: str
    retention_class: str
    records: list[dict[str, Any]]
    retain_until: dt.datetime
    reason: str
    basis: dict[str, Any]
    authority: str
    disposed_at: dt.datetime
    disposed_by_account_id: int
    leaf_hash: str | None = Field(default=None, description="base64 leaf hash of the tombstone in the ledger")


class DisposalReport(BaseModel):
    dry_run: bool
    due: list[DisposalCandidate] = Field(description="content whose retention ended (disposed of unless dry_run)")
    held: int = Field(description="contents past retention kept because a legal hold is in force")
    disposed: list[TombstonePublic]


class RetentionSchedulePublic(BaseModel):
    classes: list[RetentionClass]
    source: str = Field(description="the schedule file in force")
