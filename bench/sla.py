"""The overdue board and the SLA monitor over millions of cases (issue 4: "finding the overdue cases among
10 million must take ≤ 50 ms"; the monitor's pass proportional to the changes).

Per backend it loads N cases with the load-test generator (``shaffof demo --scale N/10000 --bulk``, i.e.
:mod:`shaffof.demo.bulk`: receipts over 120 days, the recent ones and a 3 % backlog still open, the rest
closed; deadlines by the real calendar; consistent SLA states and ``next_check_at``) — or reuses the
database kept in ``--data DIR`` from an earlier run — and times, as of now:

  - the baseline: a primary-key lookup of one case, in the same run;
  - the overdue board's first page (100 cases, the most overdue first), through the partial index
    ``ix_cases_open_due``;
  - the count of overdue cases (the board's total);
  - the SLA monitor's work list, before and after ``next_check_at``: the former candidate query (open
    cases due within the at-risk share of the longest period, or not on track) and the current one (open
    cases whose next check is due, index ``ix_cases_sla_check``), with how many rows each returns;
  - the same work list once a day's changes are due (as of now + 24 h);
  - one pass of the monitor (``Platform.monitor_sla``: work list, row locks, events, escalations), committed.

    .venv/bin/python bench/sla.py [--backend sqlite|postgresql|both] [--cases N] [--rounds R] [--data DIR]
                                  [--load-only]

With ``--data DIR`` the databases are kept (``DIR/sqlite``, ``DIR/postgresql``; see bench/kept.py): the
first run loads, later runs only measure (each later monitor pass handles what became due meanwhile).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*")

import sqlalchemy as sa  # noqa: E402
from deadlines import database, machine  # noqa: E402  (bench/deadlines.py)
from kept import kept_database  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from shaffof.cases.models import OPEN_STATES_SQL  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.base import UTCDateTime, utcnow  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.demo.bulk import load_bulk_cases  # noqa: E402
from shaffof.demo.loader import CASES_PER_SCALE, has_demo_data, load_demo  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

SERVICES = Path(__file__).resolve().parent.parent / "services"
LONGEST_PERIOD = dt.timedelta(days=92)  # the monitor's former horizon: the at-risk share of this
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)

BOARD = (
    f"SELECT registration_number, due_at FROM cases WHERE {OPEN_STATES_SQL} AND due_at < :now ORDER BY due_at LIMIT 100"
)
COUNT = f"SELECT count(*) FROM cases WHERE {OPEN_STATES_SQL} AND due_at < :now"
BEFORE = (
    f"SELECT agency_id, id FROM cases WHERE {OPEN_STATES_SQL} AND due_at IS NOT NULL "
    "AND (due_at < :horizon OR sla_state <> 'on_track') ORDER BY due_at"
)
AFTER = f"SELECT agency_id, id FROM cases WHERE {OPEN_STATES_SQL} AND next_check_at <= :now ORDER BY next_check_at"
PK = "SELECT registration_number FROM cases WHERE agency_id = :a AND id = :i"


def timed(connection: sa.Connection, sql: str, params: dict[str, object], rounds: int) -> tuple[float, list[sa.Row]]:
    statement = sa.text(sql).bindparams(
        *(sa.bindparam(name, type_=UTCDateTime()) for name in params if name in ("now", "horizon"))
    )
    samples, rows = [], []
    connection.execute(statement, params).all()  # warm-up: the pages it reads, the plan
    for _ in range(rounds):
        started = time.perf_counter()
        rows = list(connection.execute(statement, params).all())
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), rows


@contextlib.contextmanager
def where(backend: str, data: Path | None) -> Iterator[tuple[str, str, Path]]:
    if data is not None:
        with kept_database(backend, data) as (url, label):
            yield url, label, data / backend
        return
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-sla-") as root,
        database(backend, Path(root)) as (url, label),
    ):
        yield url, label, Path(root)


def load(platform: Platform, n: int) -> str:
    with platform.db.reading() as session:
        present = session.scalar(sa.text("SELECT count(*) FROM cases"))
    if has_demo_data(platform) and present >= n:
        return f"reused: {present:,} cases"
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        tasks: dict[str, object] = {}

        def report(task: str, done: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=total)
            bar.update(tasks[task], completed=done)  # type: ignore[arg-type]

        if has_demo_data(platform):  # a kept database grows to n cases
            load_bulk_cases(platform, n - present, progress=report)
        else:
            load_demo(platform, SERVICES, scale=n / CASES_PER_SCALE, bulk=True, progress=report)
    if platform.db.dialect == "postgresql":
        with platform.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) cases")  # as autovacuum leaves a settled table
    return f"loaded {n - present:,} cases in {time.perf_counter() - started:.0f} s (shaffof demo --bulk)"


def run(backend: str, n: int, rounds: int, data: Path | None, load_only: bool = False) -> None:
    with where(backend, data) as (url, label, root):
        migrate.upgrade(url)
        db = Database(url)
        settings = Settings(
            data_dir=root / "var", database_url=url, argon2_time_cost=1, argon2_memory_kib=8192, services_dir=SERVICES
        )
        platform = Platform.build(settings, db)
        try:
            how = load(platform, n)
            console.print(f"[bold]{backend}[/bold]: {label}; {how}")
            if load_only:
                return
            now = utcnow()
            horizon = now + LONGEST_PERIOD * platform.cases.sla_policy.at_risk_share
            with db.engine.connect() as connection:
                total, open_cases = connection.execute(
                    sa.text(f"SELECT count(*), sum(CASE WHEN {OPEN_STATES_SQL} THEN 1 ELSE 0 END) FROM cases")
                ).one()
                one = connection.execute(
                    sa.text("SELECT agency_id, id FROM cases WHERE registration_number > 'P' LIMIT 1")
                ).one()
                base_ms, _ = timed(connection, PK, {"a": one.agency_id, "i": one.id}, rounds)
                board_ms, rows = timed(connection, BOARD, {"now": now}, rounds)
                count_ms, counted = timed(connection, COUNT, {"now": now}, rounds)
                before_ms, before = timed(connection, BEFORE, {"horizon": horizon}, max(1, rounds // 5))
                after_ms, after = timed(connection, AFTER, {"now": now}, rounds)
                # What a pass finds once a day's changes are due (a worker stopped for a day, or a daily pass).
                day_ms, day = timed(connection, AFTER, {"now": now + dt.timedelta(days=1)}, max(1, rounds // 5))
                explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
                plans = {}
                for name, sql, params in (
                    ("board", BOARD, {"now": now}),
                    ("count", COUNT, {"now": now}),
                    ("work list", AFTER, {"now": now}),
                ):
                    statement = sa.text(explain + sql).bindparams(sa.bindparam("now", type_=UTCDateTime()))
                    plans[name] = " / ".join(str(r[-1]).strip() for r in connection.execute(statement, params))
            platform.cases.clock = utcnow
            started = time.perf_counter()
            report = platform.monitor_sla()
            pass_ms = (time.perf_counter() - started) * 1000
        finally:
            platform.live.close()
            db.dispose()
    table = Table(
        title=f"{backend} — {total:,} cases ({open_cases:,} open), as of {now:%Y-%m-%d %H:%M} UTC, median of {rounds}"
    )
    for column in ("query", "rows", "ms (median)", "÷ PK lookup"):
        table.add_column(column, justify="left" if column == "query" else "right")
    table.add_row("primary-key lookup (baseline)", "1", f"{base_ms:.3f}", "1")
    table.add_row("overdue board, first 100", f"{len(rows):,}", f"{board_ms:.3f}", f"{board_ms / base_ms:.1f}")
    table.add_row("count of overdue", f"{counted[0][0]:,}", f"{count_ms:.1f}", f"{count_ms / base_ms:.0f}")
    table.add_row(
        "monitor work list BEFORE (horizon)", f"{len(before):,}", f"{before_ms:.1f}", f"{before_ms / base_ms:.0f}"
    )
    table.add_row(
        "monitor work list AFTER (next_check_at)", f"{len(after):,}", f"{after_ms:.3f}", f"{after_ms / base_ms:.1f}"
    )
    table.add_row(
        "monitor work list AFTER, a day's changes (now + 24 h)",
        f"{len(day):,}",
        f"{day_ms:.1f}",
        f"{day_ms / base_ms:.0f}",
    )
    table.add_row(
        f"monitor pass (checked {report.checked:,}, changed {sum(report.changed.values()):,}, "
        f"escalated {report.escalated:,})",
        "",
        f"{pass_ms:.1f}",
        f"{pass_ms / base_ms:.0f}",
    )
    console.print(table)
    for name, plan in plans.items():
        console.print(f"plan of the {name}: {plan}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--data", type=Path, help="keep the loaded databases here and reuse them")
    parser.add_argument("--load-only", action="store_true", help="load (into --data) and stop; measure later")
    args = parser.parse_args()
    console.print("Shaffof benchmark: the overdue board and the SLA monitor (bench/sla.py)")
    for key, value in machine().items():
        console.print(f"  {key:<13} {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.cases, args.rounds, args.data, args.load_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
