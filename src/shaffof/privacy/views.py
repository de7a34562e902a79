"""The data tracker and consents over HTTP (the person's own, and the auditor's search)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from shaffof.cases.schemas import CasePublic
from shaffof.privacy.rights import RectificationRequest
from shaffof.privacy.schemas import (
    AccessRecordPublic,
    AccessRecordVerification,
    ConsentGive,
    ConsentPublic,
    DataExport,
    TombstonePublic,
)
from shaffof.web.deps import MAX_INTEGER, CurrentActor, PlatformDep

router = APIRouter(tags=["personal data"])


@router.get("/me/access-log", response_model=list[AccessRecordPublic])
def my_access_log(
    actor: CurrentActor,
    platform: PlatformDep,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_INTEGER),
) -> list[AccessRecordPublic]:
    """Who read my data, when, why, on which legal ground and for which case — newest first."""
    return platform.privacy.my_access_log(actor, limit=limit, offset=offset)


@router.get("/access-records", response_model=list[AccessRecordPublic])
def search_access_records(
    actor: CurrentActor,
    platform: PlatformDep,
    subject: str | None = Query(default=None, max_length=14, description="PINFL"),
    agency: str | None = Query(default=None, max_length=16),
    case: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_INTEGER),
) -> list[AccessRecordPublic]:
    """The auditor's search (itself recorded as an access to each person found)."""
    return platform.privacy.search(actor, subject=subject, agency=agency, case=case, limit=limit, offset=offset)


@router.get("/access-records/{record_id}/verify", response_model=AccessRecordVerification)
def verify_access_record(record_id: uuid.UUID, actor: CurrentActor, platform: PlatformDep) -> AccessRecordVerification:
    """Rebuild the record's ledger leaf from the row and find it in the log."""
    return platform.privacy.verify(actor, record_id)


@router.get("/me/consents", response_model=list[ConsentPublic])
def my_consents(actor: CurrentActor, platform: PlatformDep) -> list[ConsentPublic]:
    return platform.privacy.consents(actor)


@router.post("/me/consents", response_model=ConsentPublic, status_code=201)
def give_consent(body: ConsentGive, actor: CurrentActor, platform: PlatformDep) -> ConsentPublic:
    """Consent to processing beyond a legal obligation; the answer carries the signed receipt."""
    return platform.privacy.give_consent(actor, body)


@router.post("/me/consents/{consent_id}/withdraw", response_model=ConsentPublic)
def withdraw_consent(consent_id: uuid.UUID, actor: CurrentActor, platform: PlatformDep) -> ConsentPublic:
    """Withdraw a consent: effective at once, the mediator refuses the next query that relied on it."""
    return platform.privacy.withdraw_consent(actor, consent_id)


@router.get("/me/data-export", response_model=DataExport)
def data_export(actor: CurrentActor, platform: PlatformDep) -> DataExport:
    """Everything the platform holds about me, machine-readable (the export is itself an access record)."""
    return platform.rights.export(actor)


@router.post("/me/rectification-requests", response_model=CasePublic, status_code=201)
def request_rectification(body: RectificationRequest, actor: CurrentActor, platform: PlatformDep) -> CasePublic:
    """Ask the registry's owner to correct wrong data: a case with the statutory deadline."""
    return platform.rights.request_rectification(actor, body)


@router.get("/me/destroyed", response_model=list[TombstonePublic])
def my_tombstones(actor: CurrentActor, platform: PlatformDep) -> list[TombstonePublic]:
    """What was destroyed of my data (ZRU-547 Art. 17): what, when, why — never the content."""
    return platform.privacy.my_tombstones(actor)
