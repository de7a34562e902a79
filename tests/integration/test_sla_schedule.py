"""The SLA monitor's work is proportional to the changes (``cases.next_check_at``), on SQLite and PostgreSQL:
a pass reads only the cases whose state is about to change; a stopped clock takes a case off the list; a
calendar change reschedules the moved cases (set-based) and gives each moved event its ledger leaf."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from shaffof.cases.models import Case, CaseEvent
from shaffof.cases.schemas import CaseSubmit
from shaffof.deadlines.calendar import OverrideKind
from shaffof.deadlines.schemas import OverrideCreate
from shaffof.deadlines.sla import SlaState
from shaffof.ledger import merkle
from shaffof.ledger.models import LedgerEntry
from shaffof.ledger.records import canonical_bytes, record_of
from shaffof.platform import Platform
from tests.factories import APPEAL_FORM, World
from tests.integration.test_deadlines import ARIZA_FORM, clock_stopping  # noqa: F401  (a fixture)

TASHKENT = dt.timezone(dt.timedelta(hours=5))


class Clock:
    def __init__(self, platform: Platform, start: dt.datetime) -> None:
        self.now = start
        platform.cases.clock = self
        platform.deadlines.clock = self

    def __call__(self) -> dt.datetime:
        return self.now


def file(world: World, clock: Clock, at: dt.datetime, agency: str = "YUNUSHOK") -> str:
    clock.now = at
    command = CaseSubmit(service="appeal-to-hokimiyat", agency=agency, form=APPEAL_FORM)
    return world.platform.cases.submit(world.actors["alice"], command).case.registration_number


def row(world: World, number: str) -> Case:
    with world.platform.db.reading() as session:
        case = session.scalar(sa.select(Case).where(Case.registration_number == number))
        assert case is not None
        session.expunge(case)
        return case


def test_a_pass_reads_only_the_cases_whose_state_is_about_to_change(world: World) -> None:
    platform, policy = world.platform, world.platform.cases.sla_policy
    start = dt.datetime(2026, 4, 1, 10, 0, tzinfo=TASHKENT)
    clock = Clock(platform, start)
    numbers = [file(world, clock, start + dt.timedelta(days=d)) for d in range(3)]
    cases = [row(world, n) for n in numbers]
    for case in cases:
        assert case.due_at is not None
        assert case.next_check_at == policy.at_risk_from(case.received_at, case.due_at)

    clock.now = start + dt.timedelta(days=4)
    assert platform.monitor_sla().checked == 0  # three open cases, none about to change: none read

    first = cases[0]
    assert first.next_check_at is not None and first.due_at is not None
    clock.now = first.next_check_at + dt.timedelta(seconds=1)
    report = platform.monitor_sla()
    assert (report.checked, report.changed) == (1, {"at_risk": 1})
    after = row(world, numbers[0])
    assert after.sla_state is SlaState.at_risk and after.next_check_at == first.due_at  # next: overdue
    assert platform.monitor_sla().checked == 0  # nothing more until then

    clock.now = first.due_at + policy.long_overdue_after + dt.timedelta(seconds=1)
    report = platform.monitor_sla()
    assert report.changed == {"long_overdue": 1, "overdue": 2}  # the others passed their due dates meanwhile
    assert row(world, numbers[0]).next_check_at is None  # the last state: never read again


def test_a_calendar_change_reschedules_moved_cases_and_records_a_leaf_for_each_move(world: World) -> None:
    platform, policy = world.platform, world.platform.cases.sla_policy
    clock = Clock(platform, dt.datetime(2026, 4, 1, 10, 0, tzinfo=TASHKENT))
    late = file(world, clock, clock.now)  # 15 days → Thursday 16 April
    # 15 days → Saturday 25 April, rolled forward over the weekend to Monday 27 April
    on_track = file(world, clock, dt.datetime(2026, 4, 10, 15, 30, tzinfo=TASHKENT))
    clock.now = dt.datetime(2026, 4, 17, 1, 0, tzinfo=TASHKENT)
    platform.monitor_sla()
    assert row(world, late).sla_state is SlaState.overdue
    before = row(world, on_track)
    assert before.sla_state is SlaState.on_track

    for day in ("2026-04-16", "2026-04-27"):
        result = platform.deadlines.add_override(
            world.actors["admin"],
            OverrideCreate(date=day, kind=OverrideKind.day_off, reason="Decree: an extra day off"),
        )
        assert result.recomputed_deadlines == 1  # the answer deadline due on that day moves to the next

    moved = row(world, on_track)
    assert moved.due_at is not None and before.due_at is not None and before.next_check_at is not None
    exact = policy.at_risk_from(moved.received_at, moved.due_at)
    assert moved.due_at > before.due_at
    # Set-based: the at-risk instant of the earliest receipt of the day — never later than the exact one.
    assert moved.next_check_at is not None and before.next_check_at < moved.next_check_at <= exact
    assert row(world, late).next_check_at == clock.now  # its stored state may be wrong now: checked at once

    report = platform.monitor_sla()
    assert report.changed == {"at_risk": 1}  # 16 April became a day off: the answer is due on 17 April
    assert row(world, late).sla_state is SlaState.at_risk

    with platform.db.reading() as session:
        events = session.execute(
            sa.select(Case.registration_number, CaseEvent)
            .join(CaseEvent, sa.and_(CaseEvent.agency_id == Case.agency_id, CaseEvent.case_id == Case.id))
            .where(CaseEvent.kind == "deadline_recomputed")
        ).all()
        leaves = {
            (leaf.case_id, leaf.event_seq): leaf.leaf_hash
            for leaf in session.scalars(sa.select(LedgerEntry).where(LedgerEntry.event_seq.is_not(None)))
        }
    assert len(events) == 2
    for number, event in events:
        expected = merkle.leaf_hash(canonical_bytes(record_of(number, event)))
        assert leaves[(event.case_id, event.seq)] == expected  # written in one batch, each exactly its record


def test_a_stopped_clock_takes_the_case_off_the_list_until_it_restarts(clock_stopping: World) -> None:  # noqa: F811
    world = clock_stopping  # general-ariza: 15 days, the clock stops while information is awaited
    platform, policy = world.platform, world.platform.cases.sla_policy
    clock = Clock(platform, dt.datetime(2026, 3, 2, 10, 0, tzinfo=TASHKENT))
    command = CaseSubmit(service="general-ariza", agency="VAZIRLAR", form=ARIZA_FORM)
    number = platform.cases.submit(world.actors["alice"], command).case.registration_number
    officer = world.actors["vazirlar.officer"]
    platform.cases.take(officer, number)
    assert row(world, number).next_check_at is not None
    clock.now = dt.datetime(2026, 3, 5, 10, 0, tzinfo=TASHKENT)
    platform.cases.request_info(officer, number, "Manzilni aniqlashtiring")
    assert row(world, number).next_check_at is None
    clock.now = dt.datetime(2026, 4, 30, 10, 0, tzinfo=TASHKENT)  # past the first due date; the clock is stopped
    assert platform.monitor_sla().checked == 0
    platform.cases.provide_info(world.actors["alice"], number, "Yunusobod, 4-kvartal", [])
    restarted = row(world, number)
    assert restarted.due_at is not None and restarted.sla_state is SlaState.on_track
    now_state = policy.state(restarted.received_at, restarted.due_at, clock.now)
    assert now_state is SlaState.at_risk  # 2 March + 15 days + the 56 stopped days: 12 May, 12 of 71 days left
    assert restarted.next_check_at == clock.now  # its stored state is stale: checked at the next pass
    assert platform.monitor_sla().changed == {"at_risk": 1}
