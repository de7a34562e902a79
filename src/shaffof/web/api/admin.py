"""Administration: enrol persons (citizen accounts) and create staff accounts."""

from __future__ import annotations

from fastapi import APIRouter

from shaffof.catalog import service as catalog
from shaffof.identity import service as identity
from shaffof.identity.schemas import AccountPublic, PersonEnrol, PersonPublic, StaffAccountCreate
from shaffof.web.deps import CurrentActor, PlatformDep

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/persons", response_model=PersonPublic, status_code=201)
def enrol_person(body: PersonEnrol, actor: CurrentActor, platform: PlatformDep) -> PersonPublic:
    with platform.db.uow() as uow:
        return identity.enrol_citizen(uow, platform.passwords, actor, body)


@router.post("/accounts", response_model=AccountPublic, status_code=201)
def create_account(body: StaffAccountCreate, actor: CurrentActor, platform: PlatformDep) -> AccountPublic:
    with platform.db.uow() as uow:
        agency_id = catalog.get_agency_by_code(uow.session, body.agency).id if body.agency else None
        return identity.create_staff_account(uow, platform.passwords, actor, body, agency_id)
