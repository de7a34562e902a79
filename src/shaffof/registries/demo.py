"""Demo registry data consistent with the demo persons: every person has a population record with an
address and an ID card; persons of one surname stem an adult generation apart are parent and child;
couples are spouses; some own real estate or run a business."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from shaffof.identity import pinfl as pinfl_codes
from shaffof.identity.pinfl import Sex
from shaffof.privacy.encryption import FieldCipher
from shaffof.registries.models import (
    BusinessRecord,
    DocumentKind,
    FamilyRelation,
    IdentityDocument,
    PopulationRecord,
    PropertyRecord,
    Relation,
)
from shaffof.registries.service import address_context, document_context

PLACES = (
    (
        "UZ-TK",
        "Yunusobod tumani",
        ("Bodomzor", "Minor", "Yunusobod-4"),
        ("Amir Temur", "Bodomzor yoʻli", "Yangi shahar"),
    ),
    ("UZ-TK", "Chilonzor tumani", ("Qatortol", "Chilonzor-9", "Novza"), ("Bunyodkor", "Qatortol", "Muqimiy")),
    ("UZ-SA", "Samarqand shahri", ("Registon", "Bogʻishamol"), ("Registon", "Dagʻbitsiy", "Universitet xiyoboni")),
)
ACTIVITIES = ("47190", "56101", "62010", "45200", "96020")


@dataclass(frozen=True)
class RegistryPerson:
    pinfl: str
    last_name: str
    first_name: str
    patronymic: str | None


def _stem(last_name: str) -> str:
    return last_name[:-1] if last_name.endswith("a") else last_name


def _address(rng: random.Random) -> dict[str, str]:
    region, district, mahallas, streets = rng.choice(PLACES)
    return {
        "region": region,
        "district": district,
        "mahalla": rng.choice(mahallas),
        "street": f"{rng.choice(streets)} koʻchasi",
        "house": str(rng.randrange(1, 120)),
        "apartment": str(rng.randrange(1, 80)) if rng.random() < 0.6 else "",
    }


def load_registries(
    session: Session, cipher: FieldCipher, persons: Sequence[RegistryPerson], rng: random.Random
) -> dict[str, int]:
    """Write the registries for ``persons`` in the caller's transaction; counts by table."""
    counts = {"population": 0, "documents": 0, "family": 0, "property": 0, "business": 0}
    parsed = {p.pinfl: pinfl_codes.parse(p.pinfl) for p in persons}
    addresses: dict[str, dict[str, str]] = {}
    for person in persons:
        facts = parsed[person.pinfl]
        addresses[person.pinfl] = address = _address(rng)
        since = max(facts.birth_date, dt.date(2000, 1, 1)) + dt.timedelta(days=rng.randrange(0, 3000))
        session.add(
            PopulationRecord(
                pinfl=person.pinfl,
                last_name=person.last_name,
                first_name=person.first_name,
                patronymic=person.patronymic,
                birth_date=facts.birth_date,
                sex=facts.sex,
                citizenship="UZ",
                address_encrypted=cipher.encrypt(
                    json.dumps(address, ensure_ascii=False), address_context("registry_population", person.pinfl)
                ),
                registered_since=min(since, dt.date(2026, 1, 1)),
            )
        )
        counts["population"] += 1
    session.flush()
    used_numbers: set[str] = set()
    for person in persons:
        facts = parsed[person.pinfl]
        if dt.date.today().year - facts.birth_date.year < 16:
            continue
        number = f"AD{rng.randrange(10**7):07d}"
        while number in used_numbers:
            number = f"AD{rng.randrange(10**7):07d}"
        used_numbers.add(number)
        issued = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 1800))
        session.add(
            IdentityDocument(
                pinfl=person.pinfl,
                kind=DocumentKind.id_card,
                number_encrypted=cipher.encrypt(number, document_context(DocumentKind.id_card.value, person.pinfl)),
                number_index=cipher.blind_index(number, "document-number"),
                issued_on=issued,
                expires_on=issued + dt.timedelta(days=3652),  # ten years (a 29 February has no .replace)
                issuer=f"IIV {addresses[person.pinfl]['district']}",
            )
        )
        counts["documents"] += 1
    counts["family"] = _families(session, persons, parsed, rng)
    owned = 0
    for person in persons:
        if rng.random() < 0.35:
            owned += 1
            address = addresses[person.pinfl]
            cadastre = (
                f"10:{rng.randrange(1, 12):02d}:{rng.randrange(1, 40):02d}:{rng.randrange(1, 99):02d}:{owned:05d}"
            )
            session.add(
                PropertyRecord(
                    cadastre_number=cadastre,
                    owner_pinfl=person.pinfl,
                    kind=rng.choice(("apartment", "house", "land_plot")),
                    address_encrypted=cipher.encrypt(
                        f"{address['district']}, {address['street']}, {address['house']}",
                        address_context("registry_property", cadastre),
                    ),
                    area_sqm=float(rng.randrange(35, 600)),
                    share="1/1",
                    registered_on=dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(0, 7500)),
                )
            )
            counts["property"] += 1
    businesses = 0
    for person in persons:
        adult = dt.date.today().year - parsed[person.pinfl].birth_date.year >= 18
        if adult and rng.random() < 0.12:
            businesses += 1
            session.add(
                BusinessRecord(
                    tin=f"3{businesses:08d}",
                    owner_pinfl=person.pinfl,
                    name=f"YaTT {person.last_name} {person.first_name[0]}.",
                    legal_form="individual_entrepreneur",
                    activity_code=rng.choice(ACTIVITIES),
                    status="active",
                    registered_on=dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(0, 3900)),
                )
            )
            counts["business"] += 1
    session.flush()
    return counts


