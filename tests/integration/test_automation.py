"""Automated decisions end to end: a citizen applies for the child allowance, the worker runs the service's
BPMN process (population registry → script → DMN table), decides through the decide path, seals the decision;
the citizen reads the trace and contests; an officer of the higher body reviews with the trace and replaces
the outcome. Also: a broken model parks the case, and a waiting process resumes after a restart."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PdfReader

from shaffof.catalog.service import import_packages
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.identity import service as identity
from shaffof.identity.models import Role
from shaffof.pki.signing.jws import sign_submission
from shaffof.platform import Platform
from shaffof.privacy.models import AccessRecord
from tests.conftest import SERVICES
from tests.factories import PASSWORD, World, token
from tests.integration.test_signed_submission import certify

SMALL_FAMILY = {
    "household_size": 2,
    "unofficial_income_uzs": 900_000,
    "payment_method": "post_office",
    "contact_phone": "+998901234567",
    "consent_to_data_check": True,
}


def _apply(client: TestClient, who: dict[str, str], form: dict[str, object]) -> str:
    """Apply for the child allowance, signed (ZRU-793: the service takes only signed submissions) with a
    client-held key the platform's CA certifies for the applicant."""
    key, chain = certify(client, who)
    content = {"service": "child-allowance", "form": form, "documents": [], "channel": "api"}
    signature = sign_submission(content, key, chain, dt.datetime.now(dt.UTC))
    response = client.post("/api/v1/cases", json=content | {"signature": signature}, headers=who)
    assert response.status_code == 201, response.text
    return str(response.json()["registration_number"])


@pytest.fixture(autouse=True)
def _certification_authority(world: World) -> None:
    world.platform.pki.initialise()


