"""Accountability and integrity (issue 12), on SQLite and PostgreSQL: fair assignment, recusal, four-eyes,
the process-integrity monitor, the board of findings and the officer accountability report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shaffof.cases.models import Case, CaseEvent, CaseState, EventKind, Outcome
from shaffof.cases.schemas import CaseSubmit, Extend
from shaffof.catalog.models import Service
from shaffof.cli.main import app as cli
from shaffof.db.base import utcnow
from shaffof.identity.models import Person
from shaffof.integrity.errors import FourEyesRefused, ReasonRequired, Recused
from shaffof.integrity.models import FindingStatus, RecusalRecord
from shaffof.integrity.rules import RULES
from shaffof.integrity.service import Integrity
from shaffof.integrity.sources import TrackerAccessLog
from shaffof.platform import Platform
from shaffof.privacy.models import AccessRecord
from tests.factories import APPEAL_FORM, World, token
from tests.integration.test_signed_submission import certify, sign

LAND_FORM = {
    "purpose": "individual_housing",
    "district": "Yunusobod",
    "requested_area_sqm": 600,
    "housing_situation": "no_own_housing",
}


def file_appeal(world: World, citizen: str, agency: str = "TOSHHOK") -> str:
    command = CaseSubmit(service="appeal-to-hokimiyat", agency=agency, form=APPEAL_FORM)
    return world.platform.cases.submit(world.actors[citizen], command).case.registration_number


def link_to_person(world: World, officer: str, citizen: str) -> None:
    """The officer's account is linked to their own person record (here: the citizen's)."""
    with world.platform.db.uow() as uow:
        world.platform.integrity.set_officer(uow, officer, pinfl=world.pinfls[citizen])
        uow.commit()


def events(world: World, number: str) -> list[CaseEvent]:
    with world.platform.db.reading() as session:
        case = session.scalars(sa.select(Case).where(Case.registration_number == number)).one()
        return list(
            session.scalars(
                sa.select(CaseEvent)
                .where(CaseEvent.agency_id == case.agency_id, CaseEvent.case_id == case.id)
                .order_by(CaseEvent.seq)
            )
        )


def case_row(world: World, number: str) -> Case:
    with world.platform.db.reading() as session:
        return session.scalars(sa.select(Case).where(Case.registration_number == number)).one()


# --------------------------------------------------------------------------- fair assignment


def test_new_cases_are_routed_by_workload_in_turn_and_never_to_the_head(world: World) -> None:
    numbers = [file_appeal(world, "alice") for _ in range(4)]
    routed = [world.assignee(n) for n in numbers]
    # Two officers of equal load take turns; the head of the body is never assigned.
    assert sorted(routed) == ["toshhok.officer", "toshhok.officer", "toshhok.officer2", "toshhok.officer2"]
    assert routed[0] != routed[1] and routed[2] != routed[3]
    assigned = events(world, numbers[1])[-1]
    assert assigned.kind is EventKind.assigned and assigned.actor_account_id is None
    assert assigned.data["rule"] == "workload_balanced" and assigned.data["rule_source"] == "default"
    # The inputs are recorded: both candidates with their open cases at the time.
    loads = {c["account_id"]: c["open_cases"] for c in assigned.data["candidates"]}
    assert sorted(loads.values()) == [0, 1]
    assert assigned.data["chosen"] == min(loads, key=lambda account: loads[account])

    # Workload first: the officer with more open cases is skipped until the loads are equal again.
    world.platform.cases.take(world.actors[routed[0]], numbers[0])
    world.platform.cases.decide(
        world.actors[routed[0]], numbers[0], Outcome.approved, "Murojaat asosli, chora ko'rildi."
    )
    assert world.assignee(file_appeal(world, "bob")) == routed[0]


def test_only_the_assignee_starts_the_review_and_only_the_head_reassigns_with_a_reason(
    client: TestClient, world: World
) -> None:
    number = file_appeal(world, "alice")
    assignee = world.assignee(number)
    other = "toshhok.officer2" if assignee == "toshhok.officer" else "toshhok.officer"
    refused = client.post(f"/api/v1/officer/cases/{number}/take", headers=token(client, other))
    assert refused.status_code == 403 and "assigned to another officer" in refused.json()["detail"]

    head = token(client, "toshhok.head")
    url = f"/api/v1/integrity/cases/{number}/reassign"
    no_reason = client.post(url, json={"officer": other, "reason": "  "}, headers=head)
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == [{"path": "reason", "message": "required"}]
    by_officer = client.post(url, json={"officer": other, "reason": "ish yuklamasi"}, headers=token(client, assignee))
    assert by_officer.status_code == 403
    to_head = client.post(url, json={"officer": "toshhok.head", "reason": "ish yuklamasi"}, headers=head)
    assert to_head.status_code == 422 and to_head.json()["errors"][0]["path"] == "officer"
    assert world.assignee(number) == assignee  # nothing changed by the refusals

    moved = client.post(url, json={"officer": other, "reason": "Ta'tilga chiqdi"}, headers=head)
    assert moved.status_code == 200, moved.text
    assert world.assignee(number) == other
    last = events(world, number)[-1]
    assert last.kind is EventKind.reassigned and last.reason == "Ta'tilga chiqdi"
    assert last.actor_account_id == world.actors["toshhok.head"].account_id
    taken = client.post(f"/api/v1/officer/cases/{number}/take", headers=token(client, other))
    assert taken.status_code == 200 and taken.json()["state"] == "in_review"


def test_skill_tags_and_assignment_rules_are_data(world: World) -> None:
    from shaffof.integrity.schemas import AssignmentRuleSet

    with world.platform.db.uow() as uow:
        world.platform.integrity.set_officer(uow, "toshhok.officer2", skills=["roads"])
        world.platform.integrity.set_assignment_rule(
            uow, AssignmentRuleSet(agency="TOSHHOK", service="appeal-to-hokimiyat", skills=["roads"])
        )
        uow.commit()
    numbers = [file_appeal(world, "alice") for _ in range(3)]
    assert {world.assignee(n) for n in numbers} == {"toshhok.officer2"}
    data = events(world, numbers[0])[-1].data
    assert data["skills"] == ["roads"] and data["rule_source"] == "agency+service"


def test_when_nobody_is_eligible_any_officer_of_the_body_may_take_the_case(world: World) -> None:
    with world.platform.db.uow() as uow:
        world.platform.integrity.set_assignment_rule(
            uow, AssignmentRuleSet_(agency="TOSHHOK", skills=["nobody-has-this"])
        )
        uow.commit()
    number = file_appeal(world, "alice")
    assert case_row(world, number).assignee_account_id is None
    assert "any officer" in events(world, number)[-1].data["note"]
    world.platform.cases.take(world.actors["toshhok.officer2"], number)
    assert world.assignee(number) == "toshhok.officer2"


def AssignmentRuleSet_(**fields: Any) -> Any:
    from shaffof.integrity.schemas import AssignmentRuleSet

    return AssignmentRuleSet(**fields)


# --------------------------------------------------------------------------- recusal


def test_an_officer_is_never_routed_their_own_case_and_colleagues_learn_nothing(
    client: TestClient, world: World
) -> None:
    link_to_person(world, "toshhok.officer", "alice")
    numbers = [file_appeal(world, "alice") for _ in range(3)]
    assert {world.assignee(n) for n in numbers} == {"toshhok.officer2"}
    # The head reassigning it to the officer is refused, naming the reason to the head only.
    head = token(client, "toshhok.head")
    refused = client.post(
        f"/api/v1/integrity/cases/{numbers[0]}/reassign",
        json={"officer": "toshhok.officer", "reason": "yuklama"},
        headers=head,
    )
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/recused"
    assert world.assignee(numbers[0]) == "toshhok.officer2"
    recusals = client.get("/api/v1/integrity/recusals", headers=head).json()
    assert {(r["case"], r["reason"]) for r in recusals} >= {(n, "self_applicant") for n in numbers}
    assert any(r["operation"] == "assign" and r["case"] == numbers[0] and r["officer"] for r in recusals)
    assert client.get("/api/v1/integrity/recusals", headers=token(client, "auditor")).status_code == 200
    # Colleagues see nothing of it: not the log, not the case's timeline.
    assert client.get("/api/v1/integrity/recusals", headers=token(client, "toshhok.officer2")).status_code == 403
    timeline = client.get(f"/api/v1/cases/{numbers[0]}/timeline", headers=token(client, "toshhok.officer2")).json()
    assert "self_applicant" not in str(timeline) and "recus" not in str(timeline)


def test_a_declared_conflict_refuses_take_and_decide_and_the_refusal_is_kept(client: TestClient, world: World) -> None:
    number = file_appeal(world, "bob")
    officer = world.assignee(number)
    world.platform.cases.take(world.actors[officer], number)
    # The officer declares a conflict with the applicant after the case reached them.
    headers = token(client, officer)
    no_reason = client.post("/api/v1/integrity/conflicts", json={"pinfl": world.pinfls["bob"]}, headers=headers)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["path"] == "reason"
    declared = client.post(
        "/api/v1/integrity/conflicts", json={"pinfl": world.pinfls["bob"], "reason": "qo'shnim"}, headers=headers
    )
    assert declared.status_code == 204, declared.text
    before = [(e.seq, e.kind) for e in events(world, number)]
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "approved", "reason": "Qonun asosida qanoatlantirildi."},
        headers=headers,
    )
    assert decided.status_code == 403 and decided.json()["type"] == "/problems/recused"
    assert case_row(world, number).state is CaseState.in_review
    assert [(e.seq, e.kind) for e in events(world, number)] == before
    with world.platform.db.reading() as session:  # committed although the decision was rolled back
        kept = session.scalars(sa.select(RecusalRecord).where(RecusalRecord.registration_number == number)).all()
    assert [(r.operation, r.reason.value) for r in kept] == [("decide", "declared_conflict")]
    # Bob's next case never reaches that officer.
    assert all(world.assignee(file_appeal(world, "bob")) != officer for _ in range(2))


class RelativesFromTheTest:
    """Stands in for the population registry's FamilyTies (src/shaffof/registries/, connected at merge): the
    relation is given by the test, the recusal logic that consults it is the real one."""

    def __init__(self, pairs: set[tuple[int, int]]) -> None:
        self.pairs = pairs

    def relatives(self, session: Session, person_id: int) -> set[int]:
        return {b for a, b in self.pairs if a == person_id} | {a for a, b in self.pairs if b == person_id}

    def related_to(self, session: Session, person_ids: Collection[int], person_id: int) -> set[int]:
        return {candidate for candidate in person_ids if person_id in self.relatives(session, candidate)}


def test_a_case_filed_by_an_officers_relative_is_never_routed_to_that_officer(world: World) -> None:
    with world.platform.db.reading() as session:
        ids = dict(session.execute(sa.select(Person.pinfl, Person.id)).all())
    link_to_person(world, "toshhok.officer2", "bob")
    world.platform.integrity.family_ties = RelativesFromTheTest(
        {(ids[world.pinfls["bob"]], ids[world.pinfls["alice"]])}
    )
    numbers = [file_appeal(world, "alice") for _ in range(3)]
    assert {world.assignee(n) for n in numbers} == {"toshhok.officer"}
    with pytest.raises(Recused):
        world.platform.cases.reassign(world.actors["toshhok.head"], numbers[0], "toshhok.officer2", "yuklama")


# --------------------------------------------------------------------------- four-eyes


@pytest.fixture
def land_world(world: World) -> World:
    world.platform.pki.initialise()
    with world.platform.db.uow() as uow:  # land cases go to officers with the 'land' skill
        world.platform.integrity.set_officer(uow, "toshhok.officer", skills=["land"])
        world.platform.integrity.set_officer(uow, "toshhok.officer2", skills=["land"])
        uow.commit()
    return world


def file_land_claim(client: TestClient, citizen: dict[str, str]) -> str:
    key, chain = certify(client, citizen)
    body: dict[str, Any] = {"service": "land-plot-allocation", "agency": "TOSHHOK", "form": LAND_FORM, "documents": []}
    filed = client.post("/api/v1/cases", json={**body, "signature": sign(key, chain, body)}, headers=citizen)
    assert filed.status_code == 201, filed.text
    return str(filed.json()["registration_number"])


def second_officers_reads(world: World, officer: str, number: str) -> int:
    """Access records of the applicant's data by ``officer`` for the case (ZRU-547: the data tracker)."""
    with world.platform.db.reading() as session:
        return (
            session.scalar(
                sa.select(sa.func.count()).where(
                    AccessRecord.actor_account_id == world.actors[officer].account_id,
                    AccessRecord.case_number == number,
                )
            )
            or 0
        )


