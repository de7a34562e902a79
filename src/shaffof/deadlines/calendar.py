"""The legal calendar: which days are working days, and why a day is not.

A day's status is decided in this order (the first that speaks wins):

1. an administrator's override (a newly decreed day off, or a working day swapped onto a weekend) —
   the ``holidays`` package learns of a decree only in a later release (shared/design.md);
2. the ``holidays`` package's Uzbekistan calendar: public holidays, their observed days and the
   presidential-decree days off are non-working; the Saturdays a decree turned into working days
   (``weekend_workdays``) are working days;
3. the working week: Saturday and Sunday are days off in a five-day week, Sunday in a six-day week.

Holidays and decree days apply to both working weeks alike (the package models the five-day week;
a six-day-week body follows the same decrees). This module is pure: overrides are handed in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import holidays

LANGUAGES = ("uz", "ru", "en")
_PACKAGE_LANGUAGE = {"uz": "uz", "en": "en_US"}


class WorkingWeek(StrEnum):
    five_days = "five_days"  # Monday–Friday; Saturday and Sunday are days off
    six_days = "six_days"  # Monday–Saturday; Sunday is the day off

    @property
    def weekend(self) -> frozenset[int]:
        return frozenset({5, 6}) if self is WorkingWeek.five_days else frozenset({6})


class OverrideKind(StrEnum):
    day_off = "day_off"
    working_day = "working_day"


class DaySource(StrEnum):
    """Why a day has its status."""

    working = "working"  # an ordinary working day
    weekend = "weekend"
    holiday = "holiday"  # a public holiday, its observed day or a decree day off (holidays package)
    swapped_working_day = "swapped_working_day"  # a weekend day a decree made a working day (holidays package)
    override = "override"  # an administrator's override


@dataclass(frozen=True)
class Override:
    """An administrator's decision about one date (entered with a reason, see deadlines.models)."""

    on: dt.date
    kind: OverrideKind
    reason: str


@dataclass(frozen=True)
class Day:
    """One date of the calendar under a working week: working or not, and why (in each language)."""

    on: dt.date
    working: bool
    source: DaySource
    names: Mapping[str, str]  # language → the holiday's or override's name; empty for plain days

    def reason(self, lang: str) -> str:
        """Why the day is (not) working, in a citizen's words."""
        if self.source is DaySource.weekend:
            return WEEKEND[lang]
        if self.source is DaySource.working:
            return WORKING[lang]
        return self.names.get(lang) or self.names.get("en") or ""


WEEKEND = {"uz": "hafta oxiri", "ru": "выходной", "en": "weekend"}
WORKING = {"uz": "ish kuni", "ru": "рабочий день", "en": "working day"}

# The holidays package speaks Uzbek and English for Uzbekistan but not Russian: these are ours.
_RUSSIAN_HOLIDAYS = {
    "New Year's Day": "Новый год",
    "Women's Day": "Международный женский день",
    "Nowruz": "Навруз",
    "Day of Memory and Honor": "День памяти и почестей",
    "Victory Day": "День Победы",
    "Independence Day": "День независимости",
    "Teachers and Instructors Day": "День учителей и наставников",
    "Constitution Day": "День Конституции",
    "Eid al-Fitr": "Рамазан хайит",
    "Eid al-Adha": "Курбан хайит",
    "Additional day off by Presidential decree": "Дополнительный выходной день по указу Президента",
}
_RUSSIAN_SUFFIXES = {
    "observed": "перенесённый",
    "estimated": "предварительно",
    "observed, estimated": "перенесённый, предварительно",
}
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d\d)/(\d\d)/(\d{4})\)$")
_SUFFIXED = re.compile(r"^(.*) \((observed|estimated|observed, estimated)\)$")


def _russian(english: str) -> str:
    names = []
    for name in english.split("; "):
        if match := _SUBSTITUTED.match(name):
            day, month, year = match.groups()
            names.append(f"Выходной день (перенесён с {day}.{month}.{year})")
        elif match := _SUFFIXED.match(name):
            base, suffix = match.groups()
            names.append(f"{_RUSSIAN_HOLIDAYS.get(base, base)} ({_RUSSIAN_SUFFIXES[suffix]})")
        else:
            names.append(_RUSSIAN_HOLIDAYS.get(name, name))
    return "; ".join(names)


@dataclass(frozen=True)
class _Year:
    names: Mapping[dt.date, Mapping[str, str]]  # non-working days of the package, named per language
    swapped_working_days: frozenset[dt.date]


@lru_cache(maxsize=256)
def _package_year(year: int) -> _Year:
    by_language = {
        lang: holidays.country_holidays("UZ", years=year, language=code) for lang, code in _PACKAGE_LANGUAGE.items()
    }
    english = by_language["en"]
    names = {
        day: {"uz": by_language["uz"][day], "ru": _russian(english[day]), "en": english[day]}
        for day in sorted(english.keys())
    }
    return _Year(names, frozenset(english.weekend_workdays))


class LegalCalendar:
    """The working-day calendar of one moment: the package's Uzbekistan calendar plus ``overrides``."""

    def __init__(self, overrides: Iterable[Override] = ()) -> None:
        self.overrides: dict[dt.date, Override] = {o.on: o for o in overrides}
        self._days: dict[tuple[dt.date, WorkingWeek], Day] = {}

    def day(self, on: dt.date, week: WorkingWeek = WorkingWeek.five_days) -> Day:
        key = (on, week)
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = self._classify(on, week)
        return found

    def _classify(self, on: dt.date, week: WorkingWeek) -> Day:
        override = self.overrides.get(on)
        if override is not None:
            names = dict.fromkeys(LANGUAGES, override.reason)
            return Day(on, override.kind is OverrideKind.working_day, DaySource.override, names)
        year = _package_year(on.year)
        if on in year.names:
            return Day(on, False, DaySource.holiday, year.names[on])
        if on in year.swapped_working_days and on.weekday() in week.weekend:
            return Day(on, True, DaySource.swapped_working_day, SWAPPED)
        if on.weekday() in week.weekend:
            return Day(on, False, DaySource.weekend, {})
        return Day(on, True, DaySource.working, {})

    def is_working(self, on: dt.date, week: WorkingWeek = WorkingWeek.five_days) -> bool:
        return self.day(on, week).working

    def next_working_day(self, after: dt.date, week: WorkingWeek) -> tuple[dt.date, list[Day]]:
        """The first working day after ``after``, and the non-working days passed on the way."""
        passed: list[Day] = []
        on = after + dt.timedelta(days=1)
        while not (day := self.day(on, week)).working:
            passed.append(day)
            on += dt.timedelta(days=1)
        return on, passed

    def first_working_day_from(self, on: dt.date, week: WorkingWeek) -> tuple[dt.date, list[Day]]:
        """``on`` if it is a working day, else the next one, and the non-working days passed."""
        day = self.day(on, week)
        if day.working:
            return on, []
        following, passed = self.next_working_day(on, week)
        return following, [day, *passed]

    def special_days(self, year: int, week: WorkingWeek) -> list[Day]:
        """The year's days that are not plain: holidays, decree days, swapped working days, overrides
        (weekends that are just weekends are left out)."""
        found = []
        on = dt.date(year, 1, 1)
        while on.year == year:
            day = self.day(on, week)
            if day.source not in (DaySource.working, DaySource.weekend):
                found.append(day)
            on += dt.timedelta(days=1)
        return found


SWAPPED = {
    "uz": "ish kuni (dam olish kuni bilan almashtirilgan)",
    "ru": "рабочий день (перенесён с выходного)",
    "en": "working day (swapped with a day off)",
}