def test_an_automated_refusal_is_sealed_explained_contested_and_replaced_by_an_officer(
    client: TestClient, world: World
) -> None:
    platform = world.platform
    platform.pki.issue_eseal(None, "IJTIMOIY")
    alice = token(client, "alice")
    number = _apply(client, alice, SMALL_FAMILY)

    queued = client.get(f"/api/v1/cases/{number}/trace", headers=alice).json()
    assert queued["status"] == "pending" and queued["outcome"] is None

    report = platform.advance_automation()
    assert report.by_status == {"decided": 1}
    assert platform.advance_automation().checked == 0  # nothing left to do

    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert case["state"] == "decided" and case["outcome"] == "rejected"
    assert "DEMO-NAFAQA Art. 5(1)" in case["outcome_reason"]

    trace = client.get(f"/api/v1/cases/{number}/trace", headers=alice).json()
    assert trace["status"] == "decided" and trace["outcome"] == "rejected"
    assert [(c["law"], c["article"], c["part"]) for c in trace["citations"]] == [("DEMO-NAFAQA", "5", "1")]
    assert trace["reasons"]["en"].startswith("The family has fewer than 3 members")
    # Every input with its source: the form, and the population registry (alice was born 14.03.1990).
    assert trace["inputs"]["household_size"] == {"value": 2, "source": "application form"}
    assert trace["inputs"]["applicant_age"]["value"] == 36
    assert trace["inputs"]["applicant_age"]["source"].startswith("population registry")
    [decision] = [s for s in trace["steps"] if s["type"] == "decision"]
    assert decision["matched"][0]["rule"] == "Rule_small_family"
    assert {i["expression"]: i["value"] for i in decision["inputs"]}["income_per_member"] == 450_000
    # The threshold in force on the decisive date (the submission day, 2026-11-24 or later) with its norm.
    assert trace["parameters"]["income_threshold_uzs"]["value"] == 720_000
    assert trace["contest"]["within_days"] == 365 and trace["contest"]["citation"]["article"] == "22"

    # Nobody else reads it.
    bob = token(client, "bob")
    assert client.get(f"/api/v1/cases/{number}/trace", headers=bob).status_code == 404

    # The worker seals the automated decision with the body's e-seal; the PDF names the rule's norm.
    assert platform.issue_decisions() == 1
    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    [seal] = [s for s in case["signatures"] if s["purpose"] == "decision"]
    assert seal["format"] == "pades" and seal["signer"] == "Ijtimoiy himoya milliy agentligi"
    [document] = [d for d in case["documents"] if d["document_type"] == "decision"]
    pdf = client.get(f"/api/v1/cases/{number}/documents/{document['sha256']}", headers=alice).content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "DEMO-NAFAQA" in text
    assert "avtomatik qaror" in text and "shikoyat qiling" in text  # who decided, and how to contest

    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    decided = next(e for e in timeline if e["kind"] == "decided")
    assert decided["actor"] is None and decided["data"]["automated"] is True

    # The applicant contests: a review case opens at the higher body (VAZIRLAR).
    contested = client.post(f"/api/v1/cases/{number}/contest", json={"reason": "Oilamda nogiron bor"}, headers=alice)
    assert contested.status_code == 201
    review_number = contested.json()["registration_number"]
    assert review_number.startswith("VAZIRLAR-")

    officer = token(client, "vazirlar.officer")
    body = {"result": "replaced", "outcome": "approved", "reason": "Oilada nogironligi bor shaxs borligi tasdiqlandi"}
    not_taken = client.post(f"/api/v1/officer/cases/{review_number}/review", json=body, headers=officer)
    assert not_taken.status_code == 409  # assigned to this officer (issue 12), but reviewed only once taken
    assert client.post(f"/api/v1/officer/cases/{review_number}/take", headers=officer).status_code == 200
    with platform.db.reading() as session:
        records_before = session.scalar(sa.select(sa.func.count()).select_from(AccessRecord))
    seen = client.get(f"/api/v1/cases/{review_number}/trace", headers=officer).json()
    assert seen["registration_number"] == number and seen["outcome"] == "rejected"
    page = client.get(f"/cases/{review_number}/trace", headers=officer)
    assert page.status_code == 200
    with platform.db.reading() as session:  # the officer saw the applicant's inputs: alice sees who, in her tracker
        records = session.scalars(sa.select(AccessRecord).order_by(AccessRecord.id)).all()[records_before:]
    assert len(records) >= 2 and all(r.subject_pinfl == world.pinfls["alice"] for r in records)

    same = client.post(
        f"/api/v1/officer/cases/{review_number}/review",
        json={"result": "replaced", "outcome": "rejected", "reason": "noto'g'ri"},
        headers=officer,
    )
    assert same.status_code == 422 and same.json()["errors"][0]["path"] == "outcome"

    reviewed = client.post(f"/api/v1/officer/cases/{review_number}/review", json=body, headers=officer)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["review"]["result"] == "replaced" and reviewed.json()["review"]["outcome"] == "approved"
    # Replacing the decision reverses it: a second officer of the reviewing body approves (issue 12, four-eyes).
    review_case = client.get(f"/api/v1/cases/{review_number}", headers=alice).json()
    assert review_case["state"] == "in_review" and review_case["outcome"] is None
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert timeline[-1]["kind"] == "decision_reviewed"
    assert timeline[-1]["data"] == {
        "result": "replaced",
        "outcome": "approved",
        "automated_outcome": "rejected",
        "review_case": review_number,
        "awaiting_approval": True,
    }
    with platform.db.uow() as uow:
        identity.create_account(
            uow, platform.passwords, login="vazirlar.officer2", password=PASSWORD, role=Role.officer,
            display_name="Vazirlar Officer2", agency_id=world.agencies["VAZIRLAR"],
        )  # fmt: skip
        uow.commit()
    approve = f"/api/v1/integrity/cases/{review_number}/approve"
    assert client.post(approve, headers=officer).status_code == 403  # not by the officer who reviewed
    approved = client.post(approve, headers=token(client, "vazirlar.officer2"))
    assert approved.status_code == 200, approved.text
    review_case = client.get(f"/api/v1/cases/{review_number}", headers=alice).json()
    assert review_case["state"] == "decided" and review_case["outcome"] == "approved"
    again = client.post(f"/api/v1/officer/cases/{review_number}/review", json=body, headers=officer)
    assert again.status_code == 409

    # Re-run on the stored model and the recorded inputs: the same rule, the same outcome.
    replay = platform.automation.replay(number)
    assert replay.reproduced and replay.replayed_rules == ["Rule_small_family"]


