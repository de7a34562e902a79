"""A load-test generator: millions of realistic cases written set-based (``shaffof demo --scale N --bulk``).

The demo loader files every case through the domain operations, which is what a demo needs and far too
slow for the 10-million-case benchmarks of issue 4 (about 4.5 ms a case: 12 hours for 10M). This module
writes the same tables directly, a chunk of cases per transaction, each table filled by one
``INSERT … SELECT`` over a generated series (``generate_series`` on PostgreSQL, a recursive CTE on SQLite):

- ``cases`` spread over the last ``DAYS`` days, at the shipped services' agencies, by the demo's citizens,
  received in working hours; recent ones (and a lingering backlog of older ones) still open — registered
  or taken by an officer — the others decided and closed before their deadline;
- ``case_deadlines`` computed by the real calendar and policies (one computation per service and receipt
  day, joined in): registration, answer, and the proposal notice / forwarding deadlines where due;
- ``case_events``, the timeline each state implies (submitted, registered, taken, decided, closed) and, for
  open cases past their at-risk instant or deadline, the SLA changes and escalations the monitor would
  have recorded; ``cases.sla_state``, ``escalation_level`` and ``next_check_at`` agree with them.

It is NOT the main path, and such a database is for measuring, not for auditing: no ledger leaves are
written (``shaffof verify-log`` reports the events without leaves), no outbox rows, no documents, and the
registration numbers are unique but not gapless (they continue above the agencies' counters, which are
then moved past them). Instants are whole seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from shaffof.canonical_json import canonicalize
from shaffof.cases.due_dates import APPEAL_KINDS
from shaffof.cases.models import Case, CaseDeadline, CaseEvent
from shaffof.cases.service import LEFT_UNCONSIDERED_CITATION
from shaffof.catalog.models import Agency, Service
from shaffof.db.base import UTCDateTime, utcnow
from shaffof.deadlines.policies import deadline_kinds
from shaffof.demo.forms import fill
from shaffof.identity.models import Account, Role
from shaffof.platform import Platform

DAYS = 120  # receipts over the last 120 days
OPEN_DAYS = 18  # cases received in the last 18 days are still being worked
LINGERING = 0.03  # of the older ones, this share is still open: the overdue backlog
IN_REVIEW = 0.75  # of the open ones, taken by an officer (the rest only registered)
CHUNK = 250_000
# Weyl sequences frac(n·α) with α = A / P: well-spread pseudo-random numbers computed by the database.
_P = 2_147_483_647
_A = (1_327_217_885, 1_553_432_429, 965_902_197, 1_738_792_337, 611_953_941, 2_012_131_313, 1_103_515_245)
OUTCOMES = (("approved", 0.55), ("rejected", 0.75), ("partially_approved", 0.90), ("left_unconsidered", 1.0))


@dataclass(frozen=True)
class BulkReport:
    cases: int
    open: int
    events: int
    deadlines: int
    seconds: float


class _Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, name: str) -> None:
        self.postgres = name == "postgresql"

    def rnd(self, k: int) -> str:
        return f"(((n * {_A[k]}) % {_P}) / CAST({_P} AS DOUBLE PRECISION))"

    def floor_int(self, value: str) -> str:
        # PostgreSQL rounds when it casts a float to an integer; SQLite truncates.
        return f"CAST(floor({value}) AS INTEGER)" if self.postgres else f"CAST({value} AS INTEGER)"

    def series(self, low: int, high: int) -> str:
        if self.postgres:
            return f"SELECT n FROM generate_series(CAST({low} AS BIGINT), CAST({high} AS BIGINT)) AS n"
        return f"WITH RECURSIVE s(n) AS (SELECT {low} UNION ALL SELECT n + 1 FROM s WHERE n < {high}) SELECT n FROM s"

    def uuid(self) -> str:
        return "gen_random_uuid()" if self.postgres else "lower(hex(randomblob(16)))"

    def ts(self, epoch: str) -> str:
        """An instant from epoch seconds, floored to the second (stored as UTCDateTime stores it)."""
        if self.postgres:
            return f"to_timestamp(floor({epoch}))"
        return f"(strftime('%Y-%m-%d %H:%M:%S', CAST({epoch} AS INTEGER), 'unixepoch') || '.000000')"

    def iso(self, epoch: str) -> str:
        """An instant as the ISO 8601 text the domain writes into event data."""
        if self.postgres:
            return f"to_char(to_timestamp(floor({epoch})) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
        return f"strftime('%Y-%m-%dT%H:%M:%S+00:00', CAST({epoch} AS INTEGER), 'unixepoch')"

    def least(self, *values: str) -> str:
        return f"{'LEAST' if self.postgres else 'min'}({', '.join(values)})"

    def json(self, *pairs: str) -> str:
        return f"{'jsonb_build_object' if self.postgres else 'json_object'}({', '.join(pairs)})"

    def raw_json(self, text: str) -> str:
        return f"CAST({text} AS JSONB)" if self.postgres else f"json({text})"

    def text(self, value: str) -> str:
        quoted = "'" + value.replace("'", "''") + "'"
        return f"CAST({quoted} AS TEXT)" if self.postgres else quoted


def load_bulk_cases(
    platform: Platform,
    total: int,
    *,
    seed: int = 2026,
    now: dt.datetime | None = None,
    chunk: int = CHUNK,
    progress: Callable[[str, int, int], None] = lambda _task, _done, _total: None,
) -> BulkReport:
    """Write ``total`` cases with their deadlines and timelines (the demo's agencies, services, staff and
    citizens must be loaded). Each chunk is one transaction."""
    started = time.perf_counter()
    now = now or utcnow()
    db, sql = platform.db, _Dialect(platform.db.dialect)
    counts = {"open": 0, "events": 0, "deadlines": 0}
    with db.engine.connect() as connection:
        _fast_load(connection, sql, on=True)
        first = _reference_tables(platform, connection, now, seed) + 1
        connection.commit()
        # Indexes are built once at the end (a sort) rather than grown row by row (random B-tree writes).
        secondary = [index for table in _TABLES for index in table.indexes if not index.unique]
        for index in secondary:
            index.drop(connection, checkfirst=True)
        connection.commit()
        try:
            for low in range(first, first + total, chunk):
                high = min(low + chunk, first + total) - 1
                _chunk(connection, sql, low, high, now, platform, counts)
                connection.commit()
                progress("cases (bulk)", high - first + 1, total)
            _move_counters(connection, sql, first + total - 1)
            _run(connection, "DROP TABLE IF EXISTS bulk_chunk")
            connection.commit()
        finally:
            connection.rollback()
            for done, index in enumerate(secondary, 1):
                index.create(connection, checkfirst=True)
                connection.commit()
                progress("indexes (bulk)", done, len(secondary))
            _run(connection, "ANALYZE")
            connection.commit()
            _fast_load(connection, sql, on=False)
    return BulkReport(total, counts["open"], counts["events"], counts["deadlines"], time.perf_counter() - started)


def _run(connection: sa.Connection, statement: str) -> sa.CursorResult[Any]:
    """Run generated SQL as it is (no bind parameters; psycopg reads a bare % as one)."""
    if connection.dialect.name == "postgresql":
        statement = statement.replace("%", "%%")
    return connection.exec_driver_sql(statement)


_TABLES = (cast(sa.Table, Case.__table__), cast(sa.Table, CaseEvent.__table__), cast(sa.Table, CaseDeadline.__table__))


def _fast_load(connection: sa.Connection, sql: _Dialect, *, on: bool) -> None:
    """Session settings for a bulk load, and back. The rows are consistent by construction and a load-test
    database is rebuilt, not recovered: no per-row foreign-key checks, no waiting for the disk."""
    if sql.postgres:
        if on:
            _run(connection, "SET synchronous_commit = off")
            _run(connection, "SET work_mem = '256MB'")
            _run(connection, "SET maintenance_work_mem = '1GB'")
            is_superuser = connection.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
            if is_superuser:
                _run(connection, "SET session_replication_role = replica")  # skips the foreign-key triggers
        else:
            _run(connection, "RESET ALL")
        connection.commit()
    elif on:
        _pragma(connection, "foreign_keys = OFF", "synchronous = OFF", "cache_size = -1000000")
    else:
        _pragma(connection, "foreign_keys = ON", "synchronous = NORMAL", "cache_size = -2000")


def _pragma(connection: sa.Connection, *pragmas: str) -> None:
    """SQLite refuses some pragmas inside a transaction: run them on the driver's connection, between them."""
    driver = connection.connection.driver_connection
    assert driver is not None
    for pragma in pragmas:
        driver.execute(f"PRAGMA {pragma}")


