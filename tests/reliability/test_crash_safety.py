"""Crash safety (issue 11, part 2.3): the server and the worker are killed with SIGKILL at random moments during
a burst of idempotent submissions. After restarts, every acknowledged submission exists exactly once, no
registration number repeats, every notice is delivered (a resend after a crash carries the same Message-ID, so
no mail system sees a second message), and ``shaffof verify-log`` passes — on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from shaffof.cases.models import Case, IdempotencyKey
from shaffof.db.engine import Database
from shaffof.notify.models import Notification, NotificationChannel, NotificationStatus
from tests.conftest import TEST_SECRET
from tests.factories import APPEAL_FORM, PASSWORD, World
from tests.integration.test_notify import free_port, reachable, smtp_server

# `make soak` (SHAFFOF_SOAK=1) runs the heavier variant: ten times the submissions and five times the kills.
SOAK = os.environ.get("SHAFFOF_SOAK") == "1"
SUBMISSIONS = 400 if SOAK else 40
SERVER_KILLS = 15 if SOAK else 3
WORKER_KILLS = 15 if SOAK else 3


@dataclass
class Process:
    """A server or worker subprocess that can be killed with SIGKILL and started again, same port."""

    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@dataclass
class Burst:
    acknowledged: dict[str, str] = field(default_factory=dict)  # idempotency key → registration number
    retries: int = 0
    done: threading.Event = field(default_factory=threading.Event)


def wait_ready(base_url: str, server: Process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited with {server.process.returncode}:\n{server.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"the server did not become ready:\n{server.tail()}")


def submit_all(base_url: str, burst: Burst) -> None:
    """File SUBMISSIONS appeals, each retried with its own Idempotency-Key until acknowledged."""
    token: str | None = None
    try:
        for _ in range(SUBMISSIONS):
            key = str(uuid.uuid4())
            while True:
                try:
                    if token is None:
                        signed_in = httpx.post(
                            f"{base_url}/api/v1/auth/login", json={"login": "alice", "password": PASSWORD}, timeout=10
                        )
                        if signed_in.status_code != 200:
                            raise httpx.TransportError(f"sign-in answered {signed_in.status_code}")
                        token = signed_in.json()["access_token"]
                    answer = httpx.post(
                        f"{base_url}/api/v1/cases",
                        json={"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM},
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                        timeout=10,
                    )
                except httpx.TransportError:
                    burst.retries += 1
                    time.sleep(0.1)
                    continue
                if answer.status_code in (200, 201):
                    burst.acknowledged[key] = answer.json()["registration_number"]
                    break
                assert answer.status_code >= 500, answer.text  # a refusal would be a bug; a 5xx a dying server
                burst.retries += 1
                time.sleep(0.1)
    finally:
        burst.done.set()


def process_env(database: Database, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a server or worker subprocess on the test's database and data directory;
    ``settings`` by their name in Settings (``smtp_port="2525"`` → ``SHAFFOF_SMTP_PORT``)."""
    return {
        **os.environ,
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(data_dir),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
        # The tests' citizens sign in with a password only (as in tests/conftest.py); the level check has its
        # own tests (test_service_assurance.py).
        "SHAFFOF_ENFORCE_SERVICE_ASSURANCE": "false",
        **{f"SHAFFOF_{name.upper()}": value for name, value in settings.items()},
    }


def mail_env(database: Database, data_dir: Path, smtp_port: int, **settings: str) -> dict[str, str]:
    """The same, with e-mail going to the test's SMTP server on loopback and the worker polling often."""
    return process_env(
        database,
        data_dir,
        smtp_host="127.0.0.1",
        smtp_port=str(smtp_port),
        smtp_starttls="false",
        worker_poll_seconds="0.2",
        **settings,
    )


