"""Dependencies failing (issue 11, part 2.6), with real processes: PostgreSQL stopped and started again under a
live ``shaffof serve`` taking submissions (refused cleanly with 503 problems while it is down, served again
without restarting the server, nothing acknowledged lost or doubled), and the SMTP server down under a running
``shaffof worker`` (messages wait in the outbox and go out once it is back). The timestamp service being down is
tests/integration/test_ledger_timestamps.py's: the log keeps recording and says why, and past the acceptable
period refuses new work with 503 — as docs/ledger.md describes."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shaffof.config import Settings
from shaffof.db import migrate
from shaffof.db.engine import Database
from shaffof.notify.models import Notification, NotificationChannel, NotificationStatus
from shaffof.platform import Platform
from tests.conftest import SERVICES, TEST_SECRET
from tests.factories import APPEAL_FORM, PASSWORD, World
from tests.integration.test_notify import free_port, reachable, smtp_server, submit
from tests.postgres import ThrowawayCluster
from tests.reliability.test_crash_safety import (
    cases_by_key,
    mail_env,
    process_env,
    running,
    server_process,
    wait_ready,
    worker_process,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[tuple[ThrowawayCluster, Database]]:
    """A PostgreSQL of this test's own, so stopping it disturbs no other test's database."""
    cluster = ThrowawayCluster()
    try:
        url = cluster.start()
        migrate.upgrade(url)
        database = Database(url)
        try:
            yield cluster, database
        finally:
            database.dispose()
    finally:
        cluster.stop()


@dataclass
class Load:
    """Submissions sent one after another, each retried under its Idempotency-Key until acknowledged."""

    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key → registration number
    unclean: list[str] = field(default_factory=list)  # anything other than a 2xx or a 503 problem
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, base_url: str, token: str) -> None:
        with httpx.Client(base_url=base_url, timeout=15) as http:
            while not self.stop.is_set():
                key = str(uuid.uuid4())
                while not self.stop.is_set():
                    answer = http.post(
                        "/api/v1/cases",
                        json={"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM},
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                    )
                    self.statuses[answer.status_code] += 1
                    if answer.status_code in (200, 201):
                        self.acknowledged[key] = answer.json()["registration_number"]
                        break
                    clean = (
                        answer.status_code == 503
                        and answer.headers.get("content-type") == PROBLEM
                        and answer.headers.get("retry-after") is not None
                    )
                    if not clean:
                        self.unclean.append(f"{answer.status_code} {answer.text[:300]}")
                    time.sleep(0.05)


def test_postgresql_restarted_mid_load_gives_503_problems_then_recovers_without_a_server_restart(
    own_postgres: tuple[ThrowawayCluster, Database], tmp_path: Path
) -> None:
    cluster, database = own_postgres
    settings = Settings(
        data_dir=tmp_path / "var",
        secret_key=TEST_SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=8 * 1024,
        services_dir=SERVICES,
    )
    World.build(Platform.build(settings, database), SERVICES)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = server_process(port, process_env(database, settings.data_dir), tmp_path / "server.log")
    load = Load()
    with running(server):
        wait_ready(base_url, server)
        signed_in = httpx.post(f"{base_url}/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        client = threading.Thread(target=load.run, args=(base_url, signed_in.json()["access_token"]), daemon=True)
        client.start()
        try:
            deadline = time.monotonic() + 30
            while len(load.acknowledged) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            before_outage = len(load.acknowledged)
            assert before_outage >= 3, (load.statuses, load.unclean[:3], server.tail())
            cluster.halt()
            time.sleep(2.0)
            refused_during_outage = load.statuses[503]
            ready = httpx.get(f"{base_url}/readyz", timeout=5)
            assert ready.status_code == 503  # the probe says so too: a balancer takes the process out
            cluster.resume()
            deadline = time.monotonic() + 30
            while len(load.acknowledged) < before_outage + 5 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            load.stop.set()
            client.join(timeout=30)
        assert server.process is not None and server.process.poll() is None, server.tail()
        assert server.starts == 1  # recovered without restarting the server
        assert refused_during_outage > 0, load.statuses  # the outage was seen, and answered with 503
        assert not load.unclean, load.unclean[:5]
        assert len(load.acknowledged) >= before_outage + 5, (load.statuses, server.tail())
        assert httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200

    # Everything acknowledged is there exactly once, under the key it was acknowledged with.
    keyed, numbers = cases_by_key(database)
    assert {key: keyed[key] for key in load.acknowledged} == load.acknowledged
    assert len(numbers) == len(set(numbers))
    assert len(numbers) - len(load.acknowledged) <= 1  # at most the one in flight when the load stopped


def test_smtp_down_under_a_running_worker_messages_wait_and_go_out_when_it_returns(
    world: World, database: Database, settings: Settings, tmp_path: Path
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    numbers = [submit(world) for _ in range(3)]
    smtp_port = free_port()  # nothing listens here yet: the SMTP server is down
    env = mail_env(
        database,
        settings.data_dir,
        smtp_port,
        notify_backoff_base_seconds="1",  # retries within seconds (30 s in production)
    )
    worker = worker_process(env, tmp_path / "worker.log")

    def emails() -> list[Notification]:
        with database.reading() as session:
            return list(
                session.scalars(sa.select(Notification).where(Notification.channel == NotificationChannel.email))
            )

    with running(worker):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(row.attempts >= 2 for row in emails()):
            time.sleep(0.2)
        waiting = emails()
        assert len(waiting) == 3 and all(row.attempts >= 2 for row in waiting), worker.tail()  # tried, and again
        assert {row.status for row in waiting} <= {NotificationStatus.temporary_failure, NotificationStatus.sending}
        assert all("unreachable" in (row.last_error or "") for row in waiting), [r.last_error for r in waiting]
        with smtp_server(smtp_port) as mailbox:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(mailbox.messages) < 3:
                time.sleep(0.2)
            time.sleep(1.0)  # a second send would come within the backoff: give it the chance to show
        assert worker.process is not None and worker.process.poll() is None, worker.tail()
    assert len(mailbox.messages) == 3, worker.tail()
    assert sorted(n for n in numbers for m in mailbox.messages if n in str(m["Subject"])) == sorted(numbers)
    assert {row.status for row in emails()} == {NotificationStatus.delivered}
