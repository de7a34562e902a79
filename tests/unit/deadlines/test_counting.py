"""Test vectors written from the law's text (ZRU-445 Art. 23 and 28), and the properties that must hold
whatever the dates: a due date never falls on a non-working day under the roll-forward rule, and no
extension or clock stop ever moves it earlier."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shaffof.deadlines.calendar import LegalCalendar, Override, OverrideKind, WorkingWeek
from shaffof.deadlines.counting import Adjustment, AdjustmentKind, OutsideHours, compute
from shaffof.deadlines.policies import POLICIES, DeadlinePolicy, Unit, add_months, policy_from_package

TZ = "Asia/Tashkent"
TASHKENT = dt.timezone(dt.timedelta(hours=5))
CALENDAR = LegalCalendar()
CITATION = {"law": "ZRU-445", "article": "28", "part": "1", "title": "15 days"}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TASHKENT)  # type: ignore[misc]


def due_on(policy: str, received: dt.datetime, *adjustments: Adjustment, calendar: LegalCalendar = CALENDAR) -> dt.date:
    return compute(POLICIES[policy], received, TZ, calendar, adjustments).due_on


# --- Art. 23: registration -----------------------------------------------------------------------------


def test_registration_on_a_working_day_within_hours_is_due_the_same_day() -> None:
    c = compute(POLICIES["zru445-registration"], at(2026, 3, 10, 10, 0), TZ, CALENDAR)
    assert c.outside_hours is None and c.due_on == dt.date(2026, 3, 10)


def test_registration_after_hours_before_a_holiday_weekend_moves_to_the_next_working_day() -> None:
    # Friday 6 March 2026, 19:30: Saturday, Sunday 8 March (Women's Day) and Monday 9 March (observed)
    # are days off, so the appeal is registered by Tuesday 10 March.
    c = compute(POLICIES["zru445-registration"], at(2026, 3, 6, 19, 30), TZ, CALENDAR)
    assert c.outside_hours is OutsideHours.after_hours
    assert c.start_on == c.due_on == dt.date(2026, 3, 10)
    assert [d.on.day for d in c.start_passed] == [7, 8, 9]


def test_registration_received_on_a_day_off_moves_to_the_next_working_day() -> None:
    c = compute(POLICIES["zru445-registration"], at(2026, 3, 21, 11, 0), TZ, CALENDAR)  # Nowruz, Saturday
    assert c.outside_hours is OutsideHours.day_off
    assert c.due_on == dt.date(2026, 3, 24)


def test_the_end_of_working_hours_is_a_setting() -> None:
    received = at(2026, 3, 10, 17, 30)
    policy = POLICIES["zru445-registration"]
    assert compute(policy, received, TZ, CALENDAR).due_on == dt.date(2026, 3, 10)
    early = compute(policy, received, TZ, CALENDAR, working_day_ends=dt.time(17, 0))
    assert early.due_on == dt.date(2026, 3, 11)


# --- Art. 28(1): 15 days -----------------------------------------------------------------------------


def test_15_days_over_nowruz() -> None:
    # Received Friday 6 March 2026; day 15 is Saturday 21 March (Nowruz); Sunday 22 and Monday 23 March
    # (Nowruz observed) are days off too, so the deadline is Tuesday 24 March.
    c = compute(POLICIES["zru445-answer"], at(2026, 3, 6, 10, 0), TZ, CALENDAR)
    assert c.last == dt.date(2026, 3, 21)
    assert [d.on for d in c.rolled_over] == [dt.date(2026, 3, 21), dt.date(2026, 3, 22), dt.date(2026, 3, 23)]
    assert c.due_on == dt.date(2026, 3, 24)
    assert c.due_at == dt.datetime(2026, 3, 24, 18, 59, 59, 999999, tzinfo=dt.UTC)


def test_15_days_over_new_year() -> None:
    # Received Wednesday 17 December 2025; day 15 is 1 January 2026 (New Year), 2 January is a decree
    # day off, then the weekend: due Monday 5 January 2026.
    assert due_on("zru445-answer", at(2025, 12, 17, 9, 0)) == dt.date(2026, 1, 5)


def test_a_decree_the_package_does_not_know_is_entered_as_an_override() -> None:
    received = at(2027, 3, 7, 10, 0)  # day 15: Monday 22 March 2027 (Nowruz observed)
    assert due_on("zru445-answer", received) == dt.date(2027, 3, 23)
    decreed = LegalCalendar([Override(dt.date(2027, 3, 23), OverrideKind.day_off, "PF-2027: extra Nowruz day")])
    assert due_on("zru445-answer", received, calendar=decreed) == dt.date(2027, 3, 24)


def test_the_roll_forward_is_a_setting() -> None:
    policy = policy_from_package(
        "no-roll", {"amount": 15, "unit": "calendar_days", "roll_forward": False, "citation": CITATION}
    )
    c = compute(policy, at(2026, 3, 6, 10, 0), TZ, CALENDAR)
    assert c.due_on == dt.date(2026, 3, 21) and not c.last_day.working


# --- Art. 28(2), 28(3): extensions --------------------------------------------------------------------


def test_study_extension_grows_the_period_to_at_most_one_month() -> None:
    received = at(2026, 3, 6, 10, 0)
    ten = compute(POLICIES["zru445-answer"], received, TZ, CALENDAR, [Adjustment(AdjustmentKind.study_extension, 10)])
    assert ten.after_study == dt.date(2026, 3, 31) and ten.due_on == dt.date(2026, 3, 31)
    # The most the study extension may reach: one month from receipt (Art. 28(2)).
    assert add_months(ten.start_on, 1) == dt.date(2026, 4, 6)


def test_exceptional_extension_adds_at_most_one_more_month() -> None:
    received = at(2026, 3, 6, 10, 0)
    study = Adjustment(AdjustmentKind.study_extension, 16)  # to 6 April 2026, the study maximum
    exceptional = Adjustment(AdjustmentKind.exceptional_extension, 30)
    c = compute(POLICIES["zru445-answer"], received, TZ, CALENDAR, [exceptional, study])  # order does not matter
    assert c.after_study == dt.date(2026, 4, 6)
    assert c.after_exceptional == dt.date(2026, 5, 6) == add_months(c.after_study, 1)
    assert c.due_on == dt.date(2026, 5, 6)


def test_the_exceptional_extension_policy_counts_from_the_study_maximum() -> None:
    assert due_on("zru445-study-extension", at(2026, 3, 6, 10, 0)) == dt.date(2026, 4, 6)
    assert due_on("zru445-exceptional-extension", at(2026, 3, 6, 10, 0)) == dt.date(2026, 5, 6)


# --- forwarding, proposals ------------------------------------------------------------------------------


def test_forwarding_within_5_days() -> None:
    # Monday 2 March 2026 + 5 = Saturday 7 March; Sunday 8 (Women's Day), Monday 9 (observed): Tuesday 10.
    assert due_on("zru445-forwarding", at(2026, 3, 2, 10, 0)) == dt.date(2026, 3, 10)


def test_proposal_notice_within_10_days_and_proposal_within_one_month() -> None:
    received = at(2026, 3, 2, 10, 0)
    assert due_on("zru445-proposal-notice", received) == dt.date(2026, 3, 12)
    assert due_on("zru445-proposal", received) == dt.date(2026, 4, 2)


# --- clock stops ------------------------------------------------------------------------------------------


def test_a_clock_stop_moves_the_deadline_by_the_stopped_calendar_days() -> None:
    received = at(2026, 3, 2, 10, 0)  # due 17 March
    stop = Adjustment(AdjustmentKind.clock_stop, stopped_at=at(2026, 3, 5, 10, 0), restarted_at=at(2026, 3, 9, 12, 0))
    c = compute(POLICIES["zru445-answer"], received, TZ, CALENDAR, [stop])
    assert c.adjustments[0].days == 4
    assert c.last == dt.date(2026, 3, 21) and c.due_on == dt.date(2026, 3, 24)


def test_a_clock_stop_in_a_working_day_policy_counts_working_days() -> None:
    policy = policy_from_package(
        "wd", {"amount": 10, "unit": "working_days", "clock_stops": True, "citation": CITATION}
    )
    received = at(2026, 4, 1, 10, 0)  # Wednesday
    assert compute(policy, received, TZ, CALENDAR).due_on == dt.date(2026, 4, 15)
    # Stopped Friday 3 April to Monday 6 April: Friday only is a working day stopped.
    stop = Adjustment(AdjustmentKind.clock_stop, stopped_at=at(2026, 4, 3, 9, 0), restarted_at=at(2026, 4, 6, 9, 0))
    c = compute(policy, received, TZ, CALENDAR, [stop])
    assert c.adjustments[0].days == 1 and c.due_on == dt.date(2026, 4, 16)


def test_an_open_clock_stop_is_reported_and_does_not_move_the_date_yet() -> None:
    stop = Adjustment(AdjustmentKind.clock_stop, stopped_at=at(2026, 3, 5, 10, 0))
    c = compute(POLICIES["zru445-answer"], at(2026, 3, 2, 10, 0), TZ, CALENDAR, [stop])
    assert c.clock_stopped_since == at(2026, 3, 5, 10, 0) and c.due_on == dt.date(2026, 3, 17)


def test_adjustments_round_trip_through_json() -> None:
    for adjustment in (
        Adjustment(AdjustmentKind.study_extension, 5, justification="archive request"),
        Adjustment(AdjustmentKind.clock_stop, stopped_at=at(2026, 3, 5, 10, 0), restarted_at=at(2026, 3, 6, 1, 0)),
    ):
        back = Adjustment.from_json(adjustment.as_json())
        assert back.kind is adjustment.kind and back.days == adjustment.days
        assert back.stopped_at == adjustment.stopped_at and back.restarted_at == adjustment.restarted_at


# --- properties ---------------------------------------------------------------------------------------------

receipts = st.datetimes(
    min_value=dt.datetime(2019, 1, 1), max_value=dt.datetime(2029, 12, 31), timezones=st.just(dt.UTC)
)
overrides = st.lists(
    st.builds(
        Override,
        st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 6, 30)),
        st.sampled_from(list(OverrideKind)),
        st.just("test decree"),
    ),
    max_size=20,
)
rolling_policies = st.sampled_from(
    [
        *POLICIES.values(),
        policy_from_package(
            "wd6", {"amount": 7, "unit": "working_days", "working_week": "six_days", "citation": CITATION}
        ),
        policy_from_package(
            "cd6", {"amount": 15, "unit": "calendar_days", "working_week": "six_days", "citation": CITATION}
        ),
    ]
)


@settings(max_examples=300, deadline=None)
@given(rolling_policies, receipts, overrides)
def test_a_due_date_never_falls_on_a_non_working_day(
    policy: DeadlinePolicy, received: dt.datetime, days: list[Override]
) -> None:
    calendar = LegalCalendar(days)
    c = compute(policy, received, TZ, calendar)
    assert calendar.is_working(c.due_on, policy.working_week)
    assert c.due_on >= c.received_on
    assert c.due_at.astimezone(TASHKENT).date() == c.due_on


adjustments = st.lists(
    st.one_of(
        st.builds(
            Adjustment,
            st.sampled_from([AdjustmentKind.study_extension, AdjustmentKind.exceptional_extension]),
            st.integers(1, 31),
        ),
        st.builds(
            lambda start, hours: Adjustment(
                AdjustmentKind.clock_stop, stopped_at=start, restarted_at=start + dt.timedelta(hours=hours)
            ),
            receipts,
            st.integers(0, 24 * 40),
        ),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(rolling_policies, receipts, overrides, adjustments, adjustments)
def test_an_extension_or_clock_stop_never_moves_a_deadline_earlier(
    policy: DeadlinePolicy,
    received: dt.datetime,
    days: list[Override],
    before: list[Adjustment],
    added: list[Adjustment],
) -> None:
    calendar = LegalCalendar(days)
    earlier = compute(policy, received, TZ, calendar, before)
    later = compute(policy, received, TZ, calendar, [*before, *added])
    assert later.due_at >= earlier.due_at
    assert calendar.is_working(later.due_on, policy.working_week)


@pytest.mark.parametrize("unit", list(Unit))
def test_every_unit_counts(unit: Unit) -> None:
    policy = policy_from_package("unit", {"amount": 2, "unit": unit.value, "citation": CITATION})
    assert compute(policy, at(2026, 6, 1, 10, 0), TZ, CALENDAR).due_on > dt.date(2026, 6, 1)


def test_six_day_week_rolls_to_saturday() -> None:
    policy = policy_from_package(
        "six", {"amount": 4, "unit": "calendar_days", "working_week": "six_days", "citation": CITATION}
    )
    assert compute(policy, at(2026, 6, 3, 10, 0), TZ, CALENDAR).due_on == dt.date(2026, 6, 8)  # Sun 7 → Mon 8
    assert WorkingWeek.six_days.weekend == frozenset({6})