def test_a_land_allocation_waits_for_a_second_officer(client: TestClient, land_world: World) -> None:
    number = file_land_claim(client, token(client, "alice"))
    proposer = land_world.assignee(number)
    second = "toshhok.officer2" if proposer == "toshhok.officer" else "toshhok.officer"
    mine, theirs = token(client, proposer), token(client, second)
    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=mine).status_code == 200
    decide = f"/api/v1/officer/cases/{number}/decide"
    proposed = client.post(decide, json={"outcome": "approved", "reason": "Barcha shartlar bajarilgan."}, headers=mine)
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["state"] == "in_review" and proposed.json()["outcome"] is None  # not in effect yet
    queue = {c["registration_number"]: c for c in client.get("/api/v1/officer/queue", headers=theirs).json()}
    assert queue[number]["awaiting_approval"] is True
    [waiting] = client.get("/api/v1/integrity/approvals", headers=theirs).json()
    assert waiting["case"] == number and waiting["why"] == "service_declares"

    # The decider cannot approve it, nor decide past it.
    approve = f"/api/v1/integrity/cases/{number}/approve"
    assert client.post(approve, headers=mine).json()["type"] == "/problems/four-eyes-refused"
    again = client.post(decide, json={"outcome": "rejected", "reason": "Boshqacha qaror qabul qilaman."}, headers=mine)
    assert again.status_code == 409 and again.json()["type"] == "/problems/decision-awaits-approval"
    # The second officer sends it back with a reason (refused without one); the case stays in review.
    send_back = f"/api/v1/integrity/cases/{number}/send-back"
    assert client.post(send_back, json={"reason": ""}, headers=theirs).status_code == 422
    reads_before = second_officers_reads(land_world, second, number)
    back = client.post(send_back, json={"reason": "Maydon chegarasi tekshirilmagan"}, headers=theirs)
    assert back.status_code == 200 and back.json()["state"] == "in_review"
    assert second_officers_reads(land_world, second, number) == reads_before + 1  # the data tracker saw it
    assert client.get("/api/v1/integrity/approvals", headers=theirs).json() == []

    # Proposed again and approved by the second officer: only now it takes effect.
    client.post(
        decide, json={"outcome": "approved", "reason": "Chegaralar tekshirildi, shartlar bajarilgan."}, headers=mine
    )
    approved = client.post(approve, headers=theirs)
    assert approved.status_code == 200, approved.text
    assert second_officers_reads(land_world, second, number) == reads_before + 2
    assert approved.json()["state"] == "decided" and approved.json()["outcome"] == "approved"
    kinds = [e.kind for e in events(land_world, number)]
    assert kinds[-4:] == [
        EventKind.decision_proposed,
        EventKind.decision_sent_back,
        EventKind.decision_proposed,
        EventKind.decided,
    ]
    decided = events(land_world, number)[-1]
    assert decided.data["approved_by"] == land_world.actors[second].account_id
    assert decided.data["proposed_by"] == land_world.actors[proposer].account_id
    assert case_row(land_world, number).decided_by_account_id == land_world.actors[proposer].account_id
    # A rejection of the claim needs no second officer (the package declares only grants).
    other = file_land_claim(client, token(client, "bob"))
    officer = token(client, land_world.assignee(other))
    client.post(f"/api/v1/officer/cases/{other}/take", headers=officer)
    rejected = client.post(
        f"/api/v1/officer/cases/{other}/decide", json={"outcome": "rejected", "reason": "Hujjatlar yetarli emas."},
        headers=officer,
    )  # fmt: skip
    assert rejected.json()["state"] == "decided"