def server_process(port: int, env: dict[str, str], log: Path) -> Process:
    """``shaffof serve`` as uvicorn runs it, on loopback."""
    return Process(
        [sys.executable, "-m", "uvicorn", "shaffof.web.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env, log,
    )  # fmt: skip


def worker_process(env: dict[str, str], log: Path) -> Process:
    return Process([sys.executable, "-m", "shaffof.cli.main", "worker"], env, log)


def cases_by_key(database: Database) -> tuple[dict[str, str], list[str]]:
    """Idempotency key → registration number of the case it filed; and every registration number."""
    with database.reading() as session:
        keyed = dict(
            session.execute(
                sa.select(IdempotencyKey.key, Case.registration_number).join(
                    Case, sa.and_(Case.agency_id == IdempotencyKey.agency_id, Case.id == IdempotencyKey.case_id)
                )
            ).all()
        )
        numbers = list(session.scalars(sa.select(Case.registration_number)))
    return keyed, numbers


@contextlib.contextmanager
def running(process: Process) -> Iterator[Process]:
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_acknowledged_submissions_survive_sigkill_of_server_and_worker(
    world: World, database: Database, tmp_path: Path
) -> None:
    reachable(world, "alice", "aziza@example.uz")
    rng = random.Random()
    port, smtp_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_ENFORCE_SERVICE_ASSURANCE": "false",  # the burst signs in with a password (as tests/conftest.py)
        "SHAFFOF_SMTP_HOST": "127.0.0.1",
        "SHAFFOF_SMTP_PORT": str(smtp_port),
        "SHAFFOF_SMTP_STARTTLS": "false",
        "SHAFFOF_NOTIFY_BATCH_SIZE": "2",
        # A killed worker's claims and (SQLite) outbox lease lapse after this; 5 minutes in production.
        "SHAFFOF_NOTIFY_SENDING_LEASE_SECONDS": "3",
    }
    server = server_process(port, env, tmp_path / "server.log")
    worker = worker_process(env, tmp_path / "worker.log")
    burst = Burst()
    with smtp_server(smtp_port, delay=0.01) as mailbox, running(server), running(worker):
        wait_ready(base_url, server)
        client = threading.Thread(target=submit_all, args=(base_url, burst), daemon=True)
        client.start()
        kills = ["server"] * SERVER_KILLS + ["worker"] * WORKER_KILLS
        rng.shuffle(kills)
        for victim in kills:
            if burst.done.wait(rng.uniform(0.3, 1.2)):
                break
            target = server if victim == "server" else worker
            target.kill()
            time.sleep(rng.uniform(0.0, 0.3))
            target.start()
            if victim == "server":
                wait_ready(base_url, server)
        client.join(timeout=3000 if SOAK else 300)
        assert not client.is_alive(), "the submissions did not finish"
        assert server.starts + worker.starts > 2, "nothing was killed: the burst ended too soon to test anything"

        # Everything acknowledged is there exactly once; numbers never repeat.
        assert len(burst.acknowledged) == SUBMISSIONS
        keyed, numbers = cases_by_key(database)
        assert keyed == burst.acknowledged  # each acknowledged key names the case it was acknowledged with
        assert len(numbers) == SUBMISSIONS == len(set(numbers))  # and no retry filed a second case

        # Every notice is delivered once the worker runs on; a resend after a crash keeps its Message-ID.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with database.reading() as session:
                pending = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Notification)
                    .where(
                        Notification.channel == NotificationChannel.email,
                        Notification.status != NotificationStatus.delivered,
                    )
                )
            if not pending:
                break
            time.sleep(0.2)
        assert not pending, worker.tail()
        with database.reading() as session:
            emails = set(
                session.scalars(sa.select(Notification.id).where(Notification.channel == NotificationChannel.email))
            )
        received = [str(message["Message-ID"]) for message in mailbox.messages]
        ids = {int(value.split("notification-")[1].split("@")[0]) for value in received}
        assert ids == emails, (sorted(emails - ids), sorted(ids - emails))

    # Let the sequencer integrate what the killed servers left, then check the whole log.
    world.platform.ledger.sequence()
    verified = subprocess.run(
        [sys.executable, "-m", "shaffof.cli.main", "verify-log"], env=env, capture_output=True, text=True, timeout=300
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
