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
    description: dict[str, str]  # uz, ru, en
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
            {
                "uz": "boshidan oxirigacha onlayn so'raladi (ariza shakli, hujjatlar, javob)",
                "ru": "можно получить онлайн от начала до конца (форма, документы, ответ)",
                "en": "can be applied for online from start to finish (form, documents, answer)",
            },
            count([bool(s.form_schema) for s in services]),
            total,
        ),
        Feature(
            "documents_online",
            {
                "uz": "hujjatlarni elektron fayl sifatida qabul qiladi",
                "ru": "принимает документы электронными файлами",
                "en": "takes its documents as electronic files",
            },
            count([all(d.get("media_types") for d in s.required_documents) for s in services]),
            total,
        ),
        Feature(
            "e_signature",
            {
                "uz": "arizachining elektron imzosini talab qiladi (ZRU-793)",
                "ru": "требует электронной подписи заявителя (ЗРУ-793)",
                "en": "requires the applicant's electronic signature (ZRU-793)",
            },
            count([s.signature_required for s in services]),
            total,
        ),
        Feature(
            "legal_basis_cited",
            {
                "uz": "asoslangan huquqiy normalarni ko'rsatadi",
                "ru": "ссылается на нормы права, на которых основана",
                "en": "cites the legal norms it rests on",
            },
            count([bool(s.legal_basis) for s in services]),
            total,
        ),
        Feature(
            "deadline_stated",
            {
                "uz": "qonuniy muddatini ariza berishdan oldin aytadi",
                "ru": "сообщает установленный законом срок до подачи",
                "en": "states its statutory deadline before one applies",
            },
            count([bool(s.deadline_policy) for s in services]),
            total,
        ),
        Feature(
            "free_of_charge",
            {"uz": "arizachi uchun bepul", "ru": "бесплатна для заявителя", "en": "costs the applicant nothing"},
            count([float(s.fee.get("amount", 0) or 0) == 0 for s in services]),
            total,
        ),
        Feature(
            "automated_decisions",
            {
                "uz": "qoidalar asosida avtomatik qarorlar qabul qilingan (so'rovga ko'ra inson ko'rib chiqadi)",
                "ru": "решения принимались автоматически по правилам (с пересмотром человеком по запросу)",
                "en": "has had decisions made automatically by rules (with a human review on request)",
            },
            count([s.code in automated_codes for s in services]),
            total,
        ),
    ]