def _reference_tables(platform: Platform, connection: sa.Connection, now: dt.datetime, seed: int) -> int:
    """The small tables each chunk joins: services × recipient agencies, officers, citizens, receipt days
    and the deadlines per service and day (computed by the real calendar). Returns the last number used."""
    rng = random.Random(seed)
    tz = ZoneInfo(platform.settings.timezone)
    deadlines = platform.deadlines
    with platform.db.reading() as session:
        agencies = {a.id: a for a in session.scalars(sa.select(Agency))}
        by_code = {a.code: a for a in agencies.values()}
        services = list(session.scalars(sa.select(Service).where(Service.is_current).order_by(Service.code)))
        accounts = session.execute(
            sa.select(Account.id, Account.role, Account.agency_id, Account.person_id, Account.display_name)
            .where(Account.is_active)
            .order_by(Account.id)
        ).all()
        calendar = deadlines.calendar(session)
        last_number = session.scalar(sa.text("SELECT max(last_value) FROM registration_counters")) or 0
    officers: dict[int, list[tuple[int, str]]] = {}
    heads: dict[int, int] = {}
    citizens = []
    for account in accounts:
        if account.role is Role.officer and account.agency_id is not None:
            officers.setdefault(account.agency_id, []).append((account.id, account.display_name))
        elif account.role is Role.head and account.agency_id is not None:
            heads[account.agency_id] = heads.get(account.agency_id, 0) + 1
        elif account.role is Role.citizen and account.person_id is not None:
            citizens.append((account.id, account.person_id))
    if not citizens or not officers:
        raise ValueError("load the demo's agencies, staff and citizens first (shaffof demo)")

    combos: list[dict[str, Any]] = []
    for service in services:
        owner = agencies[service.agency_id]
        recipients = [owner]
        if service.recipients == ["*"]:
            recipients = sorted(agencies.values(), key=lambda a: a.code)
        elif service.recipients:
            recipients = [by_code[code] for code in service.recipients if code in by_code] or [owner]
        form = fill(service.form_schema, rng)
        for agency in recipients:
            if agency.id not in officers:
                continue
            up = agencies.get(agency.parent_id) if agency.parent_id else agency
            assert up is not None
            combos.append(
                {
                    "i": len(combos),
                    "service_id": service.id,
                    "agency_id": agency.id,
                    "agency_code": agency.code,
                    "up_code": up.code,
                    "kind": service.kind.value,
                    "policy": service.deadline_policy,
                    "service_code": service.code,
                    "service_version": service.version,
                    "form": json.dumps(form, ensure_ascii=False),
                    "form_sha256": hashlib.sha256(canonicalize(form)).hexdigest(),
                    "officers": len(officers[agency.id]),
                    "heads_here": heads.get(agency.id, 0),
                    "heads_up": heads.get(up.id, 0),
                }
            )
    today = now.astimezone(tz).date()
    days: list[dict[str, Any]] = []
    for d in range(DAYS):
        on = today - dt.timedelta(days=DAYS - d)
        days.append({"d": d, "day_on": on, "midnight": dt.datetime.combine(on, dt.time(), tzinfo=tz).timestamp()})
    due_rows = []
    for service in services:
        answer = deadlines.resolve(service.deadline_policy, service.deadline)
        kinds = deadline_kinds(answer, service.kind in APPEAL_KINDS)
        for day in days:
            noon = dt.datetime.combine(day["day_on"], dt.time(12), tzinfo=tz)  # receipts fall in working hours
            for kind, policy in kinds.items():
                computation = deadlines.compute(policy, noon, calendar)
                due_rows.append(
                    {
                        "service_id": service.id,
                        "d": day["d"],
                        "kind": kind.value,
                        "policy": policy.name,
                        "due_at": computation.due_at,
                        "due_on": computation.due_on,
                        "due_e": computation.due_at.timestamp(),
                        "due_iso": computation.due_at.isoformat(),
                    }
                )
    for table, rows in (
        (_combos, combos),
        (
            _officers,
            [
                {"agency_id": a, "k": k, "account_id": i, "name": n}
                for a, o in officers.items()
                for k, (i, n) in enumerate(o)
            ],
        ),
        (_applicants, [{"i": i, "account_id": a, "person_id": p} for i, (a, p) in enumerate(citizens)]),
        (_days, days),
        (_due, due_rows),
    ):
        table.drop(connection, checkfirst=True)
        table.create(connection)
        connection.execute(table.insert(), rows)
    return int(last_number)


