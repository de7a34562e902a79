"""The statistics count what happened to cases, in the same transaction, and agree with a recount.

A small history is made through the domain (received on several channels, decided on time and late,
one left overdue, one forwarded, one contested and changed on review, answers rated), then the
rollups' figures are compared with numbers worked out by hand and with a straightforward recount
from the cases themselves; a rebuild from the stored events gives the same rollups.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from shaffof.cases.errors import TransitionRefused
from shaffof.cases.models import Case, CaseRelation, CaseState, Channel, Outcome
from shaffof.cases.ratings import AlreadyRated, Rate
from shaffof.cases.schemas import CaseSubmit
from shaffof.catalog.models import Agency
from shaffof.reports.errors import PeriodInvalid, UnknownFilter
from shaffof.reports.models import StatsMonthly, StatsProcessingDays
from shaffof.reports.schemas import GroupBy
from shaffof.reports.service import Filters, percentile
from tests.factories import APPEAL_FORM, World

TASHKENT = ZoneInfo("Asia/Tashkent")
START = dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC)  # Monday 10:00 in Tashkent


def _history(world: World) -> dict[str, str]:
    """Make the history; returns registration numbers by role in it."""
    platform = world.platform
    cases = platform.cases
    clock = [START]
    cases.clock = lambda: clock[0]
    alice, officer = world.actors["alice"], world.actors["yunushok.officer"]
    numbers: dict[str, str] = {}

    def submit(name: str, channel: Channel) -> str:
        command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM, channel=channel)
        numbers[name] = cases.submit(alice, command).case.registration_number
        return numbers[name]

    submit("on_time", Channel.portal)
    submit("late", Channel.api)
    submit("overdue", Channel.service_centre)
    submit("forwarded", Channel.mobile)
    for name in ("on_time", "late", "overdue"):
        cases.take(officer, numbers[name])
    clock[0] = START + dt.timedelta(days=3)
    cases.decide(officer, numbers["on_time"], Outcome.rejected, "Talablarga javob bermaydi")
    cases.forward(officer, numbers["forwarded"], "TOSHHOK", "Shahar hokimligi vakolatida")
    clock[0] = START + dt.timedelta(days=40)  # well past the 15-day answer deadline (ZRU-445 Art. 28(1))
    cases.decide(officer, numbers["late"], Outcome.approved, "Ko'rib chiqildi")
    clock[0] = START + dt.timedelta(days=41)
    review = cases.contest(alice, numbers["on_time"], "Qaror asossiz, qayta ko'rib chiqishni so'rayman")
    numbers["review"] = review.registration_number
    reviewer = world.assignee(numbers["review"])  # routed by the body's rule (issue 12)
    cases.take(world.actors[reviewer], numbers["review"])
    clock[0] = START + dt.timedelta(days=45)
    cases.decide(world.actors[reviewer], numbers["review"], Outcome.approved, "Shikoyat asosli")  # changed:
    second = "toshhok.officer2" if reviewer == "toshhok.officer" else "toshhok.officer"
    cases.approve_decision(world.actors[second], numbers["review"])  # a reversal needs a second officer
    platform.ratings.rate(alice, numbers["on_time"], Rate(score=2))
    platform.ratings.rate(alice, numbers["late"], Rate(score=5, comment="Rahmat"))
    return numbers


def test_the_figures_are_those_worked_out_by_hand(world: World) -> None:
    numbers = _history(world)
    statistics = world.platform.statistics
    report = statistics.report(Filters(from_month="2026-03", to_month="2026-04"), GroupBy.agency)
    yunus = next(row for row in report.rows if row.key == "YUNUSHOK").measures
    assert (yunus.received, yunus.received_online, yunus.received_service_centre) == (4, 3, 1)
    assert yunus.online_share == 0.75
    assert (yunus.decided, yunus.decided_on_time, yunus.on_time_share) == (2, 1, 0.5)
    assert yunus.forwarded == 1
    assert yunus.overdue_now == 1  # the third appeal is open and past due at day 45
    assert (yunus.median_processing_days, yunus.p90_processing_days) == (3, 40)
    assert (yunus.contested, yunus.contested_share) == (1, 0.5)
    assert (yunus.reviewed, yunus.changed_on_review, yunus.changed_on_review_share) == (1, 1, 1.0)
    assert (yunus.ratings, yunus.average_rating) == (2, 3.5)
    assert yunus.decided_automatically == 0 and yunus.automated_share == 0.0
    assert yunus.small  # two decisions are too few to rank
    tosh = next(row for row in report.rows if row.key == "TOSHHOK").measures
    # TOSHHOK received the forwarded appeal and the review case; it decided the review.
    assert (tosh.received, tosh.decided, tosh.overdue_now) == (2, 1, 1)
    assert report.total.received == 6 and report.total.decided == 3
    assert numbers["review"].startswith("TOSHHOK-")

    by_month = statistics.report(Filters(from_month="2026-03", to_month="2026-04"), GroupBy.month)
    assert [(row.key, row.measures.received, row.measures.decided) for row in by_month.rows] == [
        ("2026-03", 5, 1),  # four appeals and the forwarded one in March; the on-time decision
        ("2026-04", 1, 2),  # the review case; the late decision (day 40) and the review's (day 45)
    ]
    assert all(row.measures.overdue_now is None for row in by_month.rows)  # "now" is not a past month


def test_the_figures_match_a_straightforward_recount_from_the_cases(world: World) -> None:
    _history(world)
    platform = world.platform
    now = platform.cases.clock()
    report = platform.statistics.report(Filters(from_month="2026-01", to_month="2026-04"), GroupBy.agency)
    with platform.db.reading() as session:
        codes = {agency_id: code for agency_id, code in session.execute(sa.select(Agency.id, Agency.code))}
        all_cases = list(session.scalars(sa.select(Case)))
        by_key = {(c.agency_id, c.id): c for c in all_cases}
    expected: dict[str, Counter[str]] = {}
    days: dict[str, list[int]] = {}
    for case in all_cases:
        tally = expected.setdefault(codes[case.agency_id], Counter())
        tally["received"] += 1
        tally["online"] += case.channel is not Channel.service_centre
        tally["forwarded"] += case.state is CaseState.forwarded
        tally["overdue"] += case.state in (CaseState.registered, CaseState.in_review, CaseState.info_requested) and (
            case.due_at is not None and case.due_at < now
        )
        if case.decided_at is not None:
            tally["decided"] += 1
            tally["on_time"] += case.decided_at <= case.due_at if case.due_at else 0
            received_on = case.received_at.astimezone(TASHKENT).date()
            days.setdefault(codes[case.agency_id], []).append(
                (case.decided_at.astimezone(TASHKENT).date() - received_on).days
            )
        if case.relation is CaseRelation.review_of and case.outcome is not None:
            parent = by_key[(case.parent_agency_id, case.parent_case_id)]
            expected.setdefault(codes[parent.agency_id], Counter())["reviewed"] += 1
            expected[codes[parent.agency_id]]["changed"] += case.outcome in (
                Outcome.approved,
                Outcome.partially_approved,
            )
            expected[codes[parent.agency_id]]["contested"] += 1
    for row in report.rows:
        tally, measures = expected[row.key], row.measures
        assert measures.received == tally["received"], row.key
        assert measures.received_online == tally["online"], row.key
        assert measures.forwarded == tally["forwarded"], row.key
        assert measures.overdue_now == tally["overdue"], row.key
        assert measures.decided == tally["decided"], row.key
        assert measures.decided_on_time == tally["on_time"], row.key
        assert measures.contested == tally["contested"], row.key
        assert measures.reviewed == tally["reviewed"], row.key
        assert measures.changed_on_review == tally["changed"], row.key
        durations = sorted(days.get(row.key, []))
        median = durations[math.ceil(0.5 * len(durations)) - 1] if durations else None
        assert measures.median_processing_days == median, row.key
    assert {row.key for row in report.rows} == set(expected)


def test_a_rebuild_from_the_stored_events_gives_the_same_rollups(world: World) -> None:
    _history(world)
    platform = world.platform

    def snapshot() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with platform.db.reading() as session:
            cells = [
                tuple(r)
                for r in session.execute(
                    sa.select(StatsMonthly.__table__).order_by(*StatsMonthly.__table__.primary_key)
                )
            ]
            days = [
                tuple(r)
                for r in session.execute(
                    sa.select(StatsProcessingDays.__table__).order_by(*StatsProcessingDays.__table__.primary_key)
                )
            ]
        return cells, days

    incremental = snapshot()
    assert incremental[0]
    counted = platform.rollups.rebuild(platform.db)
    assert counted >= 6 + 3 + 1 + 1  # submissions, decisions, forwarding, contest
    assert snapshot() == incremental


def test_a_rolled_back_case_change_leaves_the_figures_alone(world: World) -> None:
    platform = world.platform
    alice = world.actors["alice"]
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    with platform.db.uow() as uow:  # submitted, then never committed
        platform.cases.submit(alice, command, uow=uow)
    with platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(StatsMonthly)) == 0


def test_ratings_are_once_per_answered_case_by_its_applicant(world: World) -> None:
    numbers = _history(world)
    ratings = world.platform.ratings
    with pytest.raises(AlreadyRated):
        ratings.rate(world.actors["alice"], numbers["on_time"], Rate(score=5))
    with pytest.raises(TransitionRefused):
        ratings.rate(world.actors["alice"], numbers["overdue"], Rate(score=1))
    report = world.platform.statistics.report(Filters(from_month="2026-03", to_month="2026-04"))
    assert (report.total.ratings, report.total.average_rating) == (2, 3.5)


def test_bad_filters_are_refused_naming_the_field(world: World) -> None:
    statistics = world.platform.statistics
    statistics.clock = lambda: dt.datetime(2026, 5, 10, tzinfo=dt.UTC)
    with pytest.raises(PeriodInvalid) as future:
        statistics.report(Filters(from_month="2026-04", to_month="2026-07"))
    assert [e.path for e in future.value.errors] == ["to"]
    with pytest.raises(PeriodInvalid) as malformed:
        statistics.report(Filters(from_month="2026-4"))
    assert [e.path for e in malformed.value.errors] == ["from"]
    with pytest.raises(PeriodInvalid) as backwards:
        statistics.report(Filters(from_month="2026-04", to_month="2026-01"))
    assert [e.path for e in backwards.value.errors] == ["from"]
    with pytest.raises(UnknownFilter) as unknown:
        statistics.report(Filters(agency="NOSUCH", service="no-such-service", region="UZ-XX"))
    assert [e.path for e in unknown.value.errors] == ["agency", "service", "region"]


def test_the_percentile_is_the_nearest_rank() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({3: 1}, 0.9) == 3
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1}, 0.5) == 2
    assert percentile({1: 9, 30: 1}, 0.9) == 1
    assert percentile({1: 8, 30: 2}, 0.9) == 30


def test_concurrent_submissions_are_all_counted(world: World) -> None:
    platform = world.platform
    citizens = [world.actors["alice"], world.actors["bob"]]
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)

    def worker(index: int) -> int:
        for _ in range(5):
            platform.cases.submit(citizens[index % 2], command)
        return 5

    with ThreadPoolExecutor(6) as pool:
        filed = sum(pool.map(worker, range(6)))
    report = platform.statistics.report(Filters(), GroupBy.agency)
    assert report.total.received == filed == 30  # one hot rollup row, no lost update
