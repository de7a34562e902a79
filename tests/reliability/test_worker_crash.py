"""The one crash the outbox cannot make exactly-once (issue 11, part 2.3), made to happen on purpose: ``shaffof
worker`` is killed with SIGKILL after the SMTP server has taken a message and before the worker could record
it. Delivery is then at-least-once: the restarted worker sends the message again once the dead worker's lease
ends — and the copy carries the same Message-ID, so a mail system (or the citizen's client) that drops repeated
Message-IDs shows it once. On SQLite and PostgreSQL. The random-moment kills during a burst are in
test_crash_safety.py."""

from __future__ import annotations

import os
import signal
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.notify.models import Notification, NotificationChannel, NotificationStatus
from tests.factories import World
from tests.integration.test_notify import Mailbox, free_port, reachable, submit
from tests.reliability.test_crash_safety import Process, mail_env, worker_process


class KillingMailbox(Mailbox):
    """Keeps each message, and on the first one kills the sending worker before answering 250."""

    def __init__(self, victim: Process) -> None:
        super().__init__()
        self.victim = victim

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            assert self.victim.process is not None
            os.kill(self.victim.process.pid, signal.SIGKILL)
        return answer


def test_a_worker_killed_between_smtp_accept_and_commit_resends_under_the_same_message_id(
    world: World, database: Database, settings: Settings, tmp_path: Path
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    number = submit(world)
    smtp_port = free_port()
    env = mail_env(
        database,
        settings.data_dir,
        smtp_port,
        notify_sending_lease_seconds="2",  # 5 minutes in production
    )
    worker = worker_process(env, tmp_path / "worker.log")
    mailbox = KillingMailbox(worker)
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()

    def email() -> Notification:
        with database.reading() as session:
            return session.scalars(
                sa.select(Notification).where(Notification.channel == NotificationChannel.email)
            ).one()

    try:
        worker.start()
        assert worker.process is not None
        worker.process.wait(timeout=60)
        assert worker.process.returncode == -signal.SIGKILL, worker.tail()
        # The server has the message; the outbox does not know: the row is still out for sending.
        assert len(mailbox.messages) == 1
        assert email().status is NotificationStatus.sending
        worker.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and email().status is not NotificationStatus.delivered:
            time.sleep(0.2)
        time.sleep(1.0)  # a third copy would come now if the outcome were not recorded
    finally:
        worker.stop()
        controller.stop()
    row = email()
    assert row.status is NotificationStatus.delivered and row.attempts == 2, worker.tail()
    copies: list[EmailMessage] = mailbox.messages
    assert len(copies) == 2  # at-least-once: the crash window cost one copy ...
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"] == f"<notification-{row.id}@{domain(copies[0])}>"
    assert copies[0].get_content() == copies[1].get_content() and number in str(copies[0]["Subject"])
    assert len({str(m["Message-ID"]) for m in copies}) == 1  # ... which a receiver dropping repeated IDs shows once


def domain(message: EmailMessage) -> str:
    return str(message["Message-ID"]).rsplit("@", 1)[1].rstrip(">")
