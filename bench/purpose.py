"""The cost of destroying personal data when its purpose is achieved (ZRU-547 Art. 17), beside the cost of
obtaining it.

Per backend this script migrates a fresh database, loads the demo registries for N persons and the demo access
policies, and serves E signed mediator queries of the population registry under a policy that keeps the content
(logging level ``full``; queries outside any case). Then it times:

  - the baseline: serving one signed mediator query (median of the E): what obtaining the data costs;
  - the worker's pass with nothing due (median of R passes over the E kept contents): what the pass costs idle;
  - the worker's pass once the contest period is over: all E contents destroyed, each with its tombstone and
    ledger leaf, in batches of 500 — total, and per content destroyed.

    .venv/bin/python bench/purpose.py [--backend sqlite|postgresql|both] [--persons N] [--entries E] [--rounds R]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*")

import sqlalchemy as sa  # noqa: E402
from deadlines import database, machine  # noqa: E402  (bench/deadlines.py)
from mediator import prepare  # noqa: E402  (bench/mediator.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from shaffof.mediator import signing  # noqa: E402
from shaffof.mediator.models import MessageLogEntry  # noqa: E402
from shaffof.privacy.models import Tombstone  # noqa: E402

console = Console()


def run(backend: str, persons: int, entries: int, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-purpose-") as root,
        database(backend, Path(root)) as (url, label),
    ):
        prepared = prepare(url, Path(root), persons)  # bench/mediator.py
        db, platform, settings, system = prepared.db, prepared.platform, prepared.settings, prepared.system
        key, key_id = prepared.key, prepared.key_id
        console.print(f"[bold]{backend}[/bold]: {label}; {persons:,} persons, {entries:,} kept contents")
        rng = random.Random(3)
        subjects = prepared.subjects
        served = []
        for _ in range(entries):
            body = json.dumps(
                {
                    "subject": rng.choice(subjects),
                    "purpose": "child-allowance",
                    "categories": ["identity", "family"],
                    "request_id": uuid.uuid4().hex,
                    "issued_at": dt.datetime.now(dt.UTC).isoformat(),
                }
            ).encode()
            started = time.perf_counter()
            platform.mediator.query(
                system,
                "population",
                "family",
                body,
                key_id=key_id,
                signature=signing.sign(key, "population", "family", body),
            )
            served.append((time.perf_counter() - started) * 1000)
        query_ms = statistics.median(served)

        idle = []
        for _ in range(rounds):
            started = time.perf_counter()
            assert platform.destroy_purpose_achieved().destroyed == 0
            idle.append((time.perf_counter() - started) * 1000)
        idle_ms = statistics.median(idle)

        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.privacy_contest_period_days + 1)
        platform.mediator.clock = lambda: later
        started = time.perf_counter()
        report = platform.destroy_purpose_achieved()
        destroy_ms = (time.perf_counter() - started) * 1000
        with db.reading() as session:
            kept = session.scalar(sa.select(sa.func.count()).where(MessageLogEntry.content_encrypted.is_not(None)))
            tombstones = session.scalar(sa.select(sa.func.count()).select_from(Tombstone))
        assert report.destroyed == entries and kept == 0 and tombstones == entries

        table = Table(title=f"{backend}: medians (E = {entries}, R = {rounds})")
        table.add_column("operation")
        table.add_column("ms", justify="right")
        table.add_column("× baseline", justify="right")
        table.add_row("baseline: serve one signed mediator query (content kept)", f"{query_ms:.2f}", "1.0")
        table.add_row(
            f"worker pass, nothing due ({entries} contents kept)", f"{idle_ms:.2f}", f"{idle_ms / query_ms:.2f}"
        )
        table.add_row(f"worker pass destroying all {entries} (tombstone + leaf each)", f"{destroy_ms:.0f}", "")
        per = destroy_ms / entries
        table.add_row("… per content destroyed", f"{per:.2f}", f"{per / query_ms:.2f}")
        console.print(table)
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    for key, value in machine().items():
        console.print(f"{key}: {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.persons, args.entries, args.rounds)


if __name__ == "__main__":
    main()
