"""What integrity costs: fair assignment on every submission, and one pass of the integrity monitor.

Per backend this script migrates a fresh database with the test world (two TOSHHOK officers and a head), then

  - submits S appeals through the domain *without* the integrity hooks (the baseline) and S *with* them
    (assignment: rule lookup, eligible officers, recusal per officer, open-case loads, the ``assigned`` event
    and its ledger leaf), interleaved so both see the same database growth; medians per submission;
  - inserts N open appeals set-based (``bench/deadlines.py``'s loader) and times one monitor pass
    (``Integrity.scan``) beside a primary-key lookup of one case, in the same run.

    .venv/bin/python bench/integrity.py [--backend sqlite|postgresql|both] [--submissions S] [--cases N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*")

import sqlalchemy as sa  # noqa: E402
from deadlines import database, load_cases, machine  # noqa: E402  (bench/deadlines.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import APPEAL_FORM, World  # noqa: E402

from shaffof.cases.schemas import CaseSubmit  # noqa: E402
from shaffof.cases.service import Cases  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

console = Console()
SERVICES = Path(__file__).resolve().parent.parent / "services"


def run(backend: str, submissions: int, n: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-integrity-") as root,
        database(backend, Path(root)) as (url, label),
    ):
        migrate.upgrade(url)
        db = Database(url)
        settings = Settings(data_dir=Path(root) / "var", argon2_time_cost=1, argon2_memory_kib=8192)
        platform = Platform.build(settings, db)
        world = World.build(platform, SERVICES)

        def cases(integrity: object) -> Cases:
            return Cases(
                db,
                platform.blobs,
                timezone=settings.timezone,
                max_document_bytes=settings.max_document_bytes,
                deadlines=platform.deadlines,
                event_handlers=[platform.ledger.record_case_event],  # the same leaf per event either way
                integrity=integrity,  # type: ignore[arg-type]
            )

        without, with_hooks = cases(None), cases(platform.integrity)
        command = CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
        alice = world.actors["alice"]
        plain, hooked = [], []
        for _ in range(submissions):
            for cases, samples in ((without, plain), (with_hooks, hooked)):
                started = time.perf_counter()
                cases.submit(alice, command)
                samples.append((time.perf_counter() - started) * 1000)
        console.print(f"[bold]{backend}[/bold]: {label}")
        seconds = load_cases(db, n, "spread")
        console.print(f"{n:,} open cases inserted set-based in {seconds:.1f} s")
        with db.engine.connect() as connection:
            one = connection.execute(sa.text("SELECT agency_id, id FROM cases LIMIT 1")).one()
            lookups = []
            for _ in range(15):
                started = time.perf_counter()
                connection.execute(
                    sa.text("SELECT registration_number FROM cases WHERE agency_id = :a AND id = :i"),
                    {"a": one.agency_id, "i": one.id},
                ).all()
                lookups.append((time.perf_counter() - started) * 1000)
        scans = []
        for _ in range(3):
            started = time.perf_counter()
            summary = platform.integrity.scan()
            scans.append((time.perf_counter() - started) * 1000)
        db.dispose()
    base = statistics.median(plain)
    table = Table(title=f"{backend} — {submissions} submissions each way; monitor over {n:,} + {2 * submissions} cases")
    for column in ("measure", "ms (median)", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("submit without integrity hooks (baseline)", f"{base:.2f}", "1")
    table.add_row(
        "submit with fair assignment", f"{statistics.median(hooked):.2f}", f"{statistics.median(hooked) / base:.2f}"
    )
    pk = statistics.median(lookups)
    table.add_row("primary-key lookup (baseline)", f"{pk:.3f}", "1")
    scan = statistics.median(scans)
    table.add_row(f"one monitor pass ({len(summary.checked_rules)} rules)", f"{scan:.1f}", f"{scan / pk:,.0f}")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    console.print("Shaffof benchmark: fair assignment and the integrity monitor (bench/integrity.py)")
    for key, value in machine().items():
        console.print(f"  {key:<13} {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.submissions, args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
