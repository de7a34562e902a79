"""Realistic test data: the shipped catalogue, persons with valid PINFLs, officers of real agencies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.cases.models import Case
from shaffof.catalog.models import Agency
from shaffof.catalog.service import import_packages
from shaffof.identity import pinfl
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.identity.pinfl import Sex
from shaffof.platform import Platform

PASSWORD = "correct horse battery staple"

# The smallest well-formed documents of each accepted type.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


@dataclass
class World:
    platform: Platform
    agencies: dict[str, int] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    pinfls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, platform: Platform, services: Path) -> World:
        world = cls(platform)
        with platform.db.uow() as uow:
            import_packages(uow, services)
        with platform.db.uow() as uow:
            world.agencies = dict(uow.session.execute(sa.select(Agency.code, Agency.id)).all())
            people = {
                "alice": (dt.date(1990, 3, 14), Sex.female, "Karimova", "Aziza"),
                "bob": (dt.date(2001, 11, 2), Sex.male, "Toshmatov", "Bobur"),
            }
            for name, (born, sex, last, first) in people.items():
                code = pinfl.build(born, sex, "261", "017")
                person = identity.register_person(uow, pinfl=code, last_name=last, first_name=first)
                account = identity.create_account(
                    uow,
                    platform.passwords,
                    login=name,
                    password=PASSWORD,
                    role=Role.citizen,
                    display_name=f"{first} {last}",
                    person_id=person.id,
                )
                world.actors[name] = identity.actor_of(account)
                world.pinfls[name] = code
            staff = {
                "toshhok.officer": (Role.officer, "TOSHHOK"),
                "toshhok.officer2": (Role.officer, "TOSHHOK"),
                "toshhok.head": (Role.head, "TOSHHOK"),
                "yunushok.officer": (Role.officer, "YUNUSHOK"),
                "adliya.officer": (Role.officer, "ADLIYA"),
                "vazirlar.officer": (Role.officer, "VAZIRLAR"),
                "soliq.officer": (Role.officer, "SOLIQ"),
            }
            for login, (role, agency) in staff.items():
                account = identity.create_account(
                    uow,
                    platform.passwords,
                    login=login,
                    password=PASSWORD,
                    role=role,
                    display_name=login.replace(".", " ").title(),
                    agency_id=world.agencies[agency],
                )
                world.actors[login] = identity.actor_of(account)
            for login, role in (("auditor", Role.auditor), ("admin", Role.admin)):
                account = identity.create_account(
                    uow,
                    platform.passwords,
                    login=login,
                    password=PASSWORD,
                    role=role,
                    display_name=login.title(),
                )
                world.actors[login] = identity.actor_of(account)
            uow.commit()
        return world

    def assignee(self, registration_number: str) -> str:
        """The login of the officer a case was routed to: fair assignment decides it, not the test."""
        with self.platform.db.reading() as session:
            account_id = session.scalar(
                sa.select(Case.assignee_account_id).where(Case.registration_number == registration_number)
            )
        [login] = [login for login, actor in self.actors.items() if actor.account_id == account_id]
        return login


def token(client: TestClient, login: str) -> dict[str, str]:
    """Sign in over the API; the Authorization header for the account."""
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


APPEAL_FORM = {
    "topic": "roads_transport",
    "subject": "Ko'cha chiroqlari yonmayapti",
    "text": "Yunusobod tumani, 4-kvartal, 12-uy oldidagi ko'cha chiroqlari bir oydan beri yonmayapti.",
}