def _services_with(tmp_path: Path, old: str, new: str) -> Path:
    services = tmp_path / "services"
    shutil.copytree(SERVICES, services)
    process = services / "child-allowance" / "process.bpmn"
    text = process.read_text()
    assert old in text
    process.write_text(text.replace(old, new))
    return services


def test_a_failing_step_parks_the_case_for_an_officer_with_the_error(
    client: TestClient, settings: Settings, database: Database, tmp_path: Path
) -> None:
    platform = Platform.build(settings, database)
    broken = _services_with(
        tmp_path, "income_per_member = round(monthly_income / household_size)", "income_per_member = household_size / 0"
    )
    _import(platform, broken)  # a new version of the service, with the broken model
    alice = token(client, "alice")
    number = _apply(client, alice, SMALL_FAMILY)
    assert platform.advance_automation().by_status == {"parked": 1}
    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert case["state"] == "registered"  # nothing of the failed step was kept; the case waits for an officer
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert timeline[-1]["kind"] == "automation_parked"
    assert "ZeroDivisionError" in timeline[-1]["data"]["error"]
    trace = client.get(f"/api/v1/cases/{number}/trace", headers=alice).json()
    assert trace["status"] == "parked" and "ZeroDivisionError" in trace["error"]
    officer = token(client, "toshhok.officer")  # another agency's officer does not see it
    assert client.get(f"/api/v1/cases/{number}/trace", headers=officer).status_code == 403


def test_a_waiting_process_resumes_after_a_restart(
    client: TestClient, settings: Settings, database: Database, tmp_path: Path
) -> None:
    timer = (
        '<bpmn:intermediateCatchEvent id="Timer_wait" name="Wait a second">'
        "<bpmn:incoming>Flow_to_registry</bpmn:incoming><bpmn:outgoing>Flow_after_timer</bpmn:outgoing>"
        '<bpmn:timerEventDefinition id="TimerDefinition_wait"><bpmn:timeDuration>"PT1S"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="Flow_after_timer" sourceRef="Timer_wait" targetRef="Task_population_registry" />'
        '<bpmn:sequenceFlow id="Flow_to_registry" sourceRef="StartEvent_application" targetRef="Timer_wait" />'
    )
    services = _services_with(
        tmp_path,
        '<bpmn:sequenceFlow id="Flow_to_registry" sourceRef="StartEvent_application" '
        'targetRef="Task_population_registry" />',
        timer,
    )
    text = (services / "child-allowance" / "process.bpmn").read_text()
    (services / "child-allowance" / "process.bpmn").write_text(
        text.replace(
            "<bpmn:incoming>Flow_to_registry</bpmn:incoming>\n      <bpmn:outgoing>Flow_to_income</bpmn:outgoing>",
            "<bpmn:incoming>Flow_after_timer</bpmn:incoming>\n      <bpmn:outgoing>Flow_to_income</bpmn:outgoing>",
        )
    )
    first = Platform.build(settings, database)
    _import(first, services)
    alice = token(client, "alice")
    number = _apply(client, alice, SMALL_FAMILY)
    assert first.advance_automation().by_status == {"waiting": 1}

    time.sleep(1.1)
    restarted = Platform.build(settings, database)  # a new process: only the stored state is left
    assert restarted.advance_automation().by_status == {"decided": 1}
    trace = client.get(f"/api/v1/cases/{number}/trace", headers=alice).json()
    assert trace["status"] == "decided" and trace["outcome"] == "rejected"
    assert [s["type"] for s in trace["steps"]] == ["registry", "script", "decision"]


