"""The demo registries are consistent with the demo persons, and the mediator serves them."""

from __future__ import annotations

import random

import sqlalchemy as sa

from shaffof.demo.people import make_people
from shaffof.identity import pinfl
from shaffof.registries.demo import RegistryPerson, load_registries
from shaffof.registries.models import FamilyRelation, IdentityDocument, PopulationRecord, Relation
from shaffof.registries.service import registry_service
from tests.factories import World


def test_demo_registries_are_consistent_with_the_demo_persons(world: World) -> None:
    people = make_people(300, random.Random(7))
    registries = world.platform.registries
    with world.platform.db.uow() as uow:
        counts = load_registries(
            uow.session,
            registries.cipher,
            [RegistryPerson(p.pinfl, p.last_name, p.first_name, p.patronymic) for p in people],
            random.Random(8),
        )
        uow.commit()
    assert counts["population"] == 300 and counts["family"] > 0 and counts["property"] > 0 and counts["business"] > 0
    by_pinfl = {p.pinfl: p for p in people}
    with world.platform.db.reading() as session:
        records = {r.pinfl: r for r in session.scalars(sa.select(PopulationRecord))}
        assert set(records) == set(by_pinfl)
        for record in records.values():
            facts = pinfl.parse(record.pinfl)
            assert (record.birth_date, record.sex) == (facts.birth_date, facts.sex)
            assert record.last_name == by_pinfl[record.pinfl].last_name
        relations = {(r.pinfl, r.relative_pinfl): r.relation for r in session.scalars(sa.select(FamilyRelation))}
        for (a, b), relation in relations.items():
            inverse = {
                Relation.spouse: Relation.spouse,
                Relation.child: Relation.parent,
                Relation.parent: Relation.child,
            }
            assert relations[(b, a)] is inverse[relation]
            assert records[a].last_name.rstrip("a") == records[b].last_name.rstrip("a")
            years = (records[b].birth_date - records[a].birth_date).days / 365.25
            if relation is Relation.spouse:
                assert records[a].sex != records[b].sex and abs(years) < 8
            elif relation is Relation.child:
                assert 20 <= years <= 41
        someone = next(iter(records))
        service = registry_service("population", "address")
        data = registries.read(session, service, someone, {"identity", "address"})
        assert data["identity"]["pinfl"] == someone and data["address"]["region"].startswith("UZ-")
        holder = session.scalars(sa.select(IdentityDocument)).first()
        assert holder is not None
        number = registries.read(session, registry_service("population", "documents"), holder.pinfl, {"documents"})
        assert registries.find_document(session, number["documents"][0]["number"]) == holder.pinfl
