"""Catalog operations: import the service packages, look agencies and services up."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.automation.models import AutomationModel
from shaffof.catalog.errors import AgencyNotFound, CatalogueInvalid, ServiceNotFound
from shaffof.catalog.models import Agency, Service
from shaffof.catalog.package import Catalogue, ServicePackage, load_packages
from shaffof.db.uow import UnitOfWork
from shaffof.errors import FieldError


@dataclass
class ImportReport:
    agencies_created: list[str] = field(default_factory=list)
    agencies_updated: list[str] = field(default_factory=list)
    services_created: list[str] = field(default_factory=list)
    services_new_version: list[str] = field(default_factory=list)
    services_unchanged: list[str] = field(default_factory=list)


def validate_packages(directory: Path) -> Catalogue:
    return load_packages(directory)


def import_packages(uow: UnitOfWork, directory: Path) -> ImportReport:
    """Load every package; refuse the whole import if any has an error; commit all or nothing."""
    catalogue = load_packages(directory)
    if not catalogue.ok:
        raise CatalogueInvalid(
            f"{len(catalogue.problems)} problem(s) in the service packages; nothing was imported",
            errors=[FieldError(f"{p.file}:{p.path}", p.message) for p in catalogue.problems],
        )
    session = uow.session
    report = ImportReport()
    by_code = {a.code: a for a in session.scalars(sa.select(Agency))}
    for entry in catalogue.agencies:
        agency = by_code.get(entry.code)
        name = entry.name.model_dump()
        if agency is None:
            agency = Agency(code=entry.code, name=name, region=entry.region)
            session.add(agency)
            by_code[entry.code] = agency
            report.agencies_created.append(entry.code)
        elif agency.name != name or agency.region != entry.region:
            agency.name, agency.region = name, entry.region
            report.agencies_updated.append(entry.code)
    session.flush()
    for entry in catalogue.agencies:
        parent_id = by_code[entry.parent].id if entry.parent else None
        if by_code[entry.code].parent_id != parent_id:
            by_code[entry.code].parent_id = parent_id
            if entry.code not in report.agencies_created + report.agencies_updated:
                report.agencies_updated.append(entry.code)

    for package in catalogue.services:
        current = session.scalar(sa.select(Service).where(Service.code == package.code, Service.is_current))
        content_hash = package.content_hash()
        automation = catalogue.automation.get(package.code)
        if automation is not None:  # a changed process or table is a new version of the service
            content_hash = hashlib.sha256(f"{content_hash}:{automation.digest}".encode()).hexdigest()
        if current is not None and current.content_hash == content_hash:
            report.services_unchanged.append(package.code)
            continue
        version = 1
        if current is not None:
            current.is_current = False
            version = current.version + 1
            session.flush()  # one current version at a time, even mid-transaction
            report.services_new_version.append(f"{package.code} v{version}")
        else:
            report.services_created.append(package.code)
        row = _service_row(package, by_code[package.agency].id, version, content_hash)
        session.add(row)
        if automation is not None:
            session.flush()
            session.add(AutomationModel(service_id=row.id, digest=automation.digest, files=automation.files))
    session.flush()
    uow.commit()
    return report


def _service_row(package: ServicePackage, agency_id: int, version: int, content_hash: str) -> Service:
    return Service(
        code=package.code,
        version=version,
        is_current=True,
        content_hash=content_hash,
        agency_id=agency_id,
        kind=package.kind,
        category=package.category,
        name=package.name.model_dump(),
        description=package.description.model_dump(),
        recipients=package.recipients,
        legal_basis=[c.model_dump(mode="json", exclude_none=True) for c in package.legal_basis],
        form_schema=package.form,
        required_documents=[d.model_dump(mode="json") for d in package.required_documents],
        fee=package.fee.model_dump(mode="json", exclude_none=True),
        deadline_policy=package.effective_deadline_policy,
        deadline=package.deadline.model_dump(mode="json", exclude_none=True) if package.deadline else None,
        assurance_level=package.assurance_level,
        signature_required=package.signature_required,
        integrity=package.integrity.model_dump(mode="json") if package.integrity else None,
    )


def list_services(session: Session, *, category: str | None = None, query: str | None = None) -> list[Service]:
    statement = sa.select(Service).where(Service.is_current).order_by(Service.code)
    if category:
        statement = statement.where(Service.category == category)
    services = list(session.scalars(statement))
    if query:
        needle = query.casefold()
        services = [s for s in services if needle in s.code or any(needle in n.casefold() for n in s.name.values())]
    return services


def get_service(session: Session, code: str) -> Service:
    service = session.scalar(sa.select(Service).where(Service.code == code, Service.is_current))
    if service is None:
        raise ServiceNotFound(f"There is no service with the code {code!r}; see GET /api/v1/services.")
    return service


def get_agency_by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(sa.select(Agency).where(Agency.code == code))
    if agency is None:
        raise AgencyNotFound(f"There is no agency with the code {code!r}; see GET /api/v1/agencies.")
    return agency


def get_agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise AgencyNotFound(f"There is no agency with id {agency_id}.")
    return agency


def list_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(sa.select(Agency).order_by(Agency.code)).all()


def agency_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(sa.select(Agency.id, Agency.code)).all())
