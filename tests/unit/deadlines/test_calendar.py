"""The legal calendar: weekends by working week, the holidays package's Uzbekistan days, overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from shaffof.deadlines.calendar import DaySource, LegalCalendar, Override, OverrideKind, WorkingWeek

FIVE, SIX = WorkingWeek.five_days, WorkingWeek.six_days


def test_weekends_depend_on_the_working_week() -> None:
    calendar = LegalCalendar()
    saturday, sunday, monday = dt.date(2026, 4, 4), dt.date(2026, 4, 5), dt.date(2026, 4, 6)
    assert not calendar.is_working(saturday, FIVE) and calendar.is_working(saturday, SIX)
    assert not calendar.is_working(sunday, FIVE) and not calendar.is_working(sunday, SIX)
    assert calendar.is_working(monday, FIVE) and calendar.is_working(monday, SIX)
    assert calendar.day(sunday).source is DaySource.weekend


@pytest.mark.parametrize(
    ("day", "english"),
    [
        (dt.date(2026, 1, 1), "New Year's Day"),
        (dt.date(2026, 1, 2), "Additional day off by Presidential decree"),
        (dt.date(2026, 3, 21), "Nowruz"),
        (dt.date(2026, 3, 23), "Nowruz (observed)"),
        (dt.date(2026, 9, 1), "Independence Day"),
        (dt.date(2026, 12, 31), "Day off (substituted from 12/12/2026)"),
    ],
)
def test_holidays_and_decree_days_of_the_package_are_days_off_with_their_names(day: dt.date, english: str) -> None:
    found = LegalCalendar().day(day, FIVE)
    assert not found.working and found.source is DaySource.holiday
    assert found.reason("en") == english
    assert found.reason("uz") and found.reason("ru")


def test_names_in_russian_are_ours_because_the_package_has_none_for_uzbekistan() -> None:
    calendar = LegalCalendar()
    assert calendar.day(dt.date(2026, 3, 21)).reason("ru") == "Навруз"
    assert calendar.day(dt.date(2026, 3, 23)).reason("ru") == "Навруз (перенесённый)"
    assert calendar.day(dt.date(2026, 12, 31)).reason("ru") == "Выходной день (перенесён с 12.12.2026)"
    assert calendar.day(dt.date(2026, 3, 21)).reason("uz").startswith("Navro")


def test_a_saturday_a_decree_made_a_working_day_is_a_working_day() -> None:
    # 12 December 2026 (Saturday) was swapped with 31 December.
    day = LegalCalendar().day(dt.date(2026, 12, 12), FIVE)
    assert day.working and day.source is DaySource.swapped_working_day


def test_an_override_wins_over_the_package_and_the_weekend() -> None:
    calendar = LegalCalendar(
        [
            Override(dt.date(2027, 3, 23), OverrideKind.day_off, "Decree PF-1 of 2027: an extra day off"),
            Override(dt.date(2027, 3, 27), OverrideKind.working_day, "Decree PF-1 of 2027: a working Saturday"),
            Override(dt.date(2027, 1, 1), OverrideKind.working_day, "an (odd) working New Year"),
        ]
    )
    off = calendar.day(dt.date(2027, 3, 23))
    assert not off.working and off.source is DaySource.override
    assert off.reason("ru") == "Decree PF-1 of 2027: an extra day off"
    assert calendar.is_working(dt.date(2027, 3, 27))
    assert calendar.is_working(dt.date(2027, 1, 1))


def test_next_working_day_passes_the_days_off_and_says_which() -> None:
    calendar = LegalCalendar()
    found, passed = calendar.next_working_day(dt.date(2026, 3, 20), FIVE)  # Friday, Eid al-Fitr
    assert found == dt.date(2026, 3, 24)
    assert [d.on for d in passed] == [dt.date(2026, 3, 21), dt.date(2026, 3, 22), dt.date(2026, 3, 23)]
    assert calendar.first_working_day_from(dt.date(2026, 3, 24), FIVE) == (dt.date(2026, 3, 24), [])


def test_special_days_of_a_year_leave_plain_weekends_out() -> None:
    days = LegalCalendar().special_days(2026, FIVE)
    assert {d.source for d in days} == {DaySource.holiday, DaySource.swapped_working_day}
    assert dt.date(2026, 3, 21) in {d.on for d in days}
    assert dt.date(2026, 4, 4) not in {d.on for d in days}