def reverse_on_review(world: World, clock: list[dt.datetime] | None = None) -> tuple[str, str]:
    """A YUNUSHOK decision contested by alice and reversed on review at TOSHHOK (four-eyes)."""
    cases = world.platform.cases
    number = file_appeal(world, "alice", agency="YUNUSHOK")
    cases.take(world.actors["yunushok.officer"], number)
    cases.decide(world.actors["yunushok.officer"], number, Outcome.rejected, "Murojaatda asos topilmadi.")
    review = cases.contest(world.actors["alice"], number, "Qaror noto'g'ri, chiroqlar hali ham yonmayapti.")
    reviewer = world.assignee(review.registration_number)
    cases.take(world.actors[reviewer], review.registration_number)
    proposed = cases.decide(world.actors[reviewer], review.registration_number, Outcome.approved, "Shikoyat asosli.")
    assert proposed.state is CaseState.in_review  # any reversal on review needs a second officer
    with pytest.raises(FourEyesRefused):
        cases.approve_decision(world.actors[reviewer], review.registration_number)
    second = "toshhok.officer2" if reviewer == "toshhok.officer" else "toshhok.officer"
    assert cases.approve_decision(world.actors[second], review.registration_number).state is CaseState.decided
    return number, review.registration_number


def test_a_reversal_on_review_always_needs_a_second_officer(world: World) -> None:
    reverse_on_review(world)


