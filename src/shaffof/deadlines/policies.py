"""Deadline policies as data, each citing the norm it implements.

This module holds the answer deadlines the foundation needs to order queues and tell citizens a due
date. Counting follows shared/legal.md's reading of ZRU-445: "kun" are calendar days, day 0 is the day
of receipt, the deadline ends at the end of day N in the body's time zone. The working-day calendar
(holidays, the roll-forward of a deadline that falls on a day off, administrator overrides) and clock
stops belong to the deadlines issue and extend this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from shaffof.legal import Citation

ZRU_445_URL = "https://lex.uz/docs/3336171"


class Unit(StrEnum):
    calendar_days = "calendar_days"
    months = "months"


@dataclass(frozen=True)
class DeadlinePolicy:
    name: str
    amount: int
    unit: Unit
    citation: Citation
    description: str

    def due_at(self, received_at: dt.datetime, timezone: str) -> dt.datetime:
        """The instant the answer is due: the end of the last day, in the body's time zone."""
        tz = ZoneInfo(timezone)
        day0 = received_at.astimezone(tz).date()
        if self.unit is Unit.calendar_days:
            last = day0 + dt.timedelta(days=self.amount)
        else:
            last = add_months(day0, self.amount)
        end_of_day = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        return (end_of_day - dt.timedelta(microseconds=1)).astimezone(dt.UTC)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number ``months`` later, or the month's last day when it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def _zru445(article: str, part: str | None, title: str) -> Citation:
    return Citation(law="ZRU-445", article=article, part=part, title=title, url=ZRU_445_URL)


POLICIES: dict[str, DeadlinePolicy] = {
    p.name: p
    for p in (
        DeadlinePolicy(
            "zru445-ariza",
            15,
            Unit.calendar_days,
            _zru445("28", "1", "Applications are considered within 15 days of receipt"),
            "15 days from receipt by the competent body",
        ),
        DeadlinePolicy(
            "zru445-shikoyat",
            15,
            Unit.calendar_days,
            _zru445("28", "1", "Complaints are considered within 15 days of receipt"),
            "15 days from receipt by the competent body",
        ),
        DeadlinePolicy(
            "zru445-taklif",
            1,
            Unit.months,
            _zru445("28", None, "Proposals are considered within one month"),
            "1 month from receipt",
        ),
    )
}


class UnknownPolicy(KeyError):
    pass


def get_policy(name: str) -> DeadlinePolicy:
    try:
        return POLICIES[name]
    except KeyError:
        raise UnknownPolicy(name) from None
