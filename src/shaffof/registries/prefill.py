"""Which service form fields the registries answer (the once-only principle, decree UP-113): as data, one
rule per field — where it comes from and how it is taken out of the registry's answer.

A field is pre-filled only when the service's current form has it; the citizen can still change the value
(the form is validated as always at submission).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Data = dict[str, Any]


@dataclass(frozen=True)
class PrefillRule:
    field: str
    registry: str
    service: str
    extract: Callable[[Data], Any]


def _address(part: str) -> Callable[[Data], Any]:
    return lambda data: data.get("address", {}).get(part) or None


def _first(section: str, key: str, *, where: Callable[[Data], bool] = lambda _item: True) -> Callable[[Data], Any]:
    def extract(data: Data) -> Any:
        return next((item[key] for item in data.get(section, []) if where(item)), None)

    return extract


def _household(data: Data) -> int:
    """The person, the spouse and the children the civil-status records know."""
    return 1 + sum(1 for relative in data.get("family", []) if relative["relation"] in ("spouse", "child"))


def _street_address(data: Data) -> str | None:
    address = data.get("address")
    if not address:
        return None
    flat = f", {address['apartment']}-xonadon" if address.get("apartment") else ""
    return f"{address['street']}, {address['house']}-uy{flat}"


ADDRESS = ("population", "address")
PREFILL: dict[str, tuple[PrefillRule, ...]] = {
    "business-registration": (
        PrefillRule("region", *ADDRESS, _address("region")),
        PrefillRule("district", *ADDRESS, _address("district")),
        PrefillRule("business_address", *ADDRESS, _street_address),
    ),
    "child-allowance": (PrefillRule("household_size", "population", "family", _household),),
    "birth-certificate-copy": (
        PrefillRule(
            "child_first_name",
            "population",
            "family",
            _first("family", "first_name", where=lambda r: r["relation"] == "child"),
        ),
        PrefillRule(
            "child_birth_date",
            "population",
            "family",
            _first("family", "birth_date", where=lambda r: r["relation"] == "child"),
        ),
    ),
    "passport-replacement": (PrefillRule("issuing_office", *ADDRESS, _address("district")),),
    "land-plot-allocation": (PrefillRule("district", *ADDRESS, _address("district")),),
    "building-permit": (
        PrefillRule(
            "cadastre_number",
            "property",
            "by-owner",
            _first("property", "cadastre_number", where=lambda p: p["kind"] != "apartment"),
        ),
        PrefillRule(
            "object_address",
            "property",
            "by-owner",
            _first("property", "address", where=lambda p: p["kind"] != "apartment"),
        ),
    ),
    "cadastre-extract": (
        PrefillRule("cadastre_number", "property", "by-owner", _first("property", "cadastre_number")),
    ),
    "e-signature-key": (PrefillRule("organization_tin", "business", "by-owner", _first("business", "tin")),),
}