# --------------------------------------------------------------------------- the monitor


def scan_at(world: World, now: dt.datetime, *, access_log: bool = False, **params: dict[str, Any]) -> Integrity:
    """The platform's monitor with its clock at ``now`` and some rules' parameters changed; the data tracker's
    access log only when asked (the seeded-errors test reads no personal data outside cases to flag)."""
    rules = [dataclasses.replace(r, params=r.params | params.get(r.code, {})) for r in RULES]
    log = TrackerAccessLog() if access_log else None
    monitor = Integrity(world.platform.db, rules=rules, clock=lambda: now, access_log=log)
    monitor.scan()
    return monitor


def open_findings(world: World) -> dict[str, set[str | None]]:
    found: dict[str, set[str | None]] = {}
    for f in world.platform.integrity.findings(world.actors["auditor"]):
        found.setdefault(f.rule, set()).add(f.case or f.officer)
    return found


def test_the_monitor_flags_each_seeded_error_once_and_dismissals_need_a_reason(world: World) -> None:
    platform: Platform = world.platform
    cases = platform.cases
    start = utcnow()
    clock = [start]
    cases.clock = lambda: clock[0]

    def work(citizen: str, outcome: Outcome = Outcome.approved, reason: str = "Qonun asosida ko'rib chiqildi.") -> str:
        number = file_appeal(world, citizen)
        officer = world.actors[world.assignee(number)]
        cases.take(officer, number)
        cases.decide(officer, number, outcome, reason)
        return number

    # Every filing below happens at ``start`` (decisions at the same instant are not "before" a filing), so
    # only carol's third appeal is a repeat.
    # Closed without a signed answer (no decision document was ever issued).
    unsigned = work("alice")
    cases.close(world.actors[world.assignee(unsigned)], unsigned, "Javob yuborildi.")
    # A decision without reasons (seeded below: the domain refuses an empty reason) …
    no_reasons = work("alice")
    # … and without a legal citation (seeded below: the service's legal basis emptied).
    no_citation = world.platform.cases.submit(
        world.actors["bob"], CaseSubmit(service="proposal-to-ministry", agency="SOLIQ", form=proposal_form(world))
    ).case.registration_number
    cases.take(world.actors["soliq.officer"], no_citation)
    cases.decide(world.actors["soliq.officer"], no_citation, Outcome.approved, "Taklif qabul qilindi, rahmat.")
    # An officer's decisions reversed on review above the norm.
    reversed_decision, _review = reverse_on_review(world)
    # A document added after the decision was signed (seeded).
    tampered = seed_document_after_signature(world, work("alice"))
    # Answered after the deadline, without an extension.
    late = file_appeal(world, "alice")
    cases.take(world.actors[world.assignee(late)], late)
    # An extension granted after the deadline had passed.
    extended_late = file_appeal(world, "bob")
    cases.take(world.actors[world.assignee(extended_late)], extended_late)
    clock[0] = start + dt.timedelta(days=20)
    cases.extend(
        world.actors[world.assignee(extended_late)],
        extended_late,
        Extend(kind="study", justification="Qo'shimcha o'rganish talab etiladi: joyida tekshiruv."),
    )
    cases.decide(world.actors[world.assignee(late)], late, Outcome.approved, "Kechikib bo'lsa ham hal qilindi.")
    # Repeated appeals: carol files a third time after two answers on the same matter.
    add_citizen(world, "carol")
    first, second = work("carol"), work("carol")
    clock[0] = start + dt.timedelta(days=21)
    repeated = file_appeal(world, "carol")
    with platform.db.uow() as uow:
        session = uow.session
        session.execute(sa.update(Case).where(Case.registration_number == no_reasons).values(outcome_reason=" "))
        service_id = case_row(world, no_citation).service_id
        session.execute(sa.update(Service).where(Service.id == service_id).values(legal_basis=[]))
        uow.commit()

    now = start + dt.timedelta(days=30)
    monitor = scan_at(world, now, reversal_rate_above_norm={"min_decisions": 1, "norm": 0.5})
    found = open_findings(world)
    yunushok = world.actors["yunushok.officer"].display_name
    assert found == {
        "closed_without_signed_answer": {unsigned},
        "decision_without_reasons": {no_reasons},
        "decision_without_citation": {no_citation},
        "answered_late_without_extension": {late},
        "extension_after_deadline": {extended_late},
        "repeated_appeals": {repeated},
        "reversal_rate_above_norm": {yunushok},
        "document_changed_after_signing": {tampered},
    }, found
    assert {first, second, reversed_decision}.isdisjoint(set().union(*found.values()))
    every = world.platform.integrity.findings(world.actors["auditor"])
    assert all(f.basis for f in every)
    assert {f.basis for f in every if f.rule == "answered_late_without_extension"} == {
        "ZRU-445 Art. 28: Applications and complaints are considered within 15 days; extensions only as Art. 28(2)-(3)"
    }

    # Idempotent: a second pass adds nothing; the access-log rule says it did not run.
    again = monitor.scan()
    assert again.new == 0 and again.seen_again == len(every) and again.open_total == len(every)
    assert "access_without_case" in again.not_run

    # The head of TOSHHOK sees the body's findings and dismisses a false positive, with a reason only.
    head = world.actors["toshhok.head"]
    board = world.platform.integrity.findings(head)
    assert board and {f.agency for f in board} == {"TOSHHOK"}
    target = next(f for f in board if f.rule == "repeated_appeals")
    with pytest.raises(ReasonRequired):
        world.platform.integrity.dismiss(head, target.id, "  ")
    with pytest.raises(Exception, match="head of the body"):
        world.platform.integrity.dismiss(world.actors["toshhok.officer"], target.id, "noto'g'ri")
    dismissed = world.platform.integrity.dismiss(head, target.id, "Har safar yangi ko'cha haqida yozilgan")
    assert dismissed.status is FindingStatus.dismissed and dismissed.dismissal_reason
    monitor.scan()
    assert repeated not in open_findings(world).get("repeated_appeals", set())


