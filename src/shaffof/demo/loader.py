"""Load the demo data set through the real domain operations (so every row obeys the same rules).

Default size: the 15 agencies and the shipped services, 2,000 persons with valid PINFLs and 10,000 cases
spread over the past year in every state. ``scale`` multiplies persons and cases (benchmark data sets).
``bulk`` writes the cases with the load-test generator instead (:mod:`shaffof.demo.bulk`: set-based, no
ledger leaves — for benchmarks at millions of cases), with at most ``BULK_PERSONS`` persons.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from shaffof.cases.models import Case, CaseState, Channel, Outcome
from shaffof.cases.ratings import Rate
from shaffof.cases.schemas import CaseSubmit, DocumentRef
from shaffof.catalog import service as catalog
from shaffof.catalog.models import Agency, Service
from shaffof.db.base import utcnow
from shaffof.db.uow import UnitOfWork
from shaffof.demo.bulk import load_bulk_cases
from shaffof.demo.forms import fill
from shaffof.demo.people import DemoPerson, make_people
from shaffof.demo.signing import DemoSigners, HistoryTooOld, ensure_authority_since
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Account, Role
from shaffof.integrity.errors import Recused
from shaffof.mediator.admin import DEMO_POLICIES, add_policies
from shaffof.platform import Platform
from shaffof.registries.demo import RegistryPerson, load_registries

DEMO_PASSWORD = "shaffof-demo-2026"  # noqa: S105  (printed to the operator; demo refused in production)
PERSONS_PER_SCALE = 2_000
CASES_PER_SCALE = 10_000
BATCH = 250
BULK_PERSONS = 5_000  # persons are still registered through the domain; millions of cases share them

# A minimal valid PDF and JPEG, the demo's attached documents (content-addressed: stored once).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
DEMO_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


class DemoRefused(RuntimeError):
    pass


@dataclass
class DemoReport:
    agencies: int
    services: int
    staff: int
    persons: int
    cases: int


def has_demo_data(platform: Platform) -> bool:
    with platform.db.reading() as session:
        return identity.find_account_by_login(session, "admin") is not None


def load_demo(
    platform: Platform,
    services_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 2026,
    bulk: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] = lambda _task, _done, _total: None,
) -> DemoReport:
    if platform.settings.is_production:
        raise DemoRefused("Demo data with a published password is refused in production mode.")
    if has_demo_data(platform):
        raise DemoRefused("The database already holds the demo data (an account 'admin' exists).")
    rng = random.Random(seed)
    now = utcnow()
    try:  # signed submissions over the past year need a CA that existed a year ago
        ensure_authority_since(platform.pki, now - dt.timedelta(days=366))
    except HistoryTooOld as error:
        raise DemoRefused(str(error)) from None
    with platform.db.uow() as uow:
        catalog.import_packages(uow, services_dir)
    password_hash = platform.passwords.hash(DEMO_PASSWORD)

    staff: dict[int, list[Actor]] = {}
    with platform.db.uow() as uow:
        agencies = list(uow.session.scalars(sa.select(Agency).order_by(Agency.code)))
        for agency in agencies:
            low = agency.code.lower()
            for login, role, label in (
                (f"{low}.officer1", Role.officer, "Officer 1"),
                (f"{low}.officer2", Role.officer, "Officer 2"),
                (f"{low}.head", Role.head, "Head"),
            ):
                account = identity.create_account(
                    uow,
                    platform.passwords,
                    login=login,
                    password="",
                    role=role,
                    display_name=f"{label}, {agency.name['en']}",
                    agency_id=agency.id,
                    password_hash=password_hash,
                )
                if role is Role.officer:
                    staff.setdefault(agency.id, []).append(identity.actor_of(account))
        for login, role, name in (
            ("auditor", Role.auditor, "Auditor"),
            ("admin", Role.admin, "Administrator"),
        ):
            identity.create_account(
                uow,
                platform.passwords,
                login=login,
                password="",
                role=role,
                display_name=name,
                password_hash=password_hash,
            )
        uow.commit()

    persons = int(PERSONS_PER_SCALE * scale)
    people = make_people(min(persons, BULK_PERSONS) if bulk else persons, rng)
    citizens: list[Actor] = []
    logins: dict[int, str] = {}  # account → login (the PINFL), to certify the citizen's demo key
    for start in range(0, len(people), BATCH):
        with platform.db.uow() as uow:
            for person in people[start : start + BATCH]:
                row = identity.register_person(
                    uow,
                    pinfl=person.pinfl,
                    last_name=person.last_name,
                    first_name=person.first_name,
                    patronymic=person.patronymic,
                )
                account = identity.create_account(
                    uow,
                    platform.passwords,
                    login=person.pinfl,
                    password="",
                    role=Role.citizen,
                    display_name=f"{person.first_name} {person.last_name}",
                    person_id=row.id,
                    password_hash=password_hash,
                )
                citizens.append(identity.actor_of(account))
                logins[account.id] = person.pinfl
            uow.commit()
        progress("persons", min(start + BATCH, len(people)), len(people))

    _load_registries(platform, people, seed)
    _integrity_demo(platform, staff, people[0].pinfl, people[1].pinfl)

    with platform.db.reading() as session:
        services = list(session.scalars(sa.select(Service).where(Service.is_current).order_by(Service.code)))
        agency_codes = {a.id: a.code for a in agencies}
    total = int(CASES_PER_SCALE * scale)
    if bulk:
        load_bulk_cases(platform, total, seed=seed, now=now, progress=progress)
        return DemoReport(len(agencies), len(services), sum(len(v) for v in staff.values()), len(people), total)
    _load_cases(platform, rng, now, services, agencies, agency_codes, staff, citizens, logins, total, progress)
    return DemoReport(len(agencies), len(services), sum(len(v) for v in staff.values()), len(people), total)


def _load_registries(platform: Platform, people: list[DemoPerson], seed: int) -> None:
    """The base registries for the demo persons (a separate random stream: the cases stay as they were)."""
    with platform.db.uow() as uow:
        load_registries(
            uow.session,
            platform.registries.cipher,
            [RegistryPerson(p.pinfl, p.last_name, p.first_name, p.patronymic) for p in people],
            random.Random(seed + 6),
        )
        add_policies(uow.session, DEMO_POLICIES)
        uow.commit()


def _load_cases(
    platform: Platform,
    rng: random.Random,
    now: dt.datetime,
    services: list[Service],
    agencies: list[Agency],
    agency_codes: dict[int, str],
    staff: dict[int, list[Actor]],
    citizens: list[Actor],
    logins: dict[int, str],
    total: int,
    progress: Callable[[str, int, int], None],
) -> None:
    cases, pki = platform.cases, platform.pki
    real_clocks = cases.clock, pki.clock
    clock = [now]
    cases.clock = pki.clock = lambda: clock[0]  # the PKI too: certificates and timestamps dated in the history
    signers = DemoSigners(pki, lambda: clock[0])
    received = sorted(now - dt.timedelta(seconds=rng.randrange(1, 365 * 86400)) for _ in range(total))
    plan = [(at, rng.choice(services), rng.choice(citizens)) for at in received]
    try:
        for start in range(0, total, BATCH):
            batch = plan[start : start + BATCH]
            for at, service, citizen in batch:  # keys certified before the batch's transaction opens
                if service.signature_required:
                    clock[0] = at
                    signers.certify(logins[citizen.account_id])
            with platform.db.uow() as uow:
                for at, service, citizen in batch:
                    recipient = _recipient(service, agency_codes, rng)
                    documents = []
                    for spec in service.required_documents:
                        if not spec.get("required", True):
                            continue
                        media = "application/pdf" if "application/pdf" in spec["media_types"] else "image/jpeg"
                        clock[0] = at
                        uploaded = cases.upload(
                            citizen,
                            filename="document.pdf" if media == "application/pdf" else "photo.jpg",
                            declared_type=media,
                            data=DEMO_PDF if media == "application/pdf" else DEMO_JPEG,
                            uow=uow,
                        )
                        documents.append(
                            DocumentRef(upload_id=uploaded.id, document_type=spec["code"], sha256=uploaded.sha256)
                            if service.signature_required  # a signature covers the documents by digest
                            else DocumentRef(upload_id=uploaded.id, document_type=spec["code"])
                        )
                    clock[0] = at
                    command = CaseSubmit(
                        service=service.code,
                        agency=recipient,
                        form=fill(service.form_schema, rng),
                        documents=documents,
                        channel=rng.choices(list(Channel), weights=(60, 15, 15, 10))[0],
                    )
                    if service.signature_required:
                        command = signers.sign(logins[citizen.account_id], command)
                    case = cases.submit(citizen, command, uow=uow).case
                    agency_id = next(a.id for a in agencies if a.code == case.agency.code)
                    _advance(
                        platform,
                        rng,
                        uow,
                        case.registration_number,
                        at,
                        now,
                        citizen,
                        staff[agency_id],
                        agencies,
                        clock,
                    )
                uow.commit()
            progress("cases", min(start + BATCH, total), total)
    finally:
        cases.clock, pki.clock = real_clocks


def _integrity_demo(platform: Platform, staff: dict[int, list[Actor]], own_pinfl: str, conflict_pinfl: str) -> None:
    """Issue 12 in the demo: every officer has the 'land' skill (land-plot-allocation asks for it and needs a
    second officer's approval); 'toshhok.officer1' is linked to their own person record — the first demo
    person — so that person's cases are never routed to them; 'toshhok.officer2' declared a conflict with
    the second demo person. The population registry's relations keep the first person's relatives' cases
    from 'toshhok.officer1' as well (integrity/sources.py)."""
    with platform.db.uow() as uow:
        for officers in staff.values():
            for officer in officers:
                login = uow.session.scalar(sa.select(Account.login).where(Account.id == officer.account_id))
                assert login is not None
                platform.integrity.set_officer(uow, login, skills=["land"])
        platform.integrity.set_officer(uow, "toshhok.officer1", pinfl=own_pinfl)
        officer2 = identity.find_account_by_login(uow.session, "toshhok.officer2")
        assert officer2 is not None
        declarant = identity.actor_of(officer2)
        uow.commit()
    platform.integrity.declare_conflict(declarant, conflict_pinfl, "Demo: a neighbour (declared conflict of interest)")


def _recipient(service: Service, agency_codes: dict[int, str], rng: random.Random) -> str | None:
    if not service.recipients:
        return None
    if service.recipients == ["*"]:
        return rng.choice(sorted(agency_codes.values()))
    return rng.choice(service.recipients)


def _advance(
    platform: Platform,
    rng: random.Random,
    uow: UnitOfWork,
    number: str,
    received: dt.datetime,
    now: dt.datetime,
    citizen: Actor,
    officers: list[Actor],
    agencies: list[Agency],
    clock: list[dt.datetime],
) -> None:
    """Walk a case along a plausible path until the path or the present is reached."""
    cases = platform.cases
    assignee = uow.session.scalar(sa.select(Case.assignee_account_id).where(Case.registration_number == number))
    # Fair assignment routed the case; when nobody eligible was available, any officer of the body takes it.
    officer = next((o for o in officers if o.account_id == assignee), None) or rng.choice(officers)
    at = received

    def step(hours_low: float, hours_high: float) -> bool:
        nonlocal at
        at = at + dt.timedelta(hours=rng.uniform(hours_low, hours_high))
        clock[0] = at
        return at < now

    if rng.random() < 0.04:
        if step(2, 72):
            target = rng.choice([a for a in agencies if a.id != officer.agency_id])
            cases.forward(officer, number, target.code, "Murojaat boshqa organning vakolatiga kiradi", uow=uow)
        return
    if not step(1, 72):
        return
    cases.take(officer, number, uow=uow)
    if rng.random() < 0.15:
        if not step(4, 96):
            return
        cases.request_info(officer, number, "Iltimos, qo'shimcha ma'lumot yuboring.", uow=uow)
        if not step(4, 120):
            return
        cases.provide_info(citizen, number, "Qo'shimcha ma'lumotlar ilova qilindi.", [], uow=uow)
    late = rng.random() < 0.12
    if not step(48 if not late else 300, 320 if not late else 620):
        return
    outcome = rng.choices(list(Outcome), weights=(55, 20, 15, 10))[0]
    decided = cases.decide(officer, number, outcome, "Qonun hujjatlari asosida ko'rib chiqildi.", uow=uow)
    if decided.state is CaseState.in_review:  # four-eyes: a second officer of the body approves
        if not step(2, 48):
            return
        second = next(o for o in officers if o.account_id != officer.account_id)
        try:
            cases.approve_decision(second, number, uow=uow)
        except Recused:  # the only other officer is recused: the decision waits (the head may reassign)
            return
    if rng.random() < 0.05:
        if step(24, 240):
            cases.contest(citizen, number, "Qaror bilan roziman emasman, qayta ko'rib chiqishni so'rayman.", uow=uow)
        return
    if rng.random() < 0.8 and step(24, 120):
        cases.close(officer, number, "Qaror arizachiga yetkazildi.", uow=uow)
    if rng.random() < 0.3 and step(1, 72):  # some applicants rate the answer (1-5), mostly well
        score = rng.choices((1, 2, 3, 4, 5), weights=(8, 7, 15, 30, 40))[0]
        platform.ratings.rate(citizen, number, Rate(score=score), uow=uow)
