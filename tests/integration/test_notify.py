"""Notifications end to end, on SQLite and PostgreSQL: outbox rows written with the change, the inbox API, and
e-mail delivered by the worker to a real SMTP server on loopback (aiosmtpd) — through outages, retries and
racing workers, each message exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
import structlog
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from shaffof.cases.models import RegistrationCounter
from shaffof.cases.schemas import CaseSubmit
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.identity import service as identity
from shaffof.notify import service as notify
from shaffof.notify.channels.sms import SmsWebhookChannel
from shaffof.notify.models import Notification, NotificationChannel, NotificationPreference, NotificationStatus
from shaffof.notify.worker import OutboxWorker
from tests.factories import APPEAL_FORM, World, token

SENDER = "Shaffof <no-reply@shaffof.test>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps what it receives (optionally slowly, to widen races)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def about(self, number: str) -> list[EmailMessage]:
        return [m for m in self.messages if number in str(m["Subject"]) + m.get_content()]


@contextmanager
def smtp_server(port: int, delay: float = 0.0) -> Iterator[Mailbox]:
    mailbox = Mailbox(delay)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def mail_settings(settings: Settings, port: int, **extra: object) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False, "smtp_from": SENDER, **extra}
    )


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def reachable(world: World, login: str, address: str, language: str = "uz") -> int:
    """Give the account an e-mail address and a language; its account id."""
    with world.platform.db.uow() as uow:
        account = identity.find_account_by_login(uow.session, login)
        assert account is not None
        account.email = address
        uow.session.merge(NotificationPreference(account_id=account.id, language=language, email_enabled=True))
        uow.commit()
        return account.id


def submit(world: World, login: str = "alice") -> str:
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    return world.platform.cases.submit(world.actors[login], command).case.registration_number


def rows(database: Database, **where: object) -> list[Notification]:
    with database.reading() as session:
        statement = sa.select(Notification).filter_by(**where).order_by(Notification.id)
        return list(session.scalars(statement))


# ---------------------------------------------------------------------------------------------------------- e-mail


def test_a_decided_case_is_emailed_to_the_applicant_in_their_language(
    client: TestClient, world: World, database: Database, settings: Settings
) -> None:
    reachable(world, "alice", "aziza.karimova@example.uz")
    alice = token(client, "alice")
    assert client.put("/api/v1/inbox/preferences", json={"language": "ru"}, headers=alice).status_code == 200
    case = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM},
        headers=alice,
    ).json()
    number = case["registration_number"]
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    reason = "Ko'cha chiroqlari 2027 yil rejasiga kiritilgan"
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide", json={"outcome": "rejected", "reason": reason}, headers=officer
    )
    assert decided.status_code == 200, decided.text

    port = free_port()
    with smtp_server(port) as mailbox:
        report = OutboxWorker.from_settings(mail_settings(settings, port), database).run_once()
    assert (report.delivered, report.retrying, report.failed) == (2, 0, 0)  # registered, decided

    (message,) = [m for m in mailbox.about(number) if "принято решение" in str(m["Subject"])]
    assert message["To"] == "aziza.karimova@example.uz"
    assert message["Content-Language"] == "ru"
    assert number in str(message["Subject"])
    text = message.get_content()
    assert "отказано" in text and "принято решение" in text and reason in text
    assert f"/cases/{number}" in text
    emails = rows(database, channel=NotificationChannel.email)
    assert {r.status for r in emails} == {NotificationStatus.delivered}
    assert all(r.attempts == 1 and r.delivered_at is not None for r in emails)


def test_smtp_down_messages_wait_and_are_delivered_exactly_once_when_it_returns(
    world: World, database: Database, settings: Settings
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    numbers = [submit(world) for _ in range(3)]
    port = free_port()  # nothing listens here yet: the SMTP server is down
    clock = Clock()
    worker = OutboxWorker.from_settings(mail_settings(settings, port), database, clock=clock)

    report = worker.run_once()
    assert (report.claimed, report.retrying, report.delivered) == (3, 3, 0)
    for row in rows(database, channel=NotificationChannel.email):
        assert row.status is NotificationStatus.temporary_failure
        assert row.attempts == 1 and "unreachable" in (row.last_error or "")
        assert row.next_attempt_at is not None
        assert clock.now + dt.timedelta(seconds=15) <= row.next_attempt_at <= clock.now + dt.timedelta(seconds=30)
    assert worker.run_once().claimed == 0  # not due yet: backoff is respected

    with smtp_server(port) as mailbox:
        clock.advance(minutes=1)
        assert worker.run_once().delivered == 3
        clock.advance(hours=2)
        assert worker.run_once().claimed == 0
    assert len(mailbox.messages) == 3
    assert sorted(n for n in numbers for m in mailbox.messages if n in str(m["Subject"])) == sorted(numbers)
    assert {r.status for r in rows(database, channel=NotificationChannel.email)} == {NotificationStatus.delivered}


def test_after_the_last_attempt_a_message_fails_permanently_with_the_reason(
    world: World, database: Database, settings: Settings
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    submit(world)
    clock = Clock()
    worker = OutboxWorker.from_settings(
        mail_settings(settings, free_port(), notify_max_attempts=2), database, clock=clock
    )
    assert worker.run_once().retrying == 1
    clock.advance(hours=1)
    assert worker.run_once().failed == 1
    (row,) = rows(database, channel=NotificationChannel.email)
    assert row.status is NotificationStatus.permanent_failure and row.next_attempt_at is None
    assert (row.last_error or "").startswith("gave up after 2 attempts")


def test_a_worker_that_dies_mid_send_is_replaced_after_its_lease_and_its_late_outcome_is_ignored(
    world: World, database: Database, settings: Settings
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    submit(world)
    port = free_port()
    clock = Clock()
    crashed = OutboxWorker.from_settings(mail_settings(settings, port), database, clock=clock)
    (claim,) = crashed._claim()  # claimed, then the process "dies" before sending
    with smtp_server(port) as mailbox:
        replacement = OutboxWorker.from_settings(mail_settings(settings, port), database, clock=clock)
        crashed.release()  # SQLite: the lease goes with the process
        assert replacement.run_once().claimed == 0  # the claim's lease still holds
        clock.advance(minutes=6)
        assert replacement.run_once().delivered == 1
        crashed._record(claim, status=NotificationStatus.temporary_failure, last_error="late and stale")
    assert len(mailbox.messages) == 1
    (row,) = rows(database, channel=NotificationChannel.email)
    assert row.status is NotificationStatus.delivered and row.attempts == 2


def test_racing_workers_deliver_each_message_exactly_once(world: World, database: Database, settings: Settings) -> None:
    account_id = reachable(world, "alice", "aziza@example.uz")
    count = 40
    with database.uow() as uow:
        for index in range(count):
            notify.enqueue(
                uow.session, account_id, "case.escalated", {"number": f"TEST-2026-{index:06d}", "state": "in_review"}
            )
        uow.commit()
    port = free_port()
    delivered_by: dict[int, int] = {}
    barrier = threading.Barrier(3)

    def work(index: int) -> None:
        worker = OutboxWorker.from_settings(mail_settings(settings, port, notify_batch_size=3), database)
        barrier.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report = worker.run_once()
            delivered_by[index] = delivered_by.get(index, 0) + report.delivered
            if not rows(database, channel=NotificationChannel.email, status=NotificationStatus.queued) and not rows(
                database, channel=NotificationChannel.email, status=NotificationStatus.sending
            ):
                break
            if report.standing_by:
                time.sleep(0.05)
        worker.release()

    with smtp_server(port, delay=0.01) as mailbox:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids)) == count
    assert sum(delivered_by.values()) == count
    assert all(
        r.status is NotificationStatus.delivered and r.attempts == 1
        for r in rows(database, channel=NotificationChannel.email)
    )
    busy = [i for i, n in delivered_by.items() if n]
    if database.dialect == "postgresql":
        assert len(busy) >= 2, delivered_by  # SKIP LOCKED: the workers shared the backlog
    else:
        assert len(busy) == 1, delivered_by  # SQLite: one worker holds the outbox lease, the others stand by


def test_worker_processes_started_together_send_each_message_once(
    world: World, database: Database, settings: Settings, tmp_path: Path
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    numbers = [submit(world) for _ in range(6)]
    port = free_port()
    env = {
        **os.environ,
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SMTP_HOST": "127.0.0.1",
        "SHAFFOF_SMTP_PORT": str(port),
        "SHAFFOF_SMTP_STARTTLS": "false",
        "SHAFFOF_NOTIFY_BATCH_SIZE": "1",
    }
    with smtp_server(port, delay=0.02) as mailbox:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "shaffof.cli.main", "worker", "--once"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert sorted(str(m["Subject"]).rsplit(" ", 1)[-1] for m in mailbox.messages) == sorted(numbers)
    assert any("delivered" in out for out, _ in outputs)


def test_the_worker_loop_delivers_new_messages_until_stopped(
    world: World, database: Database, settings: Settings
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    port = free_port()
    worker = OutboxWorker.from_settings(mail_settings(settings, port), database)
    stop = threading.Event()
    passes: list[int] = []
    with smtp_server(port) as mailbox:
        loop = threading.Thread(
            target=worker.run,
            args=(stop,),
            kwargs={"poll_seconds": 0.05, "on_pass": lambda r: passes.append(r.delivered)},
        )
        loop.start()
        number = submit(world)  # filed while the worker runs
        deadline = time.monotonic() + 10
        while not mailbox.about(number) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        loop.join(10)
    assert not loop.is_alive() and sum(passes) == 1
    assert len(mailbox.about(number)) == 1
    if database.dialect == "sqlite":  # the lease was given up on the way out: the next worker starts at once
        assert OutboxWorker.from_settings(mail_settings(settings, port), database).run_once().standing_by is False


def test_without_an_smtp_host_emails_stay_queued_and_the_worker_says_so(
    world: World, database: Database, settings: Settings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from shaffof.cli.main import app as cli

    reachable(world, "alice", "aziza@example.uz")
    submit(world)
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SMTP_HOST": "",
    }
    try:
        result = CliRunner().invoke(cli, ["worker", "--once"], env=env)
    finally:
        structlog.reset_defaults()  # the command pointed the log at the runner's (now closed) stderr
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "email: not configured; its messages stay queued" in output
    assert "1 waiting for a channel to be configured" in output
    (row,) = rows(database, channel=NotificationChannel.email)
    assert row.status is NotificationStatus.queued and row.attempts == 0


def test_sms_goes_to_the_gateway_and_without_one_fails_permanently(
    world: World, database: Database, settings: Settings
) -> None:
    with world.platform.db.uow() as uow:
        account = identity.find_account_by_login(uow.session, "alice")
        assert account is not None
        uow.session.add(NotificationPreference(account_id=account.id, language="en", sms_number="+998901234567"))
        uow.commit()
    submit(world)
    (row,) = rows(database, channel=NotificationChannel.sms)
    assert row.address == "+998901234567" and row.status is NotificationStatus.queued

    first = OutboxWorker(database, [SmsWebhookChannel(url=None)])
    first.run_once()
    first.release()
    (row,) = rows(database, channel=NotificationChannel.sms)
    assert row.status is NotificationStatus.permanent_failure and row.last_error == "no sms gateway configured"

    sent: list[httpx.Request] = []
    submit(world)
    gateway = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(202))
    report = OutboxWorker(database, [SmsWebhookChannel(url="http://127.0.0.1:9/sms", transport=gateway)]).run_once()
    assert report.delivered == 1 and len(sent) == 1
    assert b"has been registered" in sent[0].content


# ---------------------------------------------------------------------------------------------------------- the outbox


def test_outbox_rows_are_written_with_the_change_or_not_at_all(world: World, database: Database) -> None:
    reachable(world, "alice", "aziza@example.uz")
    cases = world.platform.cases
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    with database.uow() as uow:
        cases.submit(world.actors["alice"], command, uow=uow)
        # no commit: the submission and its notices go together
    assert rows(database) == []

    with pytest.raises(IntegrityError), database.uow() as uow:
        filed = cases.submit(world.actors["alice"], command, uow=uow).case
        year = int(filed.registration_number.split("-")[1])
        uow.session.add(RegistrationCounter(agency_id=world.agencies["YUNUSHOK"], year=year, last_value=0))
        uow.commit()  # fails at commit: the notices written just before it go too
    assert rows(database) == []

    number = submit(world)
    written = rows(database)
    assert {(r.channel, r.status) for r in written} == {
        (NotificationChannel.in_app, NotificationStatus.delivered),
        (NotificationChannel.email, NotificationStatus.queued),
    }
    assert all(r.template == "case.registered" and r.link == f"/cases/{number}" for r in written)


def test_only_the_events_that_concern_the_applicant_are_told(world: World, database: Database) -> None:
    number = submit(world)
    before = len(rows(database))
    officer = world.actors["yunushok.officer"]
    world.platform.cases.take(officer, number)  # taking a case tells the applicant nothing
    assert len(rows(database)) == before

    from shaffof.cases.models import Case

    with database.uow() as uow:
        case = uow.session.scalar(sa.select(Case).where(Case.registration_number == number))
        assert case is not None
        handler = world.platform.notifications.on_case_event
        unknown = SimpleNamespace(
            kind="a_kind_from_the_future", state_after=case.state, reason=None, data={}, at=case.updated_at
        )
        handler(uow.session, case, unknown)  # type: ignore[arg-type]
        moved_by_calendar = SimpleNamespace(
            kind="deadline_recomputed",
            state_after=case.state,
            reason="calendar changed on 2026-03-23: Prezident farmoni",
            data={"deadline": "answer", "due_at": "2026-04-25T18:59:59+00:00", "calendar_date": "2026-03-23"},
            at=case.updated_at,
        )
        handler(uow.session, case, moved_by_calendar)  # type: ignore[arg-type]  # seen live, not messaged
        internal = SimpleNamespace(
            kind="deadline_recomputed",
            state_after=case.state,
            reason="clock restarted",
            data={"deadline": "forwarding", "due_at": "2026-04-25T18:59:59+00:00"},
            at=case.updated_at,
        )
        handler(uow.session, case, internal)  # type: ignore[arg-type]  # not the applicant's deadline
        extended = SimpleNamespace(
            kind="extended",
            state_after=case.state,
            reason="O'rganish uchun",
            data={"deadline": "answer", "due_at": "2026-04-24T19:30:00+00:00"},
            at=case.updated_at,
        )
        handler(uow.session, case, extended)  # type: ignore[arg-type]
        uow.commit()
    (notice,) = [r for r in rows(database) if r.template == "case.deadline_changed"]
    assert len(rows(database)) == before + 1
    assert "25.04.2026" in notice.body and "O'rganish uchun" in notice.body  # the due day in Tashkent


def test_an_extension_tells_the_applicant_the_new_due_date(world: World, database: Database) -> None:
    from shaffof.cases.schemas import Extend

    number = submit(world)
    officer = world.actors["yunushok.officer"]
    cases = world.platform.cases
    cases.take(officer, number)
    extended = cases.extend(officer, number, Extend(kind="study", justification="Joyida o'rganish talab etiladi"))
    assert extended.deadline.due_at is not None
    due = extended.deadline.due_at.astimezone(ZoneInfo("Asia/Tashkent"))
    (notice,) = [r for r in rows(database) if r.template == "case.deadline_changed"]
    assert notice.channel is NotificationChannel.in_app and notice.link == f"/cases/{number}"
    assert f"{due:%d.%m.%Y}" in notice.body and "Joyida o'rganish talab etiladi" in notice.body


# ---------------------------------------------------------------------------------------------------------- the inbox


def test_inbox_lists_marks_read_and_keeps_each_account_to_its_own(client: TestClient, world: World) -> None:
    alice, bob = token(client, "alice"), token(client, "bob")
    assert client.get("/api/v1/inbox").status_code == 401
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    number = client.post("/api/v1/cases", json=body, headers=alice).json()["registration_number"]

    (registered,) = client.get("/api/v1/inbox", headers=alice).json()
    assert registered["template"] == "case.registered" and registered["read_at"] is None
    assert number in registered["subject"] and registered["link"] == f"/cases/{number}"
    assert "ro'yxatga olindi" in registered["subject"]  # Uzbek unless the account chose otherwise

    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    client.post(f"/api/v1/officer/cases/{number}/request-info", json={"message": "Uy raqamini ayting"}, headers=officer)
    newest, oldest = client.get("/api/v1/inbox", headers=alice).json()
    assert newest["template"] == "case.info_requested" and "Uy raqamini ayting" in newest["body"]
    assert oldest["id"] == registered["id"]

    read = client.post(f"/api/v1/inbox/{newest['id']}/read", headers=alice)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert [n["id"] for n in client.get("/api/v1/inbox?unread=true", headers=alice).json()] == [registered["id"]]

    refused = client.post(f"/api/v1/inbox/{newest['id']}/read", headers=bob)
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/inbox", headers=bob).json() == []

    assert client.put("/api/v1/inbox/preferences", json={"language": "en"}, headers=alice).status_code == 200
    client.post(f"/api/v1/cases/{number}/respond", json={"message": "12-uy"}, headers=alice)
    client.post(
        f"/api/v1/officer/cases/{number}/decide", json={"outcome": "approved", "reason": "Tuzatildi"}, headers=officer
    )
    latest = client.get("/api/v1/inbox?limit=1", headers=alice).json()[0]
    assert latest["subject"] == f"A decision has been made on your case: {number}"
    assert "approved" in latest["body"] and "Tuzatildi" in latest["body"]


def test_preferences_are_validated(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    assert client.get("/api/v1/inbox/preferences", headers=alice).json() == {
        "language": "uz",
        "email_enabled": True,
        "sms_number": None,
    }
    bad = client.put("/api/v1/inbox/preferences", json={"language": "de", "sms_number": "0901234567"}, headers=alice)
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"language", "sms_number"}
    good = {"language": "ru", "email_enabled": False, "sms_number": "+998901234567"}
    assert client.put("/api/v1/inbox/preferences", json=good, headers=alice).json() == good
    assert client.get("/api/v1/inbox/preferences", headers=alice).json() == good
