"""The integrity domain reads the real population registry (family ties) and the real data tracker."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from shaffof.cases.schemas import CaseSubmit
from shaffof.identity import pinfl
from shaffof.identity import service as identity
from shaffof.identity.models import Person
from shaffof.identity.pinfl import Sex
from shaffof.integrity.sources import RegistryFamilyTies
from shaffof.privacy import grounds
from shaffof.privacy.models import AccessChannel, LegalGround
from shaffof.privacy.service import Access, record_access
from shaffof.registries.models import FamilyRelation, PopulationRecord, Relation
from shaffof.registries.service import address_context
from tests.factories import APPEAL_FORM, World
from tests.integration import registry_data

SON = pinfl.build(dt.date(2018, 2, 3), Sex.male, "261", "103")


def person_ids(world: World, *codes: str) -> dict[str, int]:
    with world.platform.db.uow() as uow:
        for code in codes:
            if uow.session.scalar(sa.select(Person.id).where(Person.pinfl == code)) is None:
                identity.register_person(uow, pinfl=code, last_name="Karimov", first_name="Qarindosh")
        uow.commit()
    with world.platform.db.reading() as session:
        return dict(session.execute(sa.select(Person.pinfl, Person.id).where(Person.pinfl.in_(codes))).all())


def add_son(world: World) -> None:
    """A second child of alice, known to the registry: the daughter's brother."""
    cipher = world.platform.registries.cipher
    with world.platform.db.uow() as uow:
        uow.session.add(
            PopulationRecord(
                pinfl=SON, last_name="Karimov", first_name="Sardor", patronymic=None, birth_date=dt.date(2018, 2, 3),
                sex=Sex.male, citizenship="UZ", registered_since=dt.date(2018, 4, 1),
                address_encrypted=cipher.encrypt("{}", address_context("registry_population", SON)),
            )
        )  # fmt: skip
        uow.session.flush()
        alice = world.pinfls["alice"]
        uow.session.add(FamilyRelation(pinfl=alice, relative_pinfl=SON, relation=Relation.child, since=SON_SINCE))
        uow.session.add(FamilyRelation(pinfl=SON, relative_pinfl=alice, relation=Relation.parent, since=SON_SINCE))
        uow.commit()


SON_SINCE = dt.date(2018, 2, 3)


def test_relatives_are_spouse_parents_children_and_siblings_through_a_shared_parent(world: World) -> None:
    registry_data.load(world)
    add_son(world)
    alice, bob = world.pinfls["alice"], world.pinfls["bob"]
    ids = person_ids(world, alice, bob, registry_data.HUSBAND, registry_data.DAUGHTER, SON)
    ties = RegistryFamilyTies()
    with world.platform.db.reading() as session:
        assert ties.relatives(session, ids[alice]) == {
            ids[registry_data.HUSBAND],
            ids[registry_data.DAUGHTER],
            ids[SON],
        }
        assert ties.relatives(session, ids[registry_data.DAUGHTER]) == {
            ids[alice],
            ids[registry_data.HUSBAND],
            ids[SON],
        }
        assert ties.relatives(session, ids[SON]) == {ids[alice], ids[registry_data.DAUGHTER]}  # no father on record
        assert ties.relatives(session, ids[bob]) == set()


def test_asking_for_a_whole_body_at_once_answers_as_asking_each_officer(world: World) -> None:
    """Assignment asks ``related_to`` for all of a body's officers in a few queries; for every pair of people it
    must say exactly what ``relatives`` says of each."""
    registry_data.load(world)
    add_son(world)
    codes = (world.pinfls["alice"], world.pinfls["bob"], registry_data.HUSBAND, registry_data.DAUGHTER, SON)
    everyone = list(person_ids(world, *codes).values())
    ties = RegistryFamilyTies()
    with world.platform.db.reading() as session:
        for applicant in everyone:
            expected = {officer for officer in everyone if applicant in ties.relatives(session, officer)}
            assert ties.related_to(session, everyone, applicant) == expected
        assert ties.related_to(session, [], everyone[0]) == set()
        assert any(ties.related_to(session, everyone, applicant) for applicant in everyone)  # the data has ties


def test_an_officer_married_to_the_applicant_per_the_registry_is_never_assigned(world: World) -> None:
    registry_data.load(world)
    husband = registry_data.HUSBAND
    person_ids(world, husband)
    with world.platform.db.uow() as uow:  # toshhok.officer2 is alice's husband in the population registry
        world.platform.integrity.set_officer(uow, "toshhok.officer2", pinfl=husband)
        uow.commit()
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
    numbers = [world.platform.cases.submit(world.actors["alice"], command).case.registration_number for _ in range(3)]
    assert {world.assignee(n) for n in numbers} == {"toshhok.officer"}
    bobs = world.platform.cases.submit(world.actors["bob"], command).case.registration_number
    assert world.assignee(bobs) == "toshhok.officer2"  # workload-balanced: bob is no relative


def test_a_look_at_a_persons_data_without_their_case_is_a_finding(world: World) -> None:
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
    number = world.platform.cases.submit(world.actors["alice"], command).case.registration_number
    officer = world.actors[world.assignee(number)]
    world.platform.cases.take(officer, number)  # recorded with alice's case: lawful
    world.platform.cases.get(world.actors["auditor"], number)  # an auditor's read: oversight, not flagged
    with world.platform.db.uow() as uow:  # the same officer looks at bob, who has no case with the body
        record_access(
            uow.session,
            Access(
                subject_pinfl=world.pinfls["bob"], channel=AccessChannel.officer, categories=("identity",),
                purpose="curiosity", legal_ground=LegalGround.legal_obligation, citation=grounds.CASE_CONSIDERATION,
                actor=officer,
            ),
        )  # fmt: skip
        record_access(  # and at alice again, under her own case: lawful
            uow.session,
            Access(
                subject_pinfl=world.pinfls["alice"], channel=AccessChannel.officer, categories=("identity",),
                purpose="consideration", legal_ground=LegalGround.legal_obligation,
                citation=grounds.CASE_CONSIDERATION, actor=officer, case_number=number,
            ),
        )  # fmt: skip
        uow.commit()
    summary = world.platform.scan_integrity()
    assert "access_without_case" in summary.checked_rules and "access_without_case" not in summary.not_run
    findings = [
        f for f in world.platform.integrity.findings(world.actors["auditor"]) if f.rule == "access_without_case"
    ]
    assert len(findings) == 1 and findings[0].officer == officer.display_name
