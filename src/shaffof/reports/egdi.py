"""The UN E-Government Development Index: EGDI = (OSI + TII + HCI) / 3 (shared/legal.md; the Survey's
methodology annex, cited as data in reports/data/egdi.yaml).

Pure functions. ``components_from_indicators`` applies the UN method to raw indicator data — each indicator
standardised (z-score) over the compared countries, a component's score the weighted sum of its
indicators' z-scores, then min-max normalised to 0..1 over the same countries — and ``egdi`` averages the
three components with the edition's weights. Indicator lists and weights differ between editions, so they
are read from the data file, never written here.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from shaffof.errors import FieldError
from shaffof.reports.errors import CountryNotFound, EgdiInputInvalid

DATA = Path(__file__).parent / "data" / "egdi.yaml"
COMPONENTS = ("osi", "tii", "hci")


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class CountryScore:
    code: str
    name: str
    rank: int | None
    egdi: float | None  # as published
    osi: float | None
    tii: float | None
    hci: float | None
    sources: tuple[Source, ...]

    @property
    def has_components(self) -> bool:
        return None not in (self.osi, self.tii, self.hci)


@dataclass(frozen=True)
class Edition:
    year: str
    component_weights: dict[str, float]
    indicators: dict[str, dict[str, float]]
    countries: tuple[CountryScore, ...]


@dataclass(frozen=True)
class Method:
    formula: str
    normalisation: str
    source: Source
    groups: tuple[tuple[str, float], ...]


@cache
def load() -> tuple[Method, dict[str, Edition]]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    method = data["method"]
    editions = {
        year: Edition(
            year=year,
            component_weights=edition["component_weights"],
            indicators=edition.get("indicators", {}),
            countries=tuple(
                CountryScore(
                    code=c["code"],
                    name=c["name"],
                    rank=c.get("rank"),
                    egdi=c.get("egdi"),
                    osi=c.get("osi"),
                    tii=c.get("tii"),
                    hci=c.get("hci"),
                    sources=tuple(Source(s["title"], s["url"]) for s in c["sources"]),
                )
                for c in edition["countries"]
            ),
        )
        for year, edition in data["editions"].items()
    }
    return (
        Method(
            formula=method["formula"],
            normalisation=" ".join(method["normalisation"].split()),
            source=Source(method["source"]["title"], method["source"]["url"]),
            groups=tuple((g["name"], float(g["above"])) for g in method["groups"]),
        ),
        editions,
    )


def edition(year: str) -> Edition:
    _, editions = load()
    if year not in editions:
        raise EgdiInputInvalid(
            f"There is no EGDI data for the edition {year}; editions: {', '.join(sorted(editions))}.",
            errors=[FieldError("edition", "unknown edition")],
        )
    return editions[year]


def egdi(components: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted average of the normalised components (equal thirds in the editions shipped)."""
    return sum(components[name] * weights[name] for name in COMPONENTS) / sum(weights[name] for name in COMPONENTS)


def group(value: float) -> str:
    """Very high > 0.75, high 0.50–0.75, middle 0.25–0.50, low < 0.25."""
    method, _ = load()
    for name, above in method.groups:
        if value > above:
            return name
    return method.groups[-1][0]


def z_scores(values: dict[str, float]) -> dict[str, float]:
    mean = statistics.fmean(values.values())
    deviation = statistics.pstdev(values.values())
    if deviation == 0:
        raise EgdiInputInvalid("All countries have the same value of an indicator; it cannot be standardised.")
    return {country: (value - mean) / deviation for country, value in values.items()}


def min_max(values: dict[str, float]) -> dict[str, float]:
    low, high = min(values.values()), max(values.values())
    if high == low:
        raise EgdiInputInvalid("All countries score the same; a component cannot be normalised.")
    return {country: (value - low) / (high - low) for country, value in values.items()}


def components_from_indicators(
    raw: dict[str, dict[str, float]], indicators: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """{country: {indicator: value}} → {country: {osi, tii, hci}} by the UN method, over these countries."""
    if len(raw) < 2:
        raise EgdiInputInvalid("The UN method normalises over the compared countries: give at least two.")
    result: dict[str, dict[str, float]] = {country: {} for country in raw}
    for component in COMPONENTS:
        weights = indicators[component]
        standardised = {name: z_scores({c: raw[c][name] for c in raw}) for name in weights}
        score = {c: sum(weights[name] * standardised[name][c] for name in weights) for c in raw}
        for country, value in min_max(score).items():
            result[country][component] = value
    return result


def read_indicator_csv(text: str, indicators: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """A CSV with a ``country`` column and one column per indicator of the edition; errors name row and column."""
    needed = [name for component in COMPONENTS for name in indicators[component]]
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in ["country", *needed] if name not in (reader.fieldnames or [])]
    if missing:
        raise EgdiInputInvalid(
            f"The CSV lacks the column(s) {', '.join(missing)}.",
            errors=[FieldError(m, "missing column") for m in missing],
        )
    raw: dict[str, dict[str, float]] = {}
    errors: list[FieldError] = []
    for line, row in enumerate(reader, start=2):
        country = (row.get("country") or "").strip()
        if not country:
            errors.append(FieldError(f"line {line}/country", "empty"))
            continue
        values: dict[str, float] = {}
        for name in needed:
            try:
                values[name] = float(row[name])
            except (TypeError, ValueError):
                errors.append(FieldError(f"line {line}/{name}", f"{row.get(name)!r} is not a number"))
        raw[country] = values
    if errors:
        raise EgdiInputInvalid(
            f"{len(errors)} value(s) in the CSV cannot be used; nothing was computed.", errors=errors
        )
    return raw


@dataclass(frozen=True)
class Standing:
    """Where a country stands among the compared set and which component would move its EGDI most."""

    country: CountryScore
    position: int
    of: int
    group: str
    gains: dict[str, float]  # EGDI gained if the component reached the best in the set (1.0)
    moves_most: str | None


def standing(year: str, code: str) -> Standing:
    chosen = edition(year)
    ranked = [c for c in sorted(chosen.countries, key=lambda c: -(c.egdi or 0)) if c.egdi is not None]
    country = next((c for c in chosen.countries if c.code == code.upper()), None)
    if country is None or country.egdi is None:
        raise CountryNotFound(
            f"The {year} data has no EGDI for {code}; countries: {', '.join(c.code for c in ranked)}."
        )
    # A normalised component reaches 1.0 at the best country of the set; closing a component's gap to it
    # adds gap × weight to the EGDI — the largest such gain is the component that moves the score most.
    gains = {
        component: round((1.0 - getattr(country, component)) * chosen.component_weights[component], 4)
        for component in COMPONENTS
        if getattr(country, component) is not None
    }
    moves = max(gains, key=lambda k: gains[k]) if gains and max(gains.values()) > 0 else None
    return Standing(country, ranked.index(country) + 1, len(ranked), group(country.egdi), gains, moves)


def reproduce(year: str) -> list[dict[str, Any]]:
    """Each shipped country: its published EGDI beside the EGDI computed from its published components."""
    chosen = edition(year)
    rows = []
    for country in sorted(chosen.countries, key=lambda c: (c.rank or 10_000, c.code)):
        computed = None
        if country.has_components:
            computed = egdi(
                {"osi": country.osi, "tii": country.tii, "hci": country.hci},  # type: ignore[dict-item]
                chosen.component_weights,
            )
        rows.append(
            {
                "country": country,
                "computed": computed,
                "matches": None
                if computed is None or country.egdi is None
                else round(computed, 3) == round(country.egdi, 3),
            }
        )
    return rows
