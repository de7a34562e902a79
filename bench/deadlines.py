"""A calendar change over many open cases: how long does moving their due dates take?

Per backend (a SQLite file and/or a throwaway PostgreSQL 15 cluster from tests/postgres.py) it

  1. migrates a fresh database and seeds the shipped catalogue and the test accounts (tests.factories.World);
  2. inserts N open appeals (``--cases``, default 1,000,000) *directly* with one INSERT … SELECT per table —
     cases and their case_deadlines rows (registration: ended; answer; forwarding) — received on the
     receipt days ``--mode`` chooses:
       worst   every case received on Monday 6 April 2026: every answer deadline is Tuesday 21 April, so
               every case moves when 21 April becomes a day off (N deadlines move, N events);
       spread  receipts spread evenly over 6–20 April: every case's count passes 21 April (N deadlines
               examined), one in fifteen is due on it and moves;
  3. times ``Deadlines.add_override`` (21 April 2026 becomes a day off) — the whole domain operation an
     administrator's request runs, committed: the override row, the set-based recomputation, the
     ``deadline_recomputed`` events, the cases' due_at and event counts;
  4. checks the result: the number of moved deadlines and events, every moved case due on 22 April,
     no case left due on 21 April.

The platform is built as the web app builds it. By default the case-event subscribers (notifications,
live updates, ledger, whatever platform.py wires) are detached, because they are other domains' costs;
``--subscribers`` keeps them (then each moved case also gets its notices, leaves, … — run that with a
smaller N).

    .venv/bin/python bench/deadlines.py [--backend sqlite|postgresql|both] [--cases N] [--mode worst|spread]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform as pyplatform
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
warnings.filterwarnings("ignore", message=".*httpx.*")

import sqlalchemy as sa  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import World  # noqa: E402
from tests.postgres import ThrowawayCluster  # noqa: E402

from shaffof.cases.models import Case, CaseDeadline, CaseEvent  # noqa: E402
from shaffof.catalog.models import Agency, Service  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.deadlines.calendar import OverrideKind  # noqa: E402
from shaffof.deadlines.schemas import OverrideCreate  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

SERVICES = REPO / "services"
CHANGED = dt.date(2026, 4, 21)  # a Tuesday that becomes a day off
FIRST_RECEIPT = dt.date(2026, 4, 6)  # Monday: 15 days → 21 April
SPREAD_DAYS = 15
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": f"{models[0] if models else pyplatform.processor() or 'unknown'} × {os.cpu_count()}",
        "ram": f"{int(meminfo['MemTotal'].split()[0]) / 1024 / 1024:.1f} GiB",
        "load average": ", ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min, at start)",
        "os": f"{pyplatform.system()} {pyplatform.release()}",
        "python": f"{pyplatform.python_implementation()} {pyplatform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "commit": commit or "unknown",
    }


@contextlib.contextmanager
def database(backend: str, root: Path) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        yield f"sqlite:///{root / 'shaffof.db'}", f"SQLite {sqlite3.sqlite_version} (WAL, file)"
        return
    cluster = ThrowawayCluster()
    try:
        url = cluster.start()
        yield url, f"PostgreSQL {server_version(url)} (throwaway cluster, fsync=off)"
    finally:
        cluster.stop()


def server_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        version = connection.execute(sa.text("SHOW server_version")).scalar()
    engine.dispose()
    return str(version)


def load_cases(db: Database, n: int, mode: str) -> float:
    """Insert ``n`` open appeals and their deadlines with one INSERT … SELECT per table; seconds taken."""
    with db.reading() as session:
        agency_id = session.scalar(sa.select(Agency.id).where(Agency.code == "YUNUSHOK"))
        service_id = session.scalar(
            sa.select(Service.id).where(Service.code == "appeal-to-hokimiyat", Service.is_current)
        )
        applicant = session.execute(sa.text("SELECT id, person_id FROM accounts WHERE login = 'alice'")).one()
    spread = SPREAD_DAYS if mode == "spread" else 1
    postgres = db.dialect == "postgresql"
    # Per row n (1..N): received on FIRST_RECEIPT + (n % spread) days, 10:00 in Tashkent (05:00 UTC); the
    # answer is due 15 days later (rolled forward), the forwarding 5 days later (rolled forward).
    due_days = [_answer_due(FIRST_RECEIPT + dt.timedelta(days=d)) for d in range(spread)]
    forward_days = [_forward_due(FIRST_RECEIPT + dt.timedelta(days=d)) for d in range(spread)]

    def pick(days: list[dt.date]) -> str:
        whens = " ".join(f"WHEN {i} THEN '{day.isoformat()}'" for i, day in enumerate(days))
        return f"CASE n % {spread} {whens} END"

    if postgres:
        series = f"SELECT n, gen_random_uuid() AS id FROM generate_series(1, {n}) AS n"
        received = f"(TIMESTAMPTZ '{FIRST_RECEIPT.isoformat()} 05:00:00+00' + (n % {spread}) * INTERVAL '1 day')"
        to_date = "CAST({} AS DATE)"
        json_empty, json_form = "'[]'::jsonb", "'{}'::jsonb"
    else:
        series = (
            f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) "
            "SELECT n, lower(hex(randomblob(16))) AS id FROM s"
        )
        received = f"datetime('{FIRST_RECEIPT.isoformat()} 05:00:00', '+' || (n % {spread}) || ' days')"
        to_date = "{}"
        json_empty, json_form = "'[]'", "'{}'"
    started = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TEMPORARY TABLE bench_ids AS " + series))
        # The end of the due day in Tashkent (UTC+5) is 18:59:59.999999 UTC. SQLite keeps instants as naive
        # UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTCDateTime); PostgreSQL as timestamptz.
        if postgres:
            answer_due_at = f"(CAST({pick(due_days)} AS TIMESTAMP) + INTERVAL '18:59:59.999999') AT TIME ZONE 'UTC'"
            received_text = received
        else:
            answer_due_at = f"({pick(due_days)} || ' 18:59:59.999999')"
            received_text = f"strftime('%Y-%m-%d %H:%M:%S.000000', {received})"
        connection.execute(
            sa.text(
                "INSERT INTO cases (agency_id, id, registration_number, service_id, kind, channel, state, "
                "applicant_account_id, applicant_person_id, form, received_at, registered_at, deadline_policy, "
                "due_at, event_count, updated_at) "
                f"SELECT {agency_id}, id, 'BENCH-' || n, {service_id}, 'ariza', 'api', 'registered', "
                f"{applicant.id}, {applicant.person_id}, {json_form}, {received_text}, {received_text}, "
                f"'zru445-answer', {answer_due_at}, 2, {received_text} FROM bench_ids"
            )
        )
        for kind, policy, days, ended in (
            ("registration", "zru445-registration", None, received_text),
            ("answer", "zru445-answer", due_days, "NULL"),
            ("forwarding", "zru445-forwarding", forward_days, "NULL"),
        ):
            due_on = to_date.format(pick(days)) if days else to_date.format(f"substr({received_text}, 1, 10)")
            if postgres and not days:
                due_on = f"CAST({received} AS DATE)"
            if postgres:
                due_at = f"(CAST({due_on} AS TIMESTAMP) + INTERVAL '18:59:59.999999') AT TIME ZONE 'UTC'"
                starts_on = f"CAST({received} AS DATE)"
            else:
                due_at = f"({due_on} || ' 18:59:59.999999')"
                starts_on = f"substr({received_text}, 1, 10)"
            connection.execute(
                sa.text(
                    "INSERT INTO case_deadlines (agency_id, case_id, kind, policy, started_at, starts_on, adjustments, "
                    "adjustment_count, clock_stopped_at, due_at, due_on, ended_at, updated_at) "
                    f"SELECT {agency_id}, id, '{kind}', '{policy}', {received_text}, {starts_on}, {json_empty}, "
                    f"0, NULL, {due_at}, {due_on}, {ended}, {received_text} FROM bench_ids"
                )
            )
        connection.execute(sa.text("DROP TABLE bench_ids"))
        if postgres:
            connection.execute(sa.text("ANALYZE cases"))
            connection.execute(sa.text("ANALYZE case_deadlines"))
        else:
            connection.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def _answer_due(received: dt.date) -> dt.date:
    from shaffof.deadlines.calendar import LegalCalendar, WorkingWeek

    return LegalCalendar().first_working_day_from(received + dt.timedelta(days=15), WorkingWeek.five_days)[0]


def _forward_due(received: dt.date) -> dt.date:
    from shaffof.deadlines.calendar import LegalCalendar, WorkingWeek

    return LegalCalendar().first_working_day_from(received + dt.timedelta(days=5), WorkingWeek.five_days)[0]


def run(backend: str, n: int, mode: str, subscribers: bool) -> dict[str, str]:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-deadlines-") as tmp,
        database(backend, Path(tmp)) as (
            url,
            server,
        ),
    ):
        migrate.upgrade(url)
        settings = Settings(data_dir=Path(tmp) / "var", database_url=url, services_dir=SERVICES)
        db = Database(url)
        try:
            platform = Platform.build(settings, db)
            world = World.build(platform, SERVICES)
            if not subscribers:
                platform.cases._event_handlers.clear()  # other domains' costs, measured on their own
            load_seconds = load_cases(db, n, mode)
            with db.reading() as session:
                in_window = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(CaseDeadline)
                    .where(
                        CaseDeadline.ended_at.is_(None),
                        CaseDeadline.starts_on <= CHANGED,
                        CaseDeadline.due_on >= CHANGED,
                    )
                )
                expected = session.scalar(
                    sa.select(sa.func.count()).select_from(CaseDeadline).where(CaseDeadline.due_on == CHANGED)
                )
            admin = world.actors["admin"]
            platform.deadlines.clock = lambda: dt.datetime(2026, 4, 8, 9, 0, tzinfo=dt.UTC)
            started, cpu_started = time.perf_counter(), time.process_time()
            result = platform.deadlines.add_override(
                admin, OverrideCreate(date=CHANGED.isoformat(), kind=OverrideKind.day_off, reason="Bench decree")
            )
            seconds = time.perf_counter() - started
            cpu = (
                time.process_time() - cpu_started
            )  # this process's CPU (SQLite runs in it; a PostgreSQL server does not)
            with db.reading() as session:
                events = session.scalar(
                    sa.select(sa.func.count()).select_from(CaseEvent).where(CaseEvent.kind == "deadline_recomputed")
                )
                left = session.scalar(
                    sa.select(sa.func.count()).select_from(Case).where(sa.func.date(Case.due_at) == CHANGED)
                    if backend == "sqlite"
                    else sa.select(sa.func.count()).select_from(CaseDeadline).where(CaseDeadline.due_on == CHANGED)
                )
                moved_to = session.execute(
                    sa.select(CaseDeadline.due_on, sa.func.count())
                    .where(CaseDeadline.kind == "answer")
                    .group_by(CaseDeadline.due_on)
                    .order_by(CaseDeadline.due_on)
                ).all()
            checks = []
            if result.recomputed_deadlines != expected:
                checks.append(f"moved {result.recomputed_deadlines}, expected {expected}")
            if events != expected:
                checks.append(f"{events} events for {expected} moves")
            if left:
                checks.append(f"{left} still due on {CHANGED}")
            if CHANGED in {d for d, _ in moved_to}:
                checks.append("answer deadlines left on the changed day")
        finally:
            db.dispose()
    return {
        "backend": server,
        "cases": f"{n:,}",
        "mode": mode,
        "subscribers": "attached" if subscribers else "detached",
        "load s": f"{load_seconds:.1f}",
        "in window": f"{in_window:,}",
        "moved": f"{result.recomputed_deadlines:,}",
        "override s": f"{seconds:.2f}",
        "override CPU s": f"{cpu:.2f}",
        "µs/case": f"{seconds / n * 1e6:.1f}",
        "checks": "ok" if not checks else "; ".join(checks),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--mode", choices=["worst", "spread"], default="worst")
    parser.add_argument("--subscribers", action="store_true", help="keep the case-event subscribers attached")
    args = parser.parse_args()
    for key, value in machine().items():
        console.print(f"[bold]{key}[/bold]: {value}")
    table = Table(title=f"Calendar override on {CHANGED}: recomputation of open cases")
    rows = []
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        console.print(f"… {backend}: loading {args.cases:,} cases")
        rows.append(run(backend, args.cases, args.mode, args.subscribers))
        console.print(rows[-1])
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*row.values())
    console.print(table)
    failed = [r for r in rows if r["checks"] != "ok"]
    if failed:
        console.print("[red]CHECKS FAILED[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
