"""Services and agencies (public, no sign-in needed)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from shaffof.catalog import service as catalog
from shaffof.catalog.schemas import (
    AgencyPublic,
    ServicePublic,
    ServiceSummary,
    agency_public,
    service_public,
    service_summary,
)
from shaffof.web.deps import PlatformDep

router = APIRouter(tags=["catalog"])


@router.get("/services", response_model=list[ServiceSummary])
def list_services(
    platform: PlatformDep,
    category: str | None = Query(default=None, max_length=64),
    q: str | None = Query(default=None, max_length=100, description="search in codes and names"),
) -> list[ServiceSummary]:
    with platform.db.reading() as session:
        codes = catalog.agency_codes(session)
        return [
            service_summary(s, codes[s.agency_id]) for s in catalog.list_services(session, category=category, query=q)
        ]


@router.get("/services/{code}", response_model=ServicePublic)
def get_service(code: str, platform: PlatformDep) -> ServicePublic:
    with platform.db.reading() as session:
        service = catalog.get_service(session, code)
        return service_public(service, catalog.agency_codes(session)[service.agency_id])


@router.get("/agencies", response_model=list[AgencyPublic])
def list_agencies(platform: PlatformDep) -> list[AgencyPublic]:
    with platform.db.reading() as session:
        codes = catalog.agency_codes(session)
        return [agency_public(a, codes) for a in catalog.list_agencies(session)]
