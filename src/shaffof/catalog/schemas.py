"""Public views of the catalog."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shaffof.catalog.models import Agency, AssuranceLevel, Service, ServiceKind


class AgencyPublic(BaseModel):
    code: str
    name: dict[str, str]
    parent: str | None
    region: str | None


class ServiceSummary(BaseModel):
    code: str
    version: int
    kind: ServiceKind
    category: str
    name: dict[str, str]
    agency: str


class ServicePublic(ServiceSummary):
    description: dict[str, str]
    recipients: list[str] | None
    legal_basis: list[dict[str, Any]]
    form_schema: dict[str, Any]
    required_documents: list[dict[str, Any]]
    fee: dict[str, Any]
    deadline_policy: str
    assurance_level: AssuranceLevel
    signature_required: bool


def agency_public(agency: Agency, codes: dict[int, str]) -> AgencyPublic:
    return AgencyPublic(
        code=agency.code,
        name=agency.name,
        parent=codes.get(agency.parent_id) if agency.parent_id else None,
        region=agency.region,
    )


def service_summary(service: Service, agency_code: str) -> ServiceSummary:
    return ServiceSummary(
        code=service.code,
        version=service.version,
        kind=service.kind,
        category=service.category,
        name=service.name,
        agency=agency_code,
    )


def service_public(service: Service, agency_code: str) -> ServicePublic:
    return ServicePublic(
        **service_summary(service, agency_code).model_dump(),
        description=service.description,
        recipients=service.recipients,
        legal_basis=service.legal_basis,
        form_schema=service.form_schema,
        required_documents=service.required_documents,
        fee=service.fee,
        deadline_policy=service.deadline_policy,
        assurance_level=service.assurance_level,
        signature_required=service.signature_required,
    )