def add_citizen(world: World, name: str) -> None:
    from shaffof.identity import pinfl
    from shaffof.identity import service as identity
    from shaffof.identity.models import Role
    from shaffof.identity.pinfl import Sex

    code = pinfl.build(dt.date(1985, 6, 1), Sex.female, "261", "042")
    with world.platform.db.uow() as uow:
        person = identity.register_person(uow, pinfl=code, last_name="Rahimova", first_name=name.title())
        account = identity.create_account(
            uow, world.platform.passwords, login=name, password="unused-password-123", role=Role.citizen,
            display_name=f"{name.title()} Rahimova", person_id=person.id,
        )  # fmt: skip
        world.actors[name] = identity.actor_of(account)
        world.pinfls[name] = code
        uow.commit()


def proposal_form(world: World) -> dict[str, Any]:
    with world.platform.db.reading() as session:
        schema = session.scalars(
            sa.select(Service.form_schema).where(Service.code == "proposal-to-ministry", Service.is_current)
        ).one()
    import random

    from shaffof.demo.forms import fill

    return fill(schema, random.Random(7))


def seed_document_after_signature(world: World, number: str) -> str:
    """Seed: the decision's signature row, then a document attached a day later."""
    from shaffof.cases.models import CaseDocument, CaseSignature
    from tests.factories import PDF

    platform = world.platform
    with platform.db.uow() as uow:
        blob = platform.blobs.put(uow, PDF, "application/pdf")
        case = uow.session.scalars(sa.select(Case).where(Case.registration_number == number)).one()
        assert case.decided_at is not None
        keys = {"agency_id": case.agency_id, "case_id": case.id}
        uow.session.add(
            CaseSignature(
                **keys, event_seq=case.event_count, purpose="decision", format="pades", signer="seal",
                certificate_serial="01", signing_time=case.decided_at, timestamp=None, sha256=blob.sha256,
            )
        )  # fmt: skip
        uow.session.add(
            CaseDocument(
                **keys, sha256=blob.sha256, document_type="supporting_file", filename="later.pdf",
                media_type="application/pdf", size=len(PDF), added_at=case.decided_at + dt.timedelta(days=1),
                added_by_account_id=case.decided_by_account_id, event_seq=case.event_count,
            )
        )  # fmt: skip
        uow.commit()
    return number


