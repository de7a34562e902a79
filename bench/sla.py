"""The overdue board and the SLA monitor's candidate query over many open cases.

Issue 4 asks that finding the overdue cases among 10 million take ≤ 50 ms (an indexed query). Per backend this
script migrates a fresh database, inserts N open appeals directly (``bench/deadlines.py``'s loader: receipts
spread over 6–20 April 2026, answers due 21 April – 5 May) and, as of 28 April 2026 (about half overdue), times

  - the overdue board's first page (100 cases, the most overdue first) — the query an officer's board and the
    monitor's escalation pass run; it must use the partial index ``ix_cases_open_due``;
  - the count of overdue cases (the board's total);
  - the monitor's candidate query (keys of the open cases it must look at);
  - the baseline: a primary-key lookup of one case, in the same run.

    .venv/bin/python bench/sla.py [--backend sqlite|postgresql|both] [--cases N] [--rounds R]
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from tests.factories import World  # noqa: E402

from shaffof.cases.models import OPEN_STATES_SQL  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

NOW = dt.datetime(2026, 4, 28, 7, 0, tzinfo=dt.UTC)
console = Console()


def timed(connection: sa.Connection, sql: str, params: dict[str, object], rounds: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = connection.execute(sa.text(sql), params).all()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def run(backend: str, n: int, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-sla-") as root,
        database(backend, Path(root)) as (url, label),
    ):
        migrate.upgrade(url)
        db = Database(url)
        settings = Settings(data_dir=Path(root) / "var", argon2_time_cost=1, argon2_memory_kib=8192)
        World.build(Platform.build(settings, db), Path(__file__).resolve().parent.parent / "services")
        seconds = load_cases(db, n, "spread")
        console.print(f"[bold]{backend}[/bold]: {label}; {n:,} open cases inserted in {seconds:.1f} s")
        now = NOW if backend == "postgresql" else NOW.replace(tzinfo=None).isoformat(sep=" ")
        horizon = NOW + dt.timedelta(days=23)
        horizon_param = horizon if backend == "postgresql" else horizon.replace(tzinfo=None).isoformat(sep=" ")
        board = (
            f"SELECT registration_number, due_at FROM cases WHERE {OPEN_STATES_SQL} AND due_at < :now "
            "ORDER BY due_at LIMIT 100"
        )
        count = f"SELECT count(*) FROM cases WHERE {OPEN_STATES_SQL} AND due_at < :now"
        candidates = (
            f"SELECT agency_id, id FROM cases WHERE {OPEN_STATES_SQL} AND due_at IS NOT NULL "
            "AND (due_at < :horizon OR sla_state <> 'on_track') ORDER BY due_at"
        )
        with db.engine.connect() as connection:
            one = connection.execute(sa.text("SELECT agency_id, id FROM cases LIMIT 1")).one()
            base_ms, _ = timed(
                connection,
                "SELECT registration_number FROM cases WHERE agency_id = :a AND id = :i",
                {"a": one.agency_id, "i": one.id},
                rounds,
            )
            board_ms, rows = timed(connection, board, {"now": now}, rounds)
            count_ms, total = timed(connection, count, {"now": now}, rounds)
            cand_ms, keys = timed(connection, candidates, {"horizon": horizon_param}, max(1, rounds // 3))
            explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
            plan = " / ".join(str(r[-1]) for r in connection.execute(sa.text(explain + board), {"now": now}))
        db.dispose()
    table = Table(title=f"{backend} — {n:,} open cases, as of {NOW:%Y-%m-%d %H:%M} UTC, median of {rounds}")
    for column in ("query", "rows", "ms (median)", "÷ PK lookup"):
        table.add_column(column, justify="right" if column != "query" else "left")
    table.add_row("primary-key lookup (baseline)", "1", f"{base_ms:.3f}", "1")
    table.add_row("overdue board, first 100", str(len(rows or [])), f"{board_ms:.3f}", f"{board_ms / base_ms:.0f}")
    overdue = total[0][0] if total else 0  # type: ignore[index]
    table.add_row("count of overdue", f"{overdue:,}", f"{count_ms:.1f}", f"{count_ms / base_ms:.0f}")
    table.add_row("monitor candidates (keys)", f"{len(keys or []):,}", f"{cand_ms:.1f}", f"{cand_ms / base_ms:.0f}")
    console.print(table)
    console.print(f"plan of the board query: {plan}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    console.print("Shaffof benchmark: the overdue board and the SLA monitor's query (bench/sla.py)")
    for key, value in machine().items():
        console.print(f"  {key:<13} {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.cases, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
