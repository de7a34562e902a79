"""The archive's administration over HTTP: the retention schedule, legal holds, disposal and tombstones.
Who may do what is decided by the archive domain (administrators and archivists), not here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from shaffof.archive.schemas import (
    DisposalReport,
    DisposalRequest,
    HoldCreate,
    HoldPublic,
    HoldRelease,
    RetentionSchedulePublic,
    TombstonePublic,
)
from shaffof.archive.service import Archive
from shaffof.web.deps import MAX_INTEGER, CurrentActor, PlatformDep, RowId

router = APIRouter(prefix="/admin/archive", tags=["archive"])


def get_archive(platform: PlatformDep) -> Archive:
    return platform.archive


ArchiveDep = Annotated[Archive, Depends(get_archive)]


@router.get("/retention", response_model=RetentionSchedulePublic)
def retention(actor: CurrentActor, archive: ArchiveDep) -> RetentionSchedulePublic:
    """The retention classes: document types, period after the case closes, and the ground of each."""
    return archive.retention(actor)


@router.get("/holds", response_model=list[HoldPublic])
def holds(
    actor: CurrentActor,
    archive: ArchiveDep,
    registration_number: str | None = None,
    in_force: bool = Query(default=False, description="only holds still in force"),
) -> list[HoldPublic]:
    return archive.holds(actor, registration_number=registration_number, in_force_only=in_force)


@router.post("/holds", response_model=HoldPublic, status_code=201)
def place_hold(body: HoldCreate, actor: CurrentActor, archive: ArchiveDep) -> HoldPublic:
    """Hold a case's records: nothing of it is disposed of until the hold is lifted."""
    return archive.place_hold(actor, body.registration_number, body.reason, body.authority)


@router.post("/holds/{registration_number}/{seq}/release", response_model=HoldPublic)
def release_hold(
    registration_number: str, seq: RowId, body: HoldRelease, actor: CurrentActor, archive: ArchiveDep
) -> HoldPublic:
    """Lift a hold (it stays in the history)."""
    return archive.release_hold(actor, registration_number, seq, body.reason, body.authority)


@router.post("/disposals", response_model=DisposalReport)
def dispose(body: DisposalRequest, actor: CurrentActor, archive: ArchiveDep) -> DisposalReport:
    """Dispose of content whose retention ended and that no hold keeps; `dry_run` only lists it."""
    return archive.dispose(actor, body.authority, dry_run=body.dry_run)


@router.get("/tombstones", response_model=list[TombstonePublic])
def tombstones(
    actor: CurrentActor,
    archive: ArchiveDep,
    limit: int = Query(default=100, ge=1, le=1000),
    before: int | None = Query(default=None, ge=1, le=MAX_INTEGER),
) -> list[TombstonePublic]:
    """What was disposed of, when, why and by whose authority — newest first, with each leaf hash."""
    return archive.tombstones(actor, limit=limit, before=before)