def test_a_clean_data_set_yields_no_finding(world: World) -> None:
    """Lawful paths only: answered in time, an extension before the deadline, information requested and given,
    a review that confirms the decision, decisions sealed by the body before the cases were closed."""
    platform = world.platform
    platform.pki.initialise()
    for code in ("TOSHHOK", "YUNUSHOK"):
        platform.pki.issue_eseal(None, code)
    cases = platform.cases
    alice, bob = world.actors["alice"], world.actors["bob"]
    plain = file_appeal(world, "alice")
    officer = world.actors[world.assignee(plain)]
    cases.take(officer, plain)
    cases.decide(officer, plain, Outcome.approved, "Murojaat asosli, chiroqlar tiklandi.")
    asked = file_appeal(world, "bob")
    officer = world.actors[world.assignee(asked)]
    cases.take(officer, asked)
    cases.request_info(officer, asked, "Uy raqamini aniqlashtiring.")
    cases.provide_info(bob, asked, "12-uy.", [])
    cases.extend(officer, asked, Extend(kind="study", justification="Joyida tekshiruv o'tkazish kerak bo'ladi."))
    cases.decide(officer, asked, Outcome.partially_approved, "Qisman qanoatlantirildi: chiroqlar tiklandi.")
    contested = file_appeal(world, "alice", agency="YUNUSHOK")
    cases.take(world.actors["yunushok.officer"], contested)
    cases.decide(world.actors["yunushok.officer"], contested, Outcome.rejected, "Murojaatda asos topilmadi.")
    review = cases.contest(alice, contested, "Qaror bilan rozi emasman.").registration_number
    reviewer = world.actors[world.assignee(review)]
    cases.take(reviewer, review)
    cases.decide(reviewer, review, Outcome.rejected, "Shikoyat asossiz: qaror o'z kuchida qoladi.")
    assert platform.issue_decisions() == 4
    for number in (plain, asked, review):
        cases.close(world.actors[world.assignee(number)], number, "Javob arizachiga yetkazildi.")

    summary = scan_at(world, utcnow() + dt.timedelta(days=3), access_log=True).scan()
    assert summary.open_total == 0 and summary.new == 0, world.platform.integrity.findings(world.actors["auditor"])
    assert len(summary.checked_rules) == len(RULES)  # the officers' reads were all for the applicants' cases


