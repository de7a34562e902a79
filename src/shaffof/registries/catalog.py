"""The registries and the services they offer through the mediator — as data, with the owning agency.

A service returns a fixed set of data categories; the mediator's access policies grant categories, and the
data tracker shows them to the person. Categories are words a citizen understands.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegistryService:
    registry: str
    code: str
    categories: frozenset[str]
    description: str


@dataclass(frozen=True)
class Registry:
    code: str
    owner_agency: str  # agency code (services/agencies.yaml)
    title: dict[str, str]
    services: dict[str, RegistryService]


def _services(registry: str, *specs: tuple[str, set[str], str]) -> dict[str, RegistryService]:
    return {code: RegistryService(registry, code, frozenset(cats), text) for code, cats, text in specs}


REGISTRIES: dict[str, Registry] = {
    "population": Registry(
        "population",
        "MIGRATSIYA",
        {"uz": "Aholi reestri", "ru": "Реестр населения", "en": "Population registry"},
        _services(
            "population",
            ("person", {"identity"}, "name, birth date, sex, citizenship"),
            ("address", {"identity", "address"}, "the registered address"),
            ("family", {"identity", "family"}, "spouse, children and parents"),
            ("documents", {"identity", "documents"}, "identity documents and their numbers"),
        ),
    ),
    "property": Registry(
        "property",
        "KADASTR",
        {"uz": "Koʻchmas mulk kadastri", "ru": "Кадастр недвижимости", "en": "Real estate cadastre"},
        _services("property", ("by-owner", {"property"}, "real estate the person owns")),
    ),
    "business": Registry(
        "business",
        "DAVXIZMAT",
        {
            "uz": "Tadbirkorlik subyektlari reestri",
            "ru": "Реестр субъектов предпринимательства",
            "en": "Business registry",
        },
        _services("business", ("by-owner", {"business"}, "businesses the person founded or runs")),
    ),
}

CATEGORIES = frozenset(
    {
        "identity",
        "address",
        "family",
        "documents",
        "property",
        "business",
        "case_form",
        "case_documents",
        "case_events",
        "access_log",
        "certificates",
        "mediator_content",
    }
)
