"""The public dashboard over millions of cases, beside the naive GROUP BY over the cases, in the same run.

Issue 10 asks that the dashboard answer in ≤ 200 ms over 10 million cases. Per backend this script migrates a
fresh database, imports the shipped catalogue, inserts N cases set-based (never through the domain: one
INSERT … SELECT) spread over three years, 15 agencies and 17 services, on all four channels, nearly all
decided (processing 0–30 days, about half of them within the 15-day deadline), the last weeks partly open;
then builds the rollups set-based from those rows (what the case-event handler would have written) and times,
as of 31 May 2026:

  - the dashboard: ``Statistics.dashboard`` — the agencies compared with the total, and the monthly trend, for
    the last 12 months, with medians, 90th percentiles and "overdue now" — exactly what the page calls;
  - the naive GROUP BY: the same period's received/by-channel/decided/on-time counts per agency straight from
    the cases (no percentiles — those would make it slower still);
  - the staff dashboard of one agency (``Statistics.staff_dashboard`` for its head: by service and the monthly
    trend, and the open integrity findings), and the case list behind its "decided" figure (the first 500,
    as ``/officer/statistics/cases`` shows them);
  - a primary-key lookup of one case (the machine's baseline).

    .venv/bin/python bench/stats.py [--backend sqlite|postgresql|both] [--cases N] [--rounds R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*")

import sqlalchemy as sa  # noqa: E402
from deadlines import database, machine  # noqa: E402  (bench/deadlines.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import World  # noqa: E402

from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.platform import Platform  # noqa: E402
from shaffof.reports.schemas import GroupBy, Measure  # noqa: E402
from shaffof.reports.service import Filters  # noqa: E402

NOW = dt.datetime(2026, 5, 31, 12, 0, tzinfo=dt.UTC)
DAYS = 1096  # 1 June 2023 … 31 May 2026
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def load(db: Database, n: int) -> float:
    """Insert ``n`` cases and their rollups set-based; seconds taken."""
    postgres = db.dialect == "postgresql"
    with db.reading() as session:
        agencies = session.execute(sa.text("SELECT id FROM agencies ORDER BY id")).scalars().all()
        services = session.execute(sa.text("SELECT id FROM services ORDER BY id")).scalars().all()
        applicant = session.execute(sa.text("SELECT id, person_id FROM accounts WHERE login = 'alice'")).one()
    a, s = len(agencies), len(services)
    if postgres:
        series = f"SELECT n, gen_random_uuid() AS id FROM generate_series(1, {n}) AS n"
        received = (
            f"(TIMESTAMPTZ '2023-06-01 05:00:00+00' + (n % {DAYS}) * INTERVAL '1 day' "
            "+ (n % 600) * INTERVAL '1 second')"
        )
        plus_days = "({} + ({}) * INTERVAL '1 day')"
        boolean = "CAST(({}) AS INTEGER)"
        month = "to_char({} AT TIME ZONE 'Asia/Tashkent', 'YYYY-MM')"
        day_diff = "(CAST({0} AT TIME ZONE 'Asia/Tashkent' AS DATE) - CAST({1} AT TIME ZONE 'Asia/Tashkent' AS DATE))"
        form = "'{}'::jsonb"
    else:
        series = (
            f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) "
            "SELECT n, lower(hex(randomblob(16))) AS id FROM s"
        )
        received = (
            f"strftime('%Y-%m-%d %H:%M:%S.000000', '2023-06-01 05:00:00', '+' || (n % {DAYS}) || ' days', "
            "'+' || (n % 600) || ' seconds')"
        )
        plus_days = "strftime('%Y-%m-%d %H:%M:%S.000000', {}, '+' || ({}) || ' days')"
        boolean = "({})"
        month = "strftime('%Y-%m', {}, '+5 hours')"
        day_diff = "CAST(julianday(date({0}, '+5 hours')) - julianday(date({1}, '+5 hours')) AS INTEGER)"
        form = "'{}'"
    started = time.perf_counter()
    with db.engine.begin() as c:
        c.execute(sa.text("CREATE TEMPORARY TABLE bench_agencies (i INTEGER PRIMARY KEY, id INTEGER)"))
        c.execute(sa.text("CREATE TEMPORARY TABLE bench_services (i INTEGER PRIMARY KEY, id INTEGER)"))
        c.execute(
            sa.text("INSERT INTO bench_agencies VALUES " + ", ".join(f"({i}, {x})" for i, x in enumerate(agencies)))
        )
        c.execute(
            sa.text("INSERT INTO bench_services VALUES " + ", ".join(f"({i}, {x})" for i, x in enumerate(services)))
        )
        c.execute(sa.text("CREATE TEMPORARY TABLE bench_ids AS " + series))
        # Open: a third of the last 20 days' receipts; the rest decided after (n·7 mod 31) days.
        is_open = f"(n % {DAYS} >= {DAYS - 20} AND n % 3 = 0)"
        due = plus_days.format(received, "15")
        decided = plus_days.format(received, "(n * 7) % 31")
        channel = (
            "CASE WHEN n % 10 < 3 THEN 'portal' WHEN n % 10 < 7 THEN 'api' WHEN n % 10 = 7 THEN 'mobile' "
            "ELSE 'service_centre' END"
        )
        c.execute(
            sa.text(
                "INSERT INTO cases (agency_id, id, registration_number, service_id, kind, channel, state, "
                "applicant_account_id, applicant_person_id, form, received_at, registered_at, deadline_policy, "
                "due_at, outcome, decided_at, event_count, updated_at) "
                f"SELECT ba.id, b.id, 'BENCH-' || n, bs.id, 'ariza', {channel}, "
                f"CASE WHEN {is_open} THEN 'registered' ELSE 'closed' END, {applicant.id}, {applicant.person_id}, "
                f"{form}, {received}, {received}, 'zru445-answer', {due}, "
                f"CASE WHEN {is_open} THEN NULL WHEN n % 4 = 0 THEN 'rejected' ELSE 'approved' END, "
                f"CASE WHEN {is_open} THEN NULL ELSE {decided} END, 2, {received} "
                f"FROM bench_ids b JOIN bench_agencies ba ON ba.i = n % {a} "
                f"JOIN bench_services bs ON bs.i = (n / {a}) % {s}"
            )
        )
        for table in ("bench_ids", "bench_agencies", "bench_services"):
            c.execute(sa.text(f"DROP TABLE {table}"))
        # The rollups the case-event handler would have written for these cases ('submitted' and 'decided').
        counters = (
            "received, received_portal, received_api, received_mobile, received_service_centre, forwarded, decided, "
            "decided_with_deadline, decided_on_time, decided_automatically, contested, reviewed, changed_on_review, "
            "ratings, rating_sum"
        )
        parts = [boolean.format(f"channel = '{x}'") for x in ("portal", "api", "mobile", "service_centre")]
        received_rows = (
            f"SELECT agency_id, service_id, {month.format('received_at')} AS month, 1 AS received, "
            f"{parts[0]} AS received_portal, {parts[1]} AS received_api, {parts[2]} AS received_mobile, "
            f"{parts[3]} AS received_service_centre, 0 AS decided, 0 AS decided_with_deadline, 0 AS decided_on_time "
            "FROM cases"
        )
        decided_rows = (
            f"SELECT agency_id, service_id, {month.format('decided_at')} AS month, 0, 0, 0, 0, 0, 1, 1, "
            f"{boolean.format('decided_at <= due_at')} FROM cases WHERE decided_at IS NOT NULL"
        )
        c.execute(
            sa.text(
                f"INSERT INTO stats_monthly (agency_id, service_id, month, region, {counters}) "
                "SELECT u.agency_id, u.service_id, u.month, coalesce(max(ag.region), ''), sum(received), "
                "sum(received_portal), sum(received_api), sum(received_mobile), sum(received_service_centre), 0, "
                "sum(decided), sum(decided_with_deadline), sum(decided_on_time), 0, 0, 0, 0, 0, 0 "
                f"FROM ({received_rows} UNION ALL {decided_rows}) u JOIN agencies ag ON ag.id = u.agency_id "
                "GROUP BY u.agency_id, u.service_id, u.month"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO stats_processing_days (agency_id, service_id, month, days, decisions) "
                f"SELECT agency_id, service_id, {month.format('decided_at')}, "
                f"{day_diff.format('decided_at', 'received_at')}, count(*) FROM cases WHERE decided_at IS NOT NULL "
                f"GROUP BY 1, 2, 3, 4"
            )
        )
        c.execute(
            sa.text(
                "INSERT INTO stats_agency_processing_days (month, agency_id, days, decisions) "
                "SELECT month, agency_id, days, sum(decisions) FROM stats_processing_days GROUP BY 1, 2, 3"
            )
        )
        if postgres:
            for table in ("cases", "stats_monthly", "stats_processing_days", "stats_agency_processing_days"):
                c.execute(sa.text(f"ANALYZE {table}"))
        else:
            c.execute(sa.text("ANALYZE"))
    return time.perf_counter() - started


def timed(run: Callable[[], object], rounds: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def run(backend: str, n: int, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-stats-") as root,
        database(backend, Path(root)) as (url, label),
    ):
        migrate.upgrade(url)
        db = Database(url)
        settings = Settings(data_dir=Path(root) / "var", argon2_time_cost=1, argon2_memory_kib=8192)
        platform = Platform.build(settings, db)
        world = World.build(platform, Path(__file__).resolve().parent.parent / "services")
        seconds = load(db, n)
        console.print(f"[bold]{backend}[/bold]: {label}; {n:,} cases and their rollups inserted in {seconds:.1f} s")
        platform.cases.clock = lambda: NOW
        period = Filters(from_month="2025-06", to_month="2026-05")
        with db.reading() as session:
            cells = session.execute(sa.text("SELECT count(*) FROM stats_monthly")).scalar_one()
            one = session.execute(sa.text("SELECT agency_id, id FROM cases LIMIT 1")).one()
        base_ms, _ = timed(
            lambda: _scalar(db, "SELECT registration_number FROM cases WHERE agency_id = :a AND id = :i", one), rounds
        )
        dash_ms, dashboard = timed(lambda: platform.statistics.dashboard(period), rounds)
        overdue_ms, _ = timed(lambda: platform.statistics.overdue_now(period), rounds)
        sums_ms, _ = timed(lambda: platform.statistics.report(period, GroupBy.month), rounds)
        head = world.actors["toshhok.head"]
        staff_ms, staff = timed(lambda: platform.statistics.staff_dashboard(head, period), rounds)
        behind_ms, behind = timed(lambda: platform.statistics.cases_behind(head, Measure.decided, period), rounds)
        since = "2025-05-31 19:00:00" if backend == "sqlite" else "2025-05-31 19:00:00+00"
        naive_sql = (
            "SELECT agency_id, count(*), sum(CASE WHEN channel <> 'service_centre' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN decided_at IS NOT NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN decided_at <= due_at THEN 1 ELSE 0 END) "
            f"FROM cases WHERE received_at >= '{since}' GROUP BY agency_id"
        )
        naive_ms, naive = timed(lambda: _all(db, naive_sql), max(1, rounds // 5))
        db.dispose()
    total = dashboard.by_agency.total  # type: ignore[attr-defined]
    naive_received = sum(row[1] for row in naive)  # type: ignore[attr-defined]
    table = Table(title=f"{backend} — {n:,} cases ({cells:,} rollup cells), 12 months to May 2026, median")
    for column in ("query", "ms (median)", "÷ PK lookup", "÷ dashboard"):
        table.add_column(column, justify="left" if column == "query" else "right")
    table.add_row("primary-key lookup (baseline)", f"{base_ms:.3f}", "1", "")
    table.add_row("dashboard (agencies + trend, rollups)", f"{dash_ms:.1f}", f"{dash_ms / base_ms:.0f}", "1")
    table.add_row(
        "  of which: overdue now (live count, partial index)", f"{overdue_ms:.1f}", f"{overdue_ms / base_ms:.0f}", ""
    )
    table.add_row("  one grouping from the rollups (by month)", f"{sums_ms:.1f}", f"{sums_ms / base_ms:.0f}", "")
    table.add_row(
        "staff dashboard, one agency (by service + trend + findings)",
        f"{staff_ms:.1f}",
        f"{staff_ms / base_ms:.0f}",
        f"{staff_ms / dash_ms:.1f}",
    )
    table.add_row(
        "  the cases behind its 'decided' (first 500 of the period)",
        f"{behind_ms:.1f}",
        f"{behind_ms / base_ms:.0f}",
        f"{behind_ms / dash_ms:.1f}",
    )
    table.add_row(
        "naive GROUP BY over the cases", f"{naive_ms:.1f}", f"{naive_ms / base_ms:.0f}", f"{naive_ms / dash_ms:.0f}"
    )
    console.print(table)
    console.print(
        f"dashboard total: received {total.received:,} (naive: {naive_received:,} received in the period by "
        f"receipt), decided {total.decided:,}, on time {total.on_time_share}, overdue now {total.overdue_now:,}, "
        f"median {total.median_processing_days} d, p90 {total.p90_processing_days} d"
    )
    agency = staff.by_service.total  # type: ignore[attr-defined]
    console.print(
        f"staff dashboard of TOSHHOK: received {agency.received:,}, decided {agency.decided:,} over "
        f"{len(staff.by_service.rows)} services; its decided list: {len(behind.cases)} shown, "  # type: ignore[attr-defined]
        f"truncated {behind.truncated}"  # type: ignore[attr-defined]
    )


def _scalar(db: Database, sql: str, key: sa.Row[tuple[int, object]]) -> object:
    with db.engine.connect() as connection:
        return connection.execute(sa.text(sql), {"a": key[0], "i": key[1]}).scalar()


def _all(db: Database, sql: str) -> list[sa.Row[tuple[object, ...]]]:
    with db.engine.connect() as connection:
        return list(connection.execute(sa.text(sql)).all())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="postgresql")
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    console.print("Shaffof benchmark: the statistics dashboard beside the naive GROUP BY (bench/stats.py)")
    for key, value in machine().items():
        console.print(f"  {key:<13} {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.cases, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
