"""Issue 4's "done when", end to end over HTTP on a real uvicorn server, on SQLite and PostgreSQL: an appeal
shows its due date with the explanation; as an injected clock runs, the SLA monitor moves it to at_risk and
overdue and escalates it to the head of the body; the applicant sees each change on the live SSE stream and
receives the e-mail, delivered by the worker to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.notify.models import Notification, NotificationChannel
from shaffof.notify.worker import OutboxWorker
from tests.factories import APPEAL_FORM, World
from tests.integration.test_live import Events, live_app, login, platform_of, serving
from tests.integration.test_notify import free_port, mail_settings, reachable, smtp_server


def test_an_appeal_runs_late_live_escalates_to_the_head_and_the_applicant_is_emailed(
    settings: Settings, database: Database, world: World
) -> None:
    alice_mail, head_mail = "aziza.karimova@example.uz", "rahbar@toshhok.example.uz"
    reachable(world, "alice", alice_mail, language="en")
    reachable(world, "toshhok.head", head_mail, language="uz")
    port = free_port()
    app = live_app(mail_settings(settings, port), database)
    clock = [dt.datetime.now(dt.UTC)]
    platform = platform_of(app)
    platform.cases.clock = lambda: clock[0]
    worker = OutboxWorker.from_settings(mail_settings(settings, port), database, clock=lambda: clock[0])

    with serving(app) as base, httpx.Client(base_url=base, timeout=10) as http, smtp_server(port) as mailbox:
        alice = login(http, "alice")
        body = {"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM}
        filed = http.post("/api/v1/cases", json=body, headers=alice, params={"lang": "en"})
        assert filed.status_code == 201, filed.text
        case = filed.json()
        number = case["registration_number"]
        deadline = case["deadline"]
        due = dt.datetime.fromisoformat(deadline["due_at"])
        # The due date with its explanation and the norm it comes from (ZRU-445 Art. 28(1): 15 days).
        assert deadline["policy"] == "zru445-answer"
        assert deadline["citation"]["law"] == "ZRU-445" and deadline["citation"]["article"] == "28"
        assert set(deadline["explanation"]) == {"uz", "ru", "en"}
        assert "15 days" in deadline["explanation"]["en"] and "Due by the end of" in deadline["explanation"]["en"]
        assert deadline["due_on"] == due.astimezone(ZoneInfo(settings.timezone)).date().isoformat()
        assert case["sla"] == "on_track"
        officer = login(http, "toshhok.officer")
        assert http.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200

        with http.stream("GET", f"/api/v1/cases/{number}/events", headers=alice) as response:
            stream = Events(response)
            assert stream.next("ready")["data"]["registration_number"] == number

            def tick(at: dt.datetime) -> list[dict[str, object]]:
                """Run the clock to ``at`` and one monitor pass; the case events the applicant saw live."""
                clock[0] = at
                report = platform.monitor_sla()
                seen = []
                for _ in range(sum(report.changed.values()) + report.escalated):
                    seen.append(stream.next("case-event")["data"])
                return seen

            assert tick(clock[0] + dt.timedelta(days=2)) == []  # on track: nothing changes, nothing sent
            at_risk = tick(due - dt.timedelta(days=1))
            assert [(e["kind"], e["data"]["to"]) for e in at_risk] == [("sla_changed", "at_risk")]  # type: ignore[index]
            assert http.get(f"/api/v1/cases/{number}", headers=alice).json()["sla"] == "at_risk"

            overdue = tick(due + dt.timedelta(hours=1))
            assert [e["kind"] for e in overdue] == ["sla_changed", "escalated"]
            assert overdue[0]["data"] == {"from": "at_risk", "to": "overdue", "due_at": due.isoformat()}
            assert overdue[1]["data"] == {"level": 1, "to_agency": "TOSHHOK", "notified": 1}  # the head
            assert http.get(f"/api/v1/cases/{number}", headers=alice).json()["sla"] == "overdue"

        report = worker.run_once()
        assert report.failed == 0 and report.retrying == 0

    with database.reading() as session:
        told = session.execute(
            sa.select(Notification.account_id, Notification.template).where(
                Notification.channel == NotificationChannel.email
            )
        ).all()
    assert (world.actors["toshhok.head"].account_id, "case.escalated") in told
    to_alice = [m for m in mailbox.about(number) if m["To"] == alice_mail]
    subjects = [str(m["Subject"]) for m in to_alice]
    assert len(to_alice) == 2, subjects  # registered, then overdue: each change the applicant must hear about
    (late,) = [m for m in to_alice if str(m["Subject"]) == f"The answer is late: {number}"]
    assert "The head of the body has been alerted" in late.get_content()
    assert [m for m in mailbox.about(number) if m["To"] == head_mail], "the head was e-mailed the escalation"
