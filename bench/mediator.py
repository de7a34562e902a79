"""The information mediator's cost over a direct registry read, and sealing the message log.

Per backend this script migrates a fresh database, loads the demo registries for N persons and the demo
access policies, registers an agency system's Ed25519 key, and times (medians over R rounds):

  - the baseline: reading a person's family section straight from the registry (decrypting nothing —
    family is clear), in a read transaction: what a query would cost with no mediator at all;
  - a signed mediator query (the domain operation behind ``POST /api/v1/mediator/population/family``):
    signature check, replay check, policy, the registry read, the message-log entry (content kept, encrypted:
    logging level "full"), the person's access record and its ledger leaf, one commit;
  - the citizen's data tracker (their access log) after the rounds;
  - sealing the message log: one RFC 3161 token over the RFC 9162 root of all entries of the run.

    .venv/bin/python bench/mediator.py [--backend sqlite|postgresql|both] [--persons N] [--rounds R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*")

import sqlalchemy as sa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from deadlines import database, machine  # noqa: E402  (bench/deadlines.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import World  # noqa: E402

from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.demo.people import make_people  # noqa: E402
from shaffof.identity import service as identity  # noqa: E402
from shaffof.identity.actor import Actor  # noqa: E402
from shaffof.identity.models import Role  # noqa: E402
from shaffof.mediator import signing  # noqa: E402
from shaffof.mediator.admin import DEMO_POLICIES, add_policies, register_member  # noqa: E402
from shaffof.platform import Platform  # noqa: E402
from shaffof.privacy.models import AccessRecord  # noqa: E402
from shaffof.registries.demo import RegistryPerson, load_registries  # noqa: E402
from shaffof.registries.service import registry_service  # noqa: E402

console = Console()


def median_ms(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


@dataclass(frozen=True)
class Prepared:
    """A migrated database with the demo registries for N persons, the demo policies and IJTIMOIY's system."""

    db: Database
    platform: Platform
    settings: Settings
    subjects: list[str]
    system: Actor
    key: Ed25519PrivateKey
    key_id: str


def prepare(url: str, root: Path, persons: int) -> Prepared:
    migrate.upgrade(url)
    db = Database(url)
    settings = Settings(data_dir=root / "var", argon2_time_cost=1, argon2_memory_kib=8192)
    platform = Platform.build(settings, db)
    world = World.build(platform, Path(__file__).resolve().parent.parent / "services")
    people = make_people(persons, random.Random(1))
    with db.uow() as uow:
        load_registries(
            uow.session,
            platform.registries.cipher,
            [RegistryPerson(p.pinfl, p.last_name, p.first_name, p.patronymic) for p in people],
            random.Random(2),
        )
        add_policies(uow.session, DEMO_POLICIES)
        key = Ed25519PrivateKey.generate()
        key_id = register_member(uow.session, "IJTIMOIY", key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        account = identity.create_account(
            uow,
            platform.passwords,
            login="ijtimoiy.system",
            password="bench-password-123",
            role=Role.officer,
            display_name="IJTIMOIY system",
            agency_id=world.agencies["IJTIMOIY"],
        )
        uow.commit()
    subjects = [p.pinfl for p in people]
    return Prepared(db, platform, settings, subjects, identity.actor_of(account), key, key_id)


def run(backend: str, persons: int, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-mediator-") as root,
        database(backend, Path(root)) as (url, label),
    ):
        started = time.perf_counter()
        prepared = prepare(url, Path(root), persons)
        db, platform, system, key, key_id = (
            prepared.db,
            prepared.platform,
            prepared.system,
            prepared.key,
            prepared.key_id,
        )
        platform.pki.initialise()
        console.print(
            f"[bold]{backend}[/bold]: {label}; registries for {persons:,} persons in "
            f"{time.perf_counter() - started:.1f} s"
        )
        rng = random.Random(3)
        subjects = prepared.subjects
        family = registry_service("population", "family")

        def direct() -> None:
            with db.reading() as session:
                platform.registries.read(session, family, rng.choice(subjects), {"identity", "family"})

        def query(service: str, purpose: str, categories: list[str]) -> Callable[[], object]:
            def call() -> object:
                body = json.dumps(
                    {
                        "subject": rng.choice(subjects),
                        "purpose": purpose,
                        "categories": categories,
                        "request_id": uuid.uuid4().hex,
                        "issued_at": dt.datetime.now(dt.UTC).isoformat(),
                    }
                ).encode()
                return platform.mediator.query(
                    system,
                    "population",
                    service,
                    body,
                    key_id=key_id,
                    signature=signing.sign(key, "population", service, body),
                )

            return call

        base = median_ms(direct, rounds)
        mediated = median_ms(query("family", "child-allowance", ["identity", "family"]), rounds)
        tracker_subject = subjects[0]
        for _ in range(50):  # a person with some history for the tracker read
            body = json.dumps(
                {
                    "subject": tracker_subject,
                    "purpose": "child-allowance",
                    "categories": ["family"],
                    "request_id": uuid.uuid4().hex,
                    "issued_at": dt.datetime.now(dt.UTC).isoformat(),
                }
            )
            platform.mediator.query(
                system,
                "population",
                "family",
                body.encode(),
                key_id=key_id,
                signature=signing.sign(key, "population", "family", body.encode()),
            )

        def tracker() -> None:
            with db.reading() as session:
                session.scalars(
                    sa.select(AccessRecord)
                    .where(AccessRecord.subject_pinfl == tracker_subject)
                    .order_by(AccessRecord.at.desc())
                    .limit(100)
                ).all()

        tracked = median_ms(tracker, rounds)
        started = time.perf_counter()
        batch = platform.mediator.seal()
        sealed_ms = (time.perf_counter() - started) * 1000
        table = Table(title=f"{backend}: median of {rounds} rounds")
        table.add_column("operation")
        table.add_column("median ms", justify="right")
        table.add_column("× baseline", justify="right")
        table.add_row("baseline: direct registry read (family)", f"{base:.2f}", "1.0")
        table.add_row("signed mediator query (family, logging full)", f"{mediated:.2f}", f"{mediated / base:.1f}")
        table.add_row("data tracker: a person's last 100 access records", f"{tracked:.2f}", f"{tracked / base:.1f}")
        table.add_row(f"seal {batch.size} message-log entries (one TSA token)", f"{sealed_ms:.1f}", "")
        console.print(table)
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    for key, value in machine().items():
        console.print(f"{key}: {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.persons, args.rounds)


if __name__ == "__main__":
    main()
