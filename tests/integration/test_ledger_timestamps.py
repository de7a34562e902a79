"""Checkpoints timestamped by the platform TSA (RFC 3161 over the signed note), checked by `openssl ts -verify`
and by verify-log; and the faults (issue 8 part 6): without the TSA or the log key the log keeps recording
and says why it cannot commit; past the acceptable period it refuses new work, which then changes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from shaffof.cases.models import Case
from shaffof.cases.schemas import CaseSubmit
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.ledger import audit
from shaffof.ledger.errors import LedgerUnavailable
from shaffof.ledger.models import LedgerCheckpointTimestamp, LedgerEntry
from shaffof.platform import Platform
from shaffof.web.app import create_app
from tests.factories import APPEAL_FORM, World, token

SUBMISSION = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)


def openssl(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)


def counts(database: Database) -> tuple[int, int]:
    with database.reading() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or 0,
        )


def test_each_checkpoint_carries_a_tsa_token_that_openssl_verifies(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    platform = world.platform
    platform.pki.initialise()
    platform.cases.submit(world.actors["alice"], SUBMISSION)
    report = platform.ledger.sequence()
    assert report.unstamped is None
    checkpoint = client.get("/api/v1/ledger/checkpoint").json()
    assert checkpoint["timestamp_token"] and checkpoint["timestamped_at"]
    (tmp_path / "checkpoint.note").write_text(checkpoint["note"], encoding="utf-8")
    (tmp_path / "token.der").write_bytes(base64.b64decode(checkpoint["timestamp_token"]))
    root, _ = platform.pki.ca_certificates()
    (tmp_path / "root.pem").write_bytes(root.public_bytes(Encoding.PEM))
    result = openssl(
        "ts", "-verify", "-data", tmp_path / "checkpoint.note", "-in", tmp_path / "token.der", "-token_in",
        "-CAfile", tmp_path / "root.pem",
    )  # fmt: skip
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
    lines = checkpoint["note"].split("\n")
    lines[1] = str(int(lines[1]) + 1)  # the same note claiming one more leaf
    (tmp_path / "other.note").write_text("\n".join(lines), encoding="utf-8")
    other = openssl(
        "ts", "-verify", "-data", tmp_path / "other.note", "-in", tmp_path / "token.der", "-token_in",
        "-CAfile", tmp_path / "root.pem",
    )  # fmt: skip
    assert other.returncode != 0  # the token is over this checkpoint's note and nothing else
    status = client.get("/api/v1/ledger/status").json()
    assert status["checkpoint_timestamped"] is True and status["commitment_failing_since"] is None


def test_verify_log_checks_every_token(world: World, database: Database) -> None:
    platform = world.platform
    platform.pki.initialise()
    platform.cases.submit(world.actors["alice"], SUBMISSION)
    platform.ledger.sequence()
    platform.cases.submit(world.actors["bob"], SUBMISSION)
    platform.ledger.sequence()
    trust = platform.pki.hierarchy().trust

    def check() -> audit.AuditReport:
        return audit.verify_log(database, public_key=platform.ledger.public_key(), blobs=None, tsa_trust=trust)

    clean = check()
    assert clean.ok and clean.counts["checkpoint timestamps"] == 2, [str(d) for d in clean.discrepancies]
    with database.engine.begin() as connection:
        first = connection.execute(sa.select(sa.func.min(LedgerCheckpointTimestamp.checkpoint_id))).scalar_one()
        token = connection.execute(
            sa.select(LedgerCheckpointTimestamp.token).where(LedgerCheckpointTimestamp.checkpoint_id == first)
        ).scalar_one()
        damaged = bytearray(token)
        damaged[-5] ^= 0x01  # a byte of the TSA's signature
        connection.execute(
            sa.update(LedgerCheckpointTimestamp)
            .where(LedgerCheckpointTimestamp.checkpoint_id == first)
            .values(token=bytes(damaged))
        )
        connection.execute(
            sa.update(LedgerCheckpointTimestamp)
            .where(LedgerCheckpointTimestamp.checkpoint_id != first)
            .values(gen_time=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
    problems = [str(d) for d in check().discrepancies]
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"ledger_checkpoint_timestamps checkpoint_id={first}: bad timestamp")
    assert "the token says" in problems[1]
    assert not audit.verify_log(database, public_key=platform.ledger.public_key(), blobs=None).ok  # no CA: said


def test_without_the_tsa_the_log_records_and_says_why_and_later_refuses_new_work(
    world: World, database: Database
) -> None:
    platform, ledger = world.platform, world.platform.ledger
    platform.cases.submit(world.actors["alice"], SUBMISSION)  # the PKI is not set up: no TSA
    report = ledger.sequence()
    assert report.checkpoint is not None and report.unstamped is not None
    assert "time-stamping authority is unavailable" in report.unstamped
    status = ledger.status()
    assert status.commitment_failing_since is not None and not status.refusing_new_work
    assert not status.checkpoint_timestamped
    platform.cases.submit(world.actors["bob"], SUBMISSION)  # within the acceptable period: work goes on

    real_clock = ledger.clock
    ledger.clock = lambda: real_clock() + dt.timedelta(hours=4, minutes=1)  # past X-Road's 4 hours
    ledger.guard.forget()
    before = counts(database)
    with pytest.raises(LedgerUnavailable, match="unable to commit"):
        platform.cases.submit(world.actors["alice"], SUBMISSION)
    assert counts(database) == before  # nothing acknowledged, nothing half-written
    assert ledger.status().refusing_new_work

    platform.pki.initialise()  # the TSA is back: the next tick stamps the newest checkpoint and clears the fault
    recovered = ledger.sequence()
    assert recovered.unstamped is None and ledger.status().commitment_failing_since is None
    assert ledger.latest_checkpoint().timestamp_token is not None
    platform.cases.submit(world.actors["alice"], SUBMISSION)
    assert counts(database)[0] == before[0] + 1


def test_without_the_log_key_the_fault_is_recorded_the_same_way(
    world: World, settings: Settings, database: Database, tmp_path: Path
) -> None:
    broken = Platform.build(settings.model_copy(update={"ledger_key_file": tmp_path / "missing.pem"}), database)
    broken.cases.submit(world.actors["alice"], SUBMISSION)
    report = broken.ledger.sequence()
    assert report.unsigned and report.checkpoint is None
    status = broken.ledger.status()
    assert status.commitment_problem is not None and "log key is unavailable" in status.commitment_problem
    real_clock = broken.ledger.clock
    broken.ledger.clock = lambda: real_clock() + dt.timedelta(hours=5)
    broken.ledger.guard.forget()
    before = counts(database)
    with pytest.raises(LedgerUnavailable):
        broken.cases.submit(world.actors["bob"], SUBMISSION)
    assert counts(database) == before


def test_past_the_period_the_api_answers_503_and_acknowledges_nothing(
    world: World, settings: Settings, database: Database
) -> None:
    strict = settings.model_copy(update={"ledger_acceptable_failure_seconds": 0.2})
    with TestClient(create_app(strict, db=database), base_url="https://testserver") as client:
        alice = token(client, "alice")
        body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
        assert client.post("/api/v1/cases", json=body, headers=alice).status_code == 201
        client.app.state.platform.ledger.sequence()  # type: ignore[attr-defined]  # no TSA: the fault begins
        before = counts(database)
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
        refused = client.post("/api/v1/cases", json=body, headers=alice)
        while refused.status_code == 201 and dt.datetime.now(dt.UTC) < deadline:  # the 0.2 s period, the 1 s cache
            before = counts(database)
            refused = client.post("/api/v1/cases", json=body, headers=alice)
        assert refused.status_code == 503, refused.text
        assert refused.json()["type"] == "/problems/ledger-unavailable"
        assert "try again later" in refused.json()["detail"]
        assert counts(database) == before
        assert client.get("/api/v1/ledger/status").json()["refusing_new_work"] is True
