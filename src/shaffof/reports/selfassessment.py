"""How this deployment's own catalogue fares on OSI-style service-provision features.

The UN's Online Service Index scores binary features of a national portal (legal.md). This is the same
idea applied to the services this installation offers: for each feature, the share of current services
that have it, counted from the catalogue and — for automated decisions — from the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from shaffof.catalog.models import Service
from shaffof.db.engine import Database
from shaffof.reports.models import StatsMonthly


@dataclass(frozen=True)
class Feature:
    code: str
    description: str
    services_with: int
    services: int

    @property
    def share(self) -> float | None:
        return round(self.services_with / self.services, 4) if self.services else None


def assess(db: Database) -> list[Feature]:
    with db.reading() as session:
        services = list(session.scalars(sa.select(Service).where(Service.is_current).order_by(Service.code)))
        automated_codes = set(
            session.scalars(
                sa.select(Service.code)
                .join(StatsMonthly, StatsMonthly.service_id == Service.id)
                .where(StatsMonthly.decided_automatically > 0)
                .distinct()
            )
        )
    total = len(services)

    def count(predicate: list[bool]) -> int:
        return sum(predicate)

    return [
        Feature(
            "fully_online",
            "can be applied for online from start to finish (form, documents, answer)",
            count([bool(s.form_schema) for s in services]),
            total,
        ),
        Feature(
            "documents_online",
            "takes its documents as electronic files",
            count([all(d.get("media_types") for d in s.required_documents) for s in services]),
            total,
        ),
        Feature(
            "e_signature",
            "requires the applicant's electronic signature (ZRU-793)",
            count([s.signature_required for s in services]),
            total,
        ),
        Feature(
            "legal_basis_cited",
            "cites the legal norms it rests on",
            count([bool(s.legal_basis) for s in services]),
            total,
        ),
        Feature(
            "deadline_stated",
            "states its statutory deadline before one applies",
            count([bool(s.deadline_policy) for s in services]),
            total,
        ),
        Feature(
            "free_of_charge",
            "costs the applicant nothing",
            count([float(s.fee.get("amount", 0) or 0) == 0 for s in services]),
            total,
        ),
        Feature(
            "automated_decisions",
            "has had decisions made automatically by rules (with a human review on request)",
            count([s.code in automated_codes for s in services]),
            total,
        ),
    ]
