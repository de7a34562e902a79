"""Deadline policies as data (ZRU-445), counted as shared/legal.md reads the law.

Day 0 is the day of receipt in the body's time zone; the deadline ends at the end of day N, and a last
day that is not a working day moves to the next working day (the documented roll-forward default).
Tashkent is UTC+5 all year (no daylight saving time).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shaffof.deadlines.calendar import LegalCalendar
from shaffof.deadlines.errors import PolicyWithoutCitation, UnknownPolicy
from shaffof.deadlines.policies import (
    ALIASES,
    POLICIES,
    DeadlineKind,
    DeadlinePolicy,
    Unit,
    add_months,
    deadline_kinds,
    get_policy,
    policy_from_package,
)
from shaffof.legal import Citation

TASHKENT = dt.timezone(dt.timedelta(hours=5), "UZT")
TZ = "Asia/Tashkent"
CALENDAR = LegalCalendar()


def tashkent(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TASHKENT)  # type: ignore[misc]


def end_of_tashkent_day(year: int, month: int, day: int) -> dt.datetime:
    """23:59:59.999999 in Tashkent, as the UTC instant a deadline is stored as."""
    return dt.datetime(year, month, day, 18, 59, 59, 999999, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["zru445-answer", "zru445-ariza", "zru445-shikoyat"])
def test_applications_and_complaints_are_due_at_the_end_of_day_15(name: str) -> None:
    received = tashkent(2025, 3, 3, 10, 0)  # day 0; day 15 is Tuesday 18 March, a working day
    due = get_policy(name).due_at(received, TZ)
    assert due == end_of_tashkent_day(2025, 3, 18)
    assert due.tzinfo == dt.UTC
    assert due.astimezone(TASHKENT).replace(tzinfo=None) == dt.datetime(2025, 3, 18, 23, 59, 59, 999999)


def test_the_15_days_run_across_a_month_end() -> None:
    due = get_policy("zru445-answer").due_at(tashkent(2025, 1, 20, 9, 0), TZ)
    assert due == end_of_tashkent_day(2025, 2, 4)


def test_receipt_day_is_the_tashkent_day_not_the_utc_day() -> None:
    answer = get_policy("zru445-answer")
    late_evening = tashkent(2025, 3, 3, 23, 30)  # 18:30 UTC on 3 March
    after_midnight = tashkent(2025, 3, 4, 0, 30)  # 19:30 UTC, still 3 March in UTC
    assert late_evening.astimezone(dt.UTC).date() == after_midnight.astimezone(dt.UTC).date()

    assert answer.due_at(late_evening, TZ) == end_of_tashkent_day(2025, 3, 18)
    assert answer.due_at(after_midnight, TZ) == end_of_tashkent_day(2025, 3, 19)


def test_a_receipt_given_in_utc_counts_by_the_tashkent_date() -> None:
    # 20:00 UTC on 3 March is 01:00 on 4 March in Tashkent: day 0 is 4 March.
    received = dt.datetime(2025, 3, 3, 20, 0, tzinfo=dt.UTC)
    assert get_policy("zru445-answer").due_at(received, TZ) == end_of_tashkent_day(2025, 3, 19)


def test_receipt_in_the_first_and_last_instant_of_a_day_gives_the_same_deadline() -> None:
    answer = get_policy("zru445-answer")
    first = tashkent(2025, 3, 3, 0, 0)
    last = dt.datetime(2025, 3, 3, 23, 59, 59, 999999, tzinfo=TASHKENT)
    assert answer.due_at(first, TZ) == answer.due_at(last, TZ) == end_of_tashkent_day(2025, 3, 18)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2090, 12, 31), timezones=st.just(dt.UTC)))
def test_a_15_day_deadline_ends_at_the_last_microsecond_of_the_first_working_day_from_day_15(
    received: dt.datetime,
) -> None:
    # Changed with the calendar (issue 4): day 15 moves to the next working day when it is a day off.
    due = get_policy("zru445-answer").due_at(received, TZ)
    local_due = due.astimezone(TASHKENT)
    assert local_due.time() == dt.time(23, 59, 59, 999999)
    day15 = received.astimezone(TASHKENT).date() + dt.timedelta(days=15)
    assert local_due.date() == CALENDAR.first_working_day_from(day15, POLICIES["zru445-answer"].working_week)[0]


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
    assert get_policy("zru445-proposal").due_at(received, TZ) == end_of_tashkent_day(*last_day)
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


def test_the_stable_policies_exist_with_their_periods() -> None:
    # Changed in issue 4: the foundation's three names became aliases of the stable names.
    assert {name: (p.amount, p.unit) for name, p in POLICIES.items()} == {
        "zru445-registration": (0, Unit.working_days),
        "zru445-answer": (15, Unit.calendar_days),
        "zru445-study-extension": (1, Unit.months),
        "zru445-exceptional-extension": (1, Unit.months),
        "zru445-proposal": (1, Unit.months),
        "zru445-proposal-notice": (10, Unit.calendar_days),
        "zru445-forwarding": (5, Unit.calendar_days),
    }
    assert POLICIES["zru445-exceptional-extension"].counts_from == "zru445-study-extension"


def test_former_names_resolve_to_the_stable_ones() -> None:
    assert dict(ALIASES) == {
        "zru445-ariza": "zru445-answer",
        "zru445-shikoyat": "zru445-answer",
        "zru445-taklif": "zru445-proposal",
    }
    assert get_policy("zru445-ariza") is POLICIES["zru445-answer"]


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_each_policy_cites_zru_445_on_lex_uz(name: str) -> None:
    citation = POLICIES[name].citation
    assert citation.law == "ZRU-445"
    assert str(citation.url) == "https://lex.uz/docs/3336171"
    assert citation.title


@pytest.mark.parametrize(
    ("name", "article", "part"),
    [
        ("zru445-registration", "23", None),
        ("zru445-answer", "28", "1"),
        ("zru445-study-extension", "28", "2"),
        ("zru445-exceptional-extension", "28", "3"),
        ("zru445-proposal", "28", None),
        ("zru445-proposal-notice", "28", None),
    ],
)
def test_each_policy_cites_its_article_and_part(name: str, article: str, part: str | None) -> None:
    assert (POLICIES[name].citation.article, POLICIES[name].citation.part) == (article, part)


def test_the_documented_defaults() -> None:
    for policy in POLICIES.values():
        assert policy.roll_forward
        assert not policy.clock_stops
        assert policy.working_week.value == "five_days"
    assert [p.name for p in POLICIES.values() if p.starts_next_working_day_outside_hours] == ["zru445-registration"]
    assert [p.name for p in POLICIES.values() if p.extendable] == ["zru445-answer"]


def test_each_policy_describes_itself_in_three_languages() -> None:
    for policy in POLICIES.values():
        assert set(policy.descriptions) == {"uz", "ru", "en"}, policy.name


def test_an_unknown_policy_is_refused_by_name() -> None:
    with pytest.raises(UnknownPolicy, match="zru445-unknown"):
        get_policy("zru445-unknown")


def test_a_policy_that_cites_nothing_is_refused() -> None:
    with pytest.raises(PolicyWithoutCitation):
        DeadlinePolicy("uncited", 10, Unit.calendar_days, None, "10 days")  # type: ignore[arg-type]
    with pytest.raises(PolicyWithoutCitation):
        policy_from_package("some-service", {"amount": 10, "unit": "working_days"})


def test_a_service_policy_is_named_after_the_service_and_keeps_its_settings() -> None:
    policy = policy_from_package(
        "e-signature-key",
        {
            "amount": 1,
            "unit": "working_days",
            "clock_stops": True,
            "working_week": "six_days",
            "citation": {"law": "ZRU-793", "title": "A certificate is issued within one working day"},
        },
    )
    assert (policy.name, policy.service, policy.amount, policy.unit) == (
        "e-signature-key",
        "e-signature-key",
        1,
        Unit.working_days,
    )
    assert policy.clock_stops and policy.roll_forward and policy.working_week.value == "six_days"
    assert policy.citation == Citation(law="ZRU-793", title="A certificate is issued within one working day")
    assert policy.describe("ru") == "1 рабочий день"


def test_the_deadlines_a_case_carries() -> None:
    answer, proposal = POLICIES["zru445-answer"], POLICIES["zru445-proposal"]
    assert list(deadline_kinds(answer, appeal=True)) == [
        DeadlineKind.registration,
        DeadlineKind.answer,
        DeadlineKind.forwarding,
    ]
    assert list(deadline_kinds(proposal, appeal=True)) == [
        DeadlineKind.registration,
        DeadlineKind.answer,
        DeadlineKind.proposal_notice,
        DeadlineKind.forwarding,
    ]
    assert list(deadline_kinds(answer, appeal=False)) == [DeadlineKind.registration, DeadlineKind.answer]
