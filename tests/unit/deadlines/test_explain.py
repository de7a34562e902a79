"""Explanations a citizen can check by hand, in Uzbek (Latin), Russian and English."""

from __future__ import annotations

import datetime as dt

import pytest

from shaffof.deadlines.calendar import LegalCalendar
from shaffof.deadlines.counting import Adjustment, AdjustmentKind, compute
from shaffof.deadlines.explain import explain, format_date, period
from shaffof.deadlines.policies import POLICIES, Unit

TZ = "Asia/Tashkent"
TASHKENT = dt.timezone(dt.timedelta(hours=5))


def navruz(lang: str) -> str:
    c = compute(POLICIES["zru445-answer"], dt.datetime(2026, 3, 6, 10, tzinfo=TASHKENT), TZ, LegalCalendar())
    return explain(c, lang).text


def test_the_nowruz_example_in_english() -> None:
    assert navruz("en") == (
        "Received Friday 6 March 2026; 15 days → Saturday 21 March 2026, a day off (Nowruz), as are Sunday 22 March "
        "2026 (weekend) and Monday 23 March 2026 (Nowruz (observed)), so the deadline moves to Tuesday 24 March 2026. "
        "Due by the end of Tuesday 24 March 2026 (23:59, Asia/Tashkent)."
    )


def test_the_nowruz_example_in_russian_and_uzbek() -> None:
    ru = navruz("ru")
    assert ru.startswith("Поступило: 6 марта 2026 г. (пятница); 15 дней → 21 марта 2026 г. (суббота)")
    assert "нерабочий день (Навруз)" in ru and "переносится на 24 марта 2026 г. (вторник)" in ru
    uz = navruz("uz")
    assert uz.startswith("Qabul qilingan: 2026-yil 6-mart (juma); 15 kun → 2026-yil 21-mart (shanba)")
    assert "Navroʻz" in uz and "2026-yil 24-mart (seshanba)" in uz


def test_registration_after_hours_names_the_skipped_days() -> None:
    c = compute(POLICIES["zru445-registration"], dt.datetime(2026, 3, 6, 19, 30, tzinfo=TASHKENT), TZ, LegalCalendar())
    text = explain(c, "en").text
    assert "at 19:30, after working hours (they end at 18:00)" in text
    assert "Monday 9 March 2026 (Women's Day (observed))" in text
    assert text.endswith("Due by the end of Tuesday 10 March 2026 (23:59, Asia/Tashkent).")


def test_extensions_and_clock_stops_are_explained_in_order() -> None:
    stop = Adjustment(
        AdjustmentKind.clock_stop,
        stopped_at=dt.datetime(2026, 3, 10, 10, tzinfo=TASHKENT),
        restarted_at=dt.datetime(2026, 3, 13, 10, tzinfo=TASHKENT),
    )
    c = compute(
        POLICIES["zru445-answer"],
        dt.datetime(2026, 3, 6, 10, tzinfo=TASHKENT),
        TZ,
        LegalCalendar(),
        [stop, Adjustment(AdjustmentKind.study_extension, 10)],
    )
    steps = explain(c, "en").steps
    assert [s.kind for s in steps] == ["received", "period", "study_extension", "clock_stop", "due"]
    assert steps[2].text == "extended by 10 days for additional study → Tuesday 31 March 2026"
    assert "3 days added → Friday 3 April 2026" in steps[3].text


def test_an_unknown_language_falls_back_to_uzbek() -> None:
    assert navruz("de") == navruz("uz")


@pytest.mark.parametrize(
    ("amount", "unit", "lang", "expected"),
    [
        (1, Unit.calendar_days, "en", "1 day"),
        (15, Unit.calendar_days, "en", "15 days"),
        (1, Unit.calendar_days, "ru", "1 день"),
        (3, Unit.calendar_days, "ru", "3 дня"),
        (15, Unit.calendar_days, "ru", "15 дней"),
        (21, Unit.working_days, "ru", "21 рабочий день"),
        (12, Unit.months, "ru", "12 месяцев"),
        (10, Unit.working_days, "uz", "10 ish kuni"),
        (1, Unit.months, "uz", "1 oy"),
    ],
)
def test_periods_in_each_language(amount: int, unit: Unit, lang: str, expected: str) -> None:
    assert period(amount, unit, lang) == expected


def test_dates_in_each_language() -> None:
    day = dt.date(2026, 12, 31)
    assert format_date(day, "en") == "Thursday 31 December 2026"
    assert format_date(day, "ru") == "31 декабря 2026 г. (четверг)"
    assert format_date(day, "uz") == "2026-yil 31-dekabr (payshanba)"