# --------------------------------------------------------------------------- board, report, pages, CLI


def test_the_board_and_the_accountability_report_are_for_heads_and_auditors(client: TestClient, world: World) -> None:
    number = file_appeal(world, "alice")
    officer = world.assignee(number)
    world.platform.cases.take(world.actors[officer], number)
    world.platform.cases.decide(world.actors[officer], number, Outcome.approved, "ok")  # too short: a finding
    world.platform.integrity.scan()

    head, auditor = token(client, "toshhok.head"), token(client, "auditor")
    report = client.get("/api/v1/integrity/officers", headers=head)
    assert report.status_code == 200, report.text
    line = next(line for line in report.json() if line["login"] == officer)
    assert line["cases"] == {"value": 1, "cases": [number]}
    assert line["decided"] == {"value": 1, "cases": [number]}
    assert line["on_time_percent"]["value"] == 100.0
    assert line["findings"] == {"value": 1, "cases": [number]}
    assert line["average_rating"] == {"value": None, "cases": []}  # no rating yet: none invented
    rated = client.post(f"/api/v1/cases/{number}/rating", json={"score": 4}, headers=token(client, "alice"))
    assert rated.status_code == 201, rated.text
    line = next(
        line for line in client.get("/api/v1/integrity/officers", headers=head).json() if line["login"] == officer
    )
    assert line["average_rating"] == {"value": 4.0, "cases": [number]}
    assert client.get("/api/v1/integrity/officers?agency=YUNUSHOK", headers=head).status_code == 403
    assert client.get("/api/v1/integrity/officers?agency=TOSHHOK", headers=auditor).status_code == 200
    assert client.get("/api/v1/integrity/officers", headers=token(client, officer)).status_code == 403
    assert client.get("/api/v1/integrity/findings", headers=token(client, officer)).status_code == 403
    [finding] = client.get("/api/v1/integrity/findings", headers=head).json()
    assert finding["rule"] == "decision_without_reasons" and finding["case"] == number

    for lang, heading in (("uz", "Halollik monitori"), ("ru", "Монитор добросовестности"), ("en", "Integrity monitor")):
        page = client.get(f"/integrity/findings?lang={lang}", headers=head)
        assert page.status_code == 200 and f'<html lang="{lang}">' in page.text and heading in page.text
        assert number in page.text and '<main id="main" tabindex="-1">' in page.text and '<th scope="col">' in page.text
    report_page = client.get("/integrity/officers?lang=en", headers=head)
    assert report_page.status_code == 200 and number in report_page.text
    assert client.get("/integrity/officers", headers=token(client, officer)).status_code == 403
    assert client.get("/integrity/findings").status_code == 401
    rules = client.get("/api/v1/integrity/rules?lang=ru").json()
    assert len(rules) == len(RULES) and all(r["basis"] for r in rules)