def _import(platform: Platform, services: Path) -> None:
    with platform.db.uow() as uow:
        assert import_packages(uow, services).services_new_version == ["child-allowance v2"]


def test_a_family_below_the_threshold_is_granted_it_within_one_worker_pass(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    number = _apply(client, alice, SMALL_FAMILY | {"household_size": 5, "unofficial_income_uzs": 2_500_000})
    world.platform.advance_automation()
    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert case["outcome"] == "approved"


def test_the_decision_record_page_explains_the_decision_in_the_applicants_language(
    client: TestClient, world: World
) -> None:
    alice = token(client, "alice")
    number = _apply(client, alice, SMALL_FAMILY)
    world.platform.advance_automation()

    page = client.get(f"/cases/{number}/trace?lang=en", headers=alice)
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html and '<main id="main"' in html
    assert "The family has fewer than 3 members and no member with a disability." in html
    assert "DEMO-NAFAQA Art. 5(1)" in html
    assert '<th scope="row"><code>applicant_age</code></th><td>36</td>' in html
    assert "population registry" in html
    assert "contest it within a year" in html

    russian = client.get(f"/cases/{number}/trace?lang=ru", headers=alice).text
    assert "В семье менее 3 человек" in russian and "отказано" in russian

    anonymous = client.get(f"/cases/{number}/trace")
    assert anonymous.status_code == 401 and "Sign in first" in anonymous.text
    bob = token(client, "bob")
    assert client.get(f"/cases/{number}/trace", headers=bob).status_code == 404


def test_a_case_the_rules_route_to_an_officer_waits_in_the_queue_with_its_trace(
    client: TestClient, world: World
) -> None:
    alice = token(client, "alice")
    form = {
        "registration_type": "temporary",
        "region": "UZ-TK",
        "district": "Yunusobod",
        "street": "Amir Temur",
        "house": "12",
        "basis": "rental",
        "start_date": "2026-12-01",
        "end_date": "2027-06-01",
    }
    response = client.post("/api/v1/cases", json={"service": "residence-registration", "form": form}, headers=alice)
    assert response.status_code == 201, response.text
    number = response.json()["registration_number"]
    assert world.platform.advance_automation().by_status == {"officer": 1}
    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert case["state"] == "registered" and case["outcome"] is None
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert timeline[-1]["kind"] == "process_handed_over"
    assert timeline[-1]["data"] == {"task": "Task_officer_consent"}
    trace = client.get(f"/api/v1/cases/{number}/trace", headers=alice).json()
    [decision] = [s for s in trace["steps"] if s["type"] == "decision"]
    assert decision["hit_policy"] == "FIRST" and decision["matched"][0]["rule"] == "Rule_owner_consent"


def test_a_service_can_require_an_officer_to_confirm_a_refusal(
    client: TestClient, settings: Settings, database: Database, tmp_path: Path
) -> None:
    platform = Platform.build(settings, database)
    services = tmp_path / "services"
    shutil.copytree(SERVICES, services)
    config = services / "child-allowance" / "automation.yaml"
    config.write_text(config.read_text().replace("confirm_negative: false", "confirm_negative: true"))
    _import(platform, services)
    alice = token(client, "alice")
    refused = _apply(client, alice, SMALL_FAMILY)
    granted = _apply(client, alice, SMALL_FAMILY | {"household_size": 5, "unofficial_income_uzs": 2_500_000})
    assert platform.advance_automation().by_status == {"confirming": 1, "decided": 1}
    assert client.get(f"/api/v1/cases/{granted}", headers=alice).json()["outcome"] == "approved"
    waiting = client.get(f"/api/v1/cases/{refused}", headers=alice).json()
    assert waiting["state"] == "registered" and waiting["outcome"] is None
    handed = client.get(f"/api/v1/cases/{refused}/timeline", headers=alice).json()[-1]
    assert handed["kind"] == "process_handed_over" and handed["data"]["proposed_outcome"] == "rejected"
