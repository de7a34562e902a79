"""Answer deadlines of ZRU-445 Art. 28, counted as shared/legal.md reads the law.

Day 0 is the day of receipt in the body's time zone; the deadline ends at the end of day N.
Tashkent is UTC+5 all year (no daylight saving time).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shaffof.deadlines.policies import (
    POLICIES,
    Unit,
    UnknownPolicy,
    add_months,
    get_policy,
)

TASHKENT = dt.timezone(dt.timedelta(hours=5), "UZT")
TZ = "Asia/Tashkent"


def tashkent(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TASHKENT)  # type: ignore[misc]


def end_of_tashkent_day(year: int, month: int, day: int) -> dt.datetime:
    """23:59:59.999999 in Tashkent, as the UTC instant a deadline is stored as."""
    return dt.datetime(year, month, day, 18, 59, 59, 999999, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["zru445-ariza", "zru445-shikoyat"])
def test_applications_and_complaints_are_due_at_the_end_of_day_15(name: str) -> None:
    received = tashkent(2025, 3, 3, 10, 0)  # day 0
    due = get_policy(name).due_at(received, TZ)
    assert due == end_of_tashkent_day(2025, 3, 18)
    assert due.tzinfo == dt.UTC
    assert due.astimezone(TASHKENT).replace(tzinfo=None) == dt.datetime(2025, 3, 18, 23, 59, 59, 999999)


def test_the_15_days_run_across_a_month_end() -> None:
    due = get_policy("zru445-ariza").due_at(tashkent(2025, 1, 20, 9, 0), TZ)
    assert due == end_of_tashkent_day(2025, 2, 4)


def test_receipt_day_is_the_tashkent_day_not_the_utc_day() -> None:
    ariza = get_policy("zru445-ariza")
    late_evening = tashkent(2025, 3, 3, 23, 30)  # 18:30 UTC on 3 March
    after_midnight = tashkent(2025, 3, 4, 0, 30)  # 19:30 UTC, still 3 March in UTC
    assert late_evening.astimezone(dt.UTC).date() == after_midnight.astimezone(dt.UTC).date()

    assert ariza.due_at(late_evening, TZ) == end_of_tashkent_day(2025, 3, 18)
    assert ariza.due_at(after_midnight, TZ) == end_of_tashkent_day(2025, 3, 19)


def test_a_receipt_given_in_utc_counts_by_the_tashkent_date() -> None:
    # 20:00 UTC on 3 March is 01:00 on 4 March in Tashkent: day 0 is 4 March.
    received = dt.datetime(2025, 3, 3, 20, 0, tzinfo=dt.UTC)
    assert get_policy("zru445-ariza").due_at(received, TZ) == end_of_tashkent_day(2025, 3, 19)


def test_receipt_in_the_first_and_last_instant_of_a_day_gives_the_same_deadline() -> None:
    ariza = get_policy("zru445-ariza")
    first = tashkent(2025, 3, 3, 0, 0)
    last = dt.datetime(2025, 3, 3, 23, 59, 59, 999999, tzinfo=TASHKENT)
    assert ariza.due_at(first, TZ) == ariza.due_at(last, TZ) == end_of_tashkent_day(2025, 3, 18)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 12, 31), timezones=st.just(dt.UTC)))
def test_a_15_day_deadline_always_ends_at_the_last_microsecond_of_tashkent_day_15(received: dt.datetime) -> None:
    due = get_policy("zru445-shikoyat").due_at(received, TZ)
    local_due = due.astimezone(TASHKENT)
    assert local_due.time() == dt.time(23, 59, 59, 999999)
    assert local_due.date() == received.astimezone(TASHKENT).date() + dt.timedelta(days=15)


# --- proposals: one month ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "last_day"),
    [
        (tashkent(2025, 1, 31, 12, 0), (2025, 2, 28)),
        (tashkent(2024, 1, 31, 12, 0), (2024, 2, 29)),  # leap year
        (tashkent(2025, 3, 15, 12, 0), (2025, 4, 15)),
        (tashkent(2025, 3, 31, 12, 0), (2025, 4, 30)),
        (tashkent(2024, 12, 20, 12, 0), (2025, 1, 20)),
    ],
)
def test_a_proposal_is_due_one_month_after_receipt(received: dt.datetime, last_day: tuple[int, int, int]) -> None:
    assert get_policy("zru445-taklif").due_at(received, TZ) == end_of_tashkent_day(*last_day)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2025, 1, 15), 1, dt.date(2025, 2, 15)),
        (dt.date(2025, 5, 31), 1, dt.date(2025, 6, 30)),
        (dt.date(2025, 11, 30), 1, dt.date(2025, 12, 30)),
        (dt.date(2025, 12, 31), 1, dt.date(2026, 1, 31)),
        (dt.date(2025, 11, 30), 2, dt.date(2026, 1, 30)),
        (dt.date(2025, 1, 31), 13, dt.date(2026, 2, 28)),
        (dt.date(2025, 8, 31), 0, dt.date(2025, 8, 31)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected


# --- policies as data -------------------------------------------------------------------------------


def test_the_three_appeal_policies_exist_with_their_periods() -> None:
    assert {name: (p.amount, p.unit) for name, p in POLICIES.items()} == {
        "zru445-ariza": (15, Unit.calendar_days),
        "zru445-shikoyat": (15, Unit.calendar_days),
        "zru445-taklif": (1, Unit.months),
    }


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_each_policy_cites_zru_445_on_lex_uz(name: str) -> None:
    citation = POLICIES[name].citation
    assert citation.law == "ZRU-445"
    assert citation.article == "28"
    assert str(citation.url) == "https://lex.uz/docs/3336171"
    assert citation.title


@pytest.mark.parametrize("name", ["zru445-ariza", "zru445-shikoyat"])
def test_applications_and_complaints_cite_article_28_part_1(name: str) -> None:
    assert POLICIES[name].citation.part == "1"


def test_an_unknown_policy_is_refused_by_name() -> None:
    with pytest.raises(UnknownPolicy, match="zru445-unknown"):
        get_policy("zru445-unknown")