def test_the_cli_scans_with_progress_and_lists_findings(
    world: World, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAFFOF_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHAFFOF_DATA_DIR", str(world.platform.settings.data_dir))
    number = file_appeal(world, "alice")
    officer = world.actors[world.assignee(number)]
    world.platform.cases.take(officer, number)
    world.platform.cases.decide(officer, number, Outcome.approved, "ok")
    runner = CliRunner()
    scanned = runner.invoke(cli, ["integrity", "scan"])
    assert scanned.exit_code == 0, scanned.output
    assert "1 new finding(s)" in scanned.output and "not run" not in scanned.output  # the access log is wired
    listed = runner.invoke(cli, ["integrity", "findings"])
    assert number in listed.output and "decision_without_reasons" in listed.output
    finding_id = world.platform.integrity.findings(world.actors["auditor"])[0].id
    refused = runner.invoke(cli, ["integrity", "dismiss", str(finding_id), "--as", "toshhok.head"])
    assert refused.exit_code == 1
    dismissed = runner.invoke(
        cli, ["integrity", "dismiss", str(finding_id), "--as", "toshhok.head", "--reason", "Qisqa, lekin yetarli"]
    )
    assert dismissed.exit_code == 0, dismissed.output
    assert "0 finding(s)" in runner.invoke(cli, ["integrity", "findings"]).output