_meta = sa.MetaData()


def _scratch(name: str, *columns: sa.Column[Any]) -> sa.Table:
    """A temporary table of the generator (private to its connection)."""
    return sa.Table(name, _meta, *columns, prefixes=["TEMPORARY"])


_combos = _scratch(
    "bulk_combos",
    sa.Column("i", sa.Integer, primary_key=True),
    sa.Column("service_id", sa.Integer),
    sa.Column("agency_id", sa.Integer),
    sa.Column("agency_code", sa.String(16)),
    sa.Column("up_code", sa.String(16)),
    sa.Column("kind", sa.String(16)),
    sa.Column("policy", sa.String(64)),
    sa.Column("service_code", sa.String(64)),
    sa.Column("service_version", sa.Integer),
    sa.Column("form", sa.Text),
    sa.Column("form_sha256", sa.String(64)),
    sa.Column("officers", sa.Integer),
    sa.Column("heads_here", sa.Integer),
    sa.Column("heads_up", sa.Integer),
)
_officers = _scratch(
    "bulk_officers",
    sa.Column("agency_id", sa.Integer, primary_key=True),
    sa.Column("k", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer),
    sa.Column("name", sa.String(200)),
)
_applicants = _scratch(
    "bulk_applicants",
    sa.Column("i", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer),
    sa.Column("person_id", sa.Integer),
)
_days = _scratch(
    "bulk_days",
    sa.Column("d", sa.Integer, primary_key=True),
    sa.Column("day_on", sa.Date),
    sa.Column("midnight", sa.Float),
)
_due = _scratch(
    "bulk_due",
    sa.Column("service_id", sa.Integer, primary_key=True),
    sa.Column("d", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("policy", sa.String(64)),
    sa.Column("due_at", UTCDateTime()),
    sa.Column("due_on", sa.Date),
    sa.Column("due_e", sa.Float),
    sa.Column("due_iso", sa.String(40)),
)


def _chunk(
    connection: sa.Connection,
    sql: _Dialect,
    low: int,
    high: int,
    now: dt.datetime,
    platform: Platform,
    counts: dict[str, int],
) -> None:
    """One chunk of cases, numbers ``low``..``high``: a scratch table of each case's facts, then one
    INSERT … SELECT per table (and per event kind)."""
    policy = platform.cases.sla_policy
    share, late = policy.at_risk_share, policy.long_overdue_after.total_seconds()
    now_e = now.timestamp()
    r = sql.rnd
    count_combos = connection.scalar(sa.text("SELECT count(*) FROM bulk_combos"))
    count_applicants = connection.scalar(sa.text("SELECT count(*) FROM bulk_applicants"))
    # Per number n: which service at which body, which citizen, which day, what time of day (09:00–17:00).
    picked = (
        f"SELECT n, {sql.floor_int(f'{r(0)} * {count_combos}')} AS c, "
        f"{sql.floor_int(f'{r(1)} * {count_applicants}')} AS a, "
        f"{sql.floor_int(f'{r(2)} * {DAYS}')} AS d, {9 * 3600} + {sql.floor_int(f'{r(3)} * {8 * 3600}')} AS tod, "
        f"{r(4)} AS r_open, {r(5)} AS r_work, {r(6)} AS r_outcome FROM ({sql.series(low, high)}) AS series"
    )
    timed = (
        "SELECT p.*, b.midnight + p.tod AS recv_e, u.due_e, u.due_iso, u.due_at, "
        f"({DAYS - 1} - p.d < {OPEN_DAYS} OR p.r_open < {LINGERING} OR u.due_e >= {now_e}) AS is_open "
        f"FROM ({picked}) AS p JOIN bulk_combos k ON k.i = p.c JOIN bulk_days b ON b.d = p.d "
        "JOIN bulk_due u ON u.service_id = k.service_id AND u.d = p.d AND u.kind = 'answer'"
    )
    state = f"CASE WHEN NOT is_open THEN 'closed' WHEN r_work < {IN_REVIEW} THEN 'in_review' ELSE 'registered' END"
    sla = (
        f"CASE WHEN NOT is_open THEN 'on_track' WHEN {now_e} > due_e + {late} THEN 'long_overdue' "
        f"WHEN {now_e} > due_e THEN 'overdue' WHEN due_e - {now_e} < (due_e - recv_e) * {share} THEN 'at_risk' "
        "ELSE 'on_track' END"
    )
    facts = (
        f"SELECT t.*, {state} AS state, {sla} AS sla, "
        f"{sql.least('recv_e + 60 + r_work * (due_e - recv_e) * 0.5', f'{now_e} - 1')} AS taken_e, "
        "recv_e + 120 + (0.5 + 0.49 * r_outcome) * (due_e - recv_e) AS decided_e FROM (" + timed + ") AS t"
    )
    outcome = "CASE " + " ".join(f"WHEN r_outcome < {edge} THEN '{name}'" for name, edge in OUTCOMES) + " END"
    level = "CASE sla WHEN 'long_overdue' THEN 2 WHEN 'overdue' THEN 1 ELSE 0 END"
    sla_events = "CASE sla WHEN 'long_overdue' THEN 5 WHEN 'overdue' THEN 3 WHEN 'at_risk' THEN 1 ELSE 0 END"
    next_e = (
        f"CASE WHEN state = 'closed' THEN NULL WHEN sla = 'on_track' THEN due_e - (due_e - recv_e) * {share} "
        f"WHEN sla = 'at_risk' THEN due_e WHEN sla = 'overdue' THEN due_e + {late} END"
    )
    _run(connection, "DROP TABLE IF EXISTS bulk_chunk")
    _run(
        connection,
        f"CREATE TEMPORARY TABLE bulk_chunk AS SELECT f.*, {sql.uuid()} AS id, {outcome} AS outcome, {level} AS level, "
        f"{next_e} AS next_e, 2 + CASE WHEN state = 'registered' THEN 0 ELSE 1 END "
        f"+ CASE WHEN state = 'closed' THEN 2 ELSE {sla_events} END AS event_count, "
        f"{sql.least('decided_e + 3600', str(now_e))} AS closed_e FROM ({facts}) AS f",
    )
    opened = connection.scalar(sa.text("SELECT count(*) FROM bulk_chunk WHERE state <> 'closed'")) or 0
    counts["open"] += int(opened)
    _insert_cases(connection, sql)
    counts["deadlines"] += _insert_deadlines(connection, sql)
    counts["events"] += _insert_events(connection, sql, share, late)


_FROM_CHUNK = (
    "FROM bulk_chunk x JOIN bulk_combos k ON k.i = x.c JOIN bulk_applicants ap ON ap.i = x.a "
    "JOIN bulk_days b ON b.d = x.d LEFT JOIN bulk_officers o ON o.agency_id = k.agency_id AND o.k = x.n % k.officers"
)


def _insert_cases(connection: sa.Connection, sql: _Dialect) -> None:
    channel = (  # 60 / 15 / 15 / 10 %, as the demo
        "CASE WHEN x.n % 20 < 12 THEN 'portal' WHEN x.n % 20 < 15 THEN 'api' WHEN x.n % 20 < 18 THEN 'mobile' "
        "ELSE 'service_centre' END"
    )
    number = (
        f"k.agency_code || '-' || CAST({_year(sql)} AS TEXT) || '-' || "
        # lpad cuts a longer string to the length: numbers past 999,999 keep all their digits
        "lpad(CAST(x.n AS TEXT), GREATEST(6, length(CAST(x.n AS TEXT))), '0')"
        if sql.postgres
        else f"k.agency_code || '-' || {_year(sql)} || '-' || printf('%06d', x.n)"
    )
    closed = "x.state = 'closed'"
    updated = f"CASE WHEN {closed} THEN x.closed_e WHEN x.state = 'in_review' THEN x.taken_e ELSE x.recv_e END"
    _run(
        connection,
        "INSERT INTO cases (agency_id, id, registration_number, service_id, kind, channel, state, "
        "applicant_account_id, applicant_person_id, form, received_at, registered_at, deadline_policy, due_at, "
        "assignee_account_id, outcome, outcome_reason, decided_at, decided_by_account_id, closed_at, event_count, "
        "sla_state, escalation_level, next_check_at, updated_at) "
        f"SELECT k.agency_id, x.id, {number}, k.service_id, k.kind, {channel}, x.state, ap.account_id, ap.person_id, "
        f"{sql.raw_json('k.form')}, {sql.ts('x.recv_e')}, {sql.ts('x.recv_e')}, k.policy, x.due_at, "
        "CASE WHEN x.state = 'registered' THEN NULL ELSE o.account_id END, "
        f"CASE WHEN {closed} THEN x.outcome END, CASE WHEN {closed} THEN {sql.text(DECISION_REASON)} END, "
        f"CASE WHEN {closed} THEN {sql.ts('x.decided_e')} END, CASE WHEN {closed} THEN o.account_id END, "
        f"CASE WHEN {closed} THEN {sql.ts('x.closed_e')} END, x.event_count, x.sla, x.level, "
        f"CASE WHEN x.next_e IS NOT NULL THEN {sql.ts('x.next_e')} END, {sql.ts(updated)} "
        + _FROM_CHUNK
        + " ORDER BY k.agency_id, x.id",
    )


DECISION_REASON = "Qonun hujjatlari asosida ko'rib chiqildi."
CLOSING_REASON = "Qaror arizachiga yetkazildi."
REGISTERED_REASON = "registered on receipt (ZRU-445 Art. 23)"
ESCALATION_REASON = "ZRU-445 Art. 28: the answer deadline has passed"


def _insert_deadlines(connection: sa.Connection, sql: _Dialect) -> int:
    ended = (
        f"CASE WHEN u.kind = 'registration' THEN {sql.ts('x.recv_e')} "
        f"WHEN x.state = 'closed' THEN {sql.ts('x.decided_e')} END"
    )
    result = _run(
        connection,
        "INSERT INTO case_deadlines (agency_id, case_id, kind, policy, started_at, starts_on, adjustments, "
        "adjustment_count, clock_stopped_at, due_at, due_on, ended_at, updated_at) "
        f"SELECT k.agency_id, x.id, u.kind, u.policy, {sql.ts('x.recv_e')}, b.day_on, "
        f"{sql.raw_json(sql.text('[]'))}, 0, "
        f"NULL, u.due_at, u.due_on, {ended}, {sql.ts('x.recv_e')} "
        + _FROM_CHUNK
        + " JOIN bulk_due u ON u.service_id = k.service_id AND u.d = x.d ORDER BY k.agency_id, x.id, u.kind",
    )
    return int(result.rowcount)


def _insert_events(connection: sa.Connection, sql: _Dialect, share: float, late: float) -> int:
    """The timeline each case's state implies, one INSERT … SELECT per event."""
    t, j = sql.text, sql.json
    citation = json.dumps(LEFT_UNCONSIDERED_CITATION.model_dump(mode="json", exclude_none=True))
    decided_data = (
        "CASE WHEN x.outcome = 'left_unconsidered' "
        f"THEN {j(t('outcome'), 'x.outcome', t('citation'), sql.raw_json(t(citation)))} "
        f"ELSE {j(t('outcome'), 'x.outcome')} END"
    )
    submitted_data = j(
        t("service"),
        "k.service_code",
        t("service_version"),
        "k.service_version",
        t("form_sha256"),
        "k.form_sha256",
        t("documents"),
        sql.raw_json(t("[]")),
    )
    seq = "2 + CASE WHEN x.state = 'registered' THEN 0 ELSE 1 END"  # the last lifecycle event of an open case

    def sla_changed(before: str, after: str) -> str:
        return j(t("from"), t(before), t("to"), t(after), t("due_at"), "x.due_iso")

    def escalated(level: int, code: str, notified: str) -> str:
        return j(t("level"), str(level), t("to_agency"), code, t("notified"), notified)

    at_risk = f"x.due_e - (x.due_e - x.recv_e) * {share} + 1"
    overdue, long_overdue = "x.due_e + 1", f"x.due_e + {late} + 1"
    escalation = t(ESCALATION_REASON)
    # seq, kind, at (epoch seconds), actor, state before, state after, reason, data, which cases
    events = [
        ("1", "submitted", "x.recv_e", "ap.account_id", "NULL", t("submitted"), "NULL", submitted_data, "1 = 1"),
        ("2", "registered", "x.recv_e", "NULL", t("submitted"), t("registered"), t(REGISTERED_REASON), j(), "1 = 1"),
        (
            "3",
            "taken",
            "x.taken_e",
            "o.account_id",
            t("registered"),
            t("in_review"),
            "NULL",
            j(t("assignee"), "o.name"),
            "x.state <> 'registered'",
        ),
        (
            "4",
            "decided",
            "x.decided_e",
            "o.account_id",
            t("in_review"),
            t("decided"),
            t(DECISION_REASON),
            decided_data,
            "x.state = 'closed'",
        ),
        (
            "5",
            "closed",
            "x.closed_e",
            "o.account_id",
            t("decided"),
            t("closed"),
            t(CLOSING_REASON),
            j(),
            "x.state = 'closed'",
        ),
        (
            f"{seq} + 1",
            "sla_changed",
            at_risk,
            "NULL",
            "x.state",
            "x.state",
            "NULL",
            sla_changed("on_track", "at_risk"),
            "x.sla IN ('at_risk', 'overdue', 'long_overdue')",
        ),
        (
            f"{seq} + 2",
            "sla_changed",
            overdue,
            "NULL",
            "x.state",
            "x.state",
            "NULL",
            sla_changed("at_risk", "overdue"),
            "x.level >= 1",
        ),
        (
            f"{seq} + 3",
            "escalated",
            overdue,
            "NULL",
            "x.state",
            "x.state",
            escalation,
            escalated(1, "k.agency_code", "k.heads_here"),
            "x.level >= 1",
        ),
        (
            f"{seq} + 4",
            "sla_changed",
            long_overdue,
            "NULL",
            "x.state",
            "x.state",
            "NULL",
            sla_changed("overdue", "long_overdue"),
            "x.level >= 2",
        ),
        (
            f"{seq} + 5",
            "escalated",
            long_overdue,
            "NULL",
            "x.state",
            "x.state",
            escalation,
            escalated(2, "k.up_code", "k.heads_up"),
            "x.level >= 2",
        ),
    ]
    timelines = " UNION ALL ".join(
        f"SELECT k.agency_id AS agency_id, x.id AS case_id, {number} AS seq, {t(kind)} AS kind, {sql.ts(at)} AS at, "
        f"{actor} AS actor_account_id, {before} AS state_before, {after} AS state_after, {reason} AS reason, "
        f"{data} AS data {_FROM_CHUNK} WHERE {which}"
        for number, kind, at, actor, before, after, reason, data, which in events
    )
    # One statement, in key order: the primary-key index is written front to back, not at random.
    result = _run(
        connection,
        "INSERT INTO case_events (agency_id, case_id, seq, kind, at, actor_account_id, state_before, "
        f"state_after, reason, data) SELECT * FROM ({timelines}) AS e ORDER BY agency_id, case_id, seq",
    )
    return int(result.rowcount)


def _year(sql: _Dialect) -> str:
    return "CAST(EXTRACT(YEAR FROM b.day_on) AS INTEGER)" if sql.postgres else "CAST(substr(b.day_on, 1, 4) AS INTEGER)"


def _move_counters(connection: sa.Connection, sql: _Dialect, last: int) -> None:
    """Real submissions continue above the generated numbers (each agency's counter for each year)."""
    _run(
        connection,
        "INSERT INTO registration_counters (agency_id, year, last_value) "
        f"SELECT DISTINCT k.agency_id, {_year(sql)}, 0 FROM bulk_combos k CROSS JOIN bulk_days b "
        "WHERE NOT EXISTS (SELECT 1 FROM registration_counters r "
        f"WHERE r.agency_id = k.agency_id AND r.year = {_year(sql)})",
    )
    connection.execute(
        sa.text("UPDATE registration_counters SET last_value = :last WHERE last_value < :last"), {"last": last}
    )