def _families(
    session: Session, persons: Sequence[RegistryPerson], parsed: dict[str, pinfl_codes.Pinfl], rng: random.Random
) -> int:
    """Parents and children share a surname stem and are 20–40 years apart; spouses are a man and a woman
    of one stem (a wife takes the husband's surname in the demo) within 8 years of age."""
    by_stem: dict[str, list[RegistryPerson]] = {}
    for person in persons:
        by_stem.setdefault(_stem(person.last_name), []).append(person)
    written = 0
    married: set[str] = set()
    has_parents: set[str] = set()

    def relate(a: str, b: str, relation: Relation, inverse: Relation, since: dt.date) -> None:
        nonlocal written
        session.add(FamilyRelation(pinfl=a, relative_pinfl=b, relation=relation, since=since))
        session.add(FamilyRelation(pinfl=b, relative_pinfl=a, relation=inverse, since=since))
        written += 2

    for group in by_stem.values():
        group = sorted(group, key=lambda p: parsed[p.pinfl].birth_date)
        men = [p for p in group if parsed[p.pinfl].sex is Sex.male]
        women = [p for p in group if parsed[p.pinfl].sex is Sex.female]
        for man in men:
            if man.pinfl in married:
                continue
            born = parsed[man.pinfl].birth_date
            wife = next(
                (
                    w
                    for w in women
                    if w.pinfl not in married and abs((parsed[w.pinfl].birth_date - born).days) < 8 * 365
                ),
                None,
            )
            if wife is None or rng.random() < 0.3:
                continue
            married.update((man.pinfl, wife.pinfl))
            wedding = max(born, parsed[wife.pinfl].birth_date) + dt.timedelta(days=rng.randrange(20 * 365, 30 * 365))
            relate(man.pinfl, wife.pinfl, Relation.spouse, Relation.spouse, min(wedding, dt.date(2025, 6, 1)))
        for child in group:
            if child.pinfl in has_parents:
                continue
            child_born = parsed[child.pinfl].birth_date
            parents = [
                p
                for p in group
                if p.pinfl != child.pinfl and 20 * 365 <= (child_born - parsed[p.pinfl].birth_date).days <= 40 * 365
            ]
            father = next((p for p in parents if parsed[p.pinfl].sex is Sex.male), None)
            mother = next((p for p in parents if parsed[p.pinfl].sex is Sex.female), None)
            for parent in (father, mother):
                if parent is not None:
                    relate(child.pinfl, parent.pinfl, Relation.parent, Relation.child, child_born)
                    has_parents.add(child.pinfl)
    return written
