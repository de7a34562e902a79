"""The SLA monitor moves a case along on_track → at_risk → overdue → long_overdue as the clock runs,
records each change, escalates to the head and then to the higher body, and an extension undoes overdue."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.notify.models import Notification
from tests.factories import APPEAL_FORM, World, token


def test_a_case_runs_late_is_escalated_and_an_extension_brings_it_back(client: TestClient, world: World) -> None:
    platform = world.platform
    app_cases = client.app.state.platform.cases  # type: ignore[attr-defined]
    start = dt.datetime.now(dt.UTC)
    clock = [start]
    for cases in (platform.cases, app_cases):
        cases.clock = lambda: clock[0]

    alice = token(client, "alice")
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    case = client.post("/api/v1/cases", json=body, headers=alice).json()
    number, due = case["registration_number"], dt.datetime.fromisoformat(case["deadline"]["due_at"])
    assert case["sla"] == "on_track"
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)

    def tick(at: dt.datetime) -> None:
        clock[0] = at
        platform.monitor_sla()

    tick(start + dt.timedelta(days=2))
    assert client.get(f"/api/v1/cases/{number}", headers=alice).json()["sla"] == "on_track"
    tick(due - dt.timedelta(days=1))
    assert client.get(f"/api/v1/cases/{number}", headers=alice).json()["sla"] == "at_risk"
    tick(due + dt.timedelta(hours=1))
    queue = client.get("/api/v1/officer/queue", headers=officer).json()
    assert next(c for c in queue if c["registration_number"] == number)["sla"] == "overdue"
    tick(due + dt.timedelta(days=11))
    tick(due + dt.timedelta(days=11, hours=1))  # a second pass changes nothing

    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    changes = [(e["data"]["from"], e["data"]["to"]) for e in timeline if e["kind"] == "sla_changed"]
    assert changes == [("on_track", "at_risk"), ("at_risk", "overdue"), ("overdue", "long_overdue")]
    escalations = [e["data"] for e in timeline if e["kind"] == "escalated"]
    assert [(e["level"], e["to_agency"]) for e in escalations] == [(1, "YUNUSHOK"), (2, "TOSHHOK")]
    assert escalations[1]["notified"] == 1  # TOSHHOK's head (the higher body hears about its district)

    with platform.db.reading() as session:
        told = session.scalars(
            sa.select(Notification.account_id).where(Notification.template == "case.escalated")
        ).all()
    assert world.actors["toshhok.head"].account_id in told
    with platform.db.reading() as session:
        applicant_told = session.scalars(
            sa.select(Notification.account_id).where(Notification.template == "case.overdue")
        ).all()
    assert set(applicant_told) == {world.actors["alice"].account_id}  # told once, when the answer was late


def test_an_extended_deadline_does_not_show_as_overdue(client: TestClient, world: World) -> None:
    app_cases = client.app.state.platform.cases  # type: ignore[attr-defined]
    start = dt.datetime.now(dt.UTC)
    clock = [start]
    for cases in (world.platform.cases, app_cases):
        cases.clock = lambda: clock[0]
    alice = token(client, "alice")
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    case = client.post("/api/v1/cases", json=body, headers=alice).json()
    number, due = case["registration_number"], dt.datetime.fromisoformat(case["deadline"]["due_at"])
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    clock[0] = due + dt.timedelta(hours=2)
    world.platform.monitor_sla()
    assert client.get(f"/api/v1/cases/{number}", headers=alice).json()["sla"] == "overdue"
    clock[0] = due - dt.timedelta(hours=2)  # the officer had extended in time (ZRU-445 Art. 28(2))
    extended = client.post(
        f"/api/v1/officer/cases/{number}/extend",
        json={"kind": "study", "justification": "Qo'shimcha o'rganish va tekshiruv talab etiladi"},
        headers=officer,
    )
    assert extended.status_code == 200, extended.text
    clock[0] = due + dt.timedelta(hours=2)
    assert client.get(f"/api/v1/cases/{number}", headers=alice).json()["sla"] != "overdue"
    world.platform.monitor_sla()
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert [e["data"]["to"] for e in timeline if e["kind"] == "sla_changed"][-1] in ("on_track", "at_risk")
