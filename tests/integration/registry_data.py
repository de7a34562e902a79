"""Registry rows for the test world's persons (alice, bob) and two relatives known only to the registries."""

from __future__ import annotations

import datetime as dt
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shaffof.identity import pinfl
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.identity.pinfl import Sex
from shaffof.mediator.admin import DEMO_POLICIES, add_policies, register_member
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
from tests.factories import PASSWORD, World

HUSBAND = pinfl.build(dt.date(1987, 6, 1), Sex.male, "261", "101")
DAUGHTER = pinfl.build(dt.date(2015, 9, 1), Sex.female, "261", "102")
ALICE_ADDRESS = {
    "region": "UZ-TK",
    "district": "Yunusobod tumani",
    "mahalla": "Bodomzor",
    "street": "Amir Temur koʻchasi",
    "house": "12",
    "apartment": "45",
}
ALICE_ID_CARD = "AD1234567"
BOB_CADASTRE = "10:05:01:02:00045"


def load(world: World) -> dict[str, str]:
    """Population, family, documents, property and business rows; the demo access policies."""
    cipher = world.platform.registries.cipher
    alice, bob = world.pinfls["alice"], world.pinfls["bob"]
    with world.platform.db.uow() as uow:
        session = uow.session
        for code, last, first, born, sex in (
            (alice, "Karimova", "Aziza", dt.date(1990, 3, 14), Sex.female),
            (bob, "Toshmatov", "Bobur", dt.date(2001, 11, 2), Sex.male),
            (HUSBAND, "Karimov", "Rustam", dt.date(1987, 6, 1), Sex.male),
            (DAUGHTER, "Karimova", "Madina", dt.date(2015, 9, 1), Sex.female),
        ):
            address = ALICE_ADDRESS if code in (alice, HUSBAND, DAUGHTER) else {**ALICE_ADDRESS, "house": "7"}
            session.add(
                PopulationRecord(
                    pinfl=code,
                    last_name=last,
                    first_name=first,
                    patronymic=None,
                    birth_date=born,
                    sex=sex,
                    citizenship="UZ",
                    address_encrypted=cipher.encrypt(
                        json.dumps(address, ensure_ascii=False), address_context("registry_population", code)
                    ),
                    registered_since=dt.date(2018, 4, 1),
                )
            )
        session.flush()
        for a, b, relation, inverse in (
            (alice, HUSBAND, Relation.spouse, Relation.spouse),
            (alice, DAUGHTER, Relation.child, Relation.parent),
            (HUSBAND, DAUGHTER, Relation.child, Relation.parent),
        ):
            session.add(FamilyRelation(pinfl=a, relative_pinfl=b, relation=relation, since=dt.date(2014, 5, 1)))
            session.add(FamilyRelation(pinfl=b, relative_pinfl=a, relation=inverse, since=dt.date(2014, 5, 1)))
        session.add(
            IdentityDocument(
                pinfl=alice,
                kind=DocumentKind.id_card,
                number_encrypted=cipher.encrypt(ALICE_ID_CARD, document_context("id_card", alice)),
                number_index=cipher.blind_index(ALICE_ID_CARD, "document-number"),
                issued_on=dt.date(2022, 3, 1),
                expires_on=dt.date(2032, 3, 1),
                issuer="IIV Yunusobod tumani",
            )
        )
        session.add(
            PropertyRecord(
                cadastre_number=BOB_CADASTRE,
                owner_pinfl=bob,
                kind="house",
                address_encrypted=cipher.encrypt(
                    "Yunusobod tumani, Bodomzor yoʻli, 7", address_context("registry_property", BOB_CADASTRE)
                ),
                area_sqm=240.0,
                share="1/1",
                registered_on=dt.date(2021, 2, 3),
            )
        )
        session.add(
            BusinessRecord(
                tin="300000017",
                owner_pinfl=bob,
                name="YaTT Toshmatov B.",
                legal_form="individual_entrepreneur",
                activity_code="62010",
                status="active",
                registered_on=dt.date(2022, 7, 1),
            )
        )
        add_policies(session, DEMO_POLICIES)
        uow.commit()
    return {"alice": alice, "bob": bob}


def agency_system(world: World, agency: str) -> tuple[Actor, Ed25519PrivateKey, str]:
    """An agency system's account and its registered request-signing key."""
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with world.platform.db.uow() as uow:
        account = identity.create_account(
            uow,
            world.platform.passwords,
            login=f"{agency.lower()}.system",
            password=PASSWORD,
            role=Role.officer,
            display_name=f"{agency} information system",
            agency_id=world.agencies[agency],
        )
        key_id = register_member(uow.session, agency, raw)
        uow.commit()
    actor = identity.actor_of(account)
    world.actors[f"{agency.lower()}.system"] = actor
    return actor, key, key_id
