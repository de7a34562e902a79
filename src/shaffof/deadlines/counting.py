"""Deadline arithmetic: a pure function of the policy, the receipt, the adjustments and the calendar.

``compute`` returns every intermediate result a citizen needs to check a date by hand (the receipt
day, the day counting starts, the last day of the period, each extension and clock stop, the
non-working days rolled over) — the explanation (``explain.py``) only puts them into words.

Order of the steps: period → study extensions → exceptional extensions → clock stops → roll-forward.
Extensions and stopped time are counted in the policy's unit (calendar days for ``calendar_days`` and
``months``, working days for ``working_days``); a period only grows, and the roll-forward never moves
a day back, so no adjustment can make a deadline earlier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from shaffof.deadlines.calendar import Day, LegalCalendar, WorkingWeek
from shaffof.deadlines.policies import POLICIES, DeadlinePolicy, Unit, add_months

DEFAULT_WORKING_DAY_ENDS = dt.time(18, 0)


class AdjustmentKind(StrEnum):
    study_extension = "study_extension"  # ZRU-445 Art. 28(2)
    exceptional_extension = "exceptional_extension"  # ZRU-445 Art. 28(3)
    clock_stop = "clock_stop"  # information requested from the applicant


class OutsideHours(StrEnum):
    after_hours = "after_hours"
    day_off = "day_off"


@dataclass(frozen=True)
class Adjustment:
    """An input that moves a deadline: an extension (``days`` in the policy's unit) or a clock stop
    (``stopped_at`` → ``restarted_at``; ``restarted_at`` is None while the clock is still stopped)."""

    kind: AdjustmentKind
    days: int = 0
    stopped_at: dt.datetime | None = None
    restarted_at: dt.datetime | None = None
    justification: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value}
        if self.kind is AdjustmentKind.clock_stop:
            assert self.stopped_at is not None
            data["stopped_at"] = self.stopped_at.astimezone(dt.UTC).isoformat()
            data["restarted_at"] = self.restarted_at.astimezone(dt.UTC).isoformat() if self.restarted_at else None
        else:
            data["days"] = self.days
            data["justification"] = self.justification
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Adjustment:
        kind = AdjustmentKind(data["kind"])
        if kind is AdjustmentKind.clock_stop:
            restarted = data.get("restarted_at")
            return cls(
                kind,
                stopped_at=dt.datetime.fromisoformat(data["stopped_at"]),
                restarted_at=dt.datetime.fromisoformat(restarted) if restarted else None,
            )
        return cls(kind, days=int(data["days"]), justification=data.get("justification"))


@dataclass(frozen=True)
class AppliedAdjustment:
    adjustment: Adjustment
    days: int  # what it added, in the policy's unit (for a clock stop: the stopped time so counted)
    last: dt.date  # the (unrolled) last day after it
    skipped: tuple[Day, ...] = ()  # non-working days not counted (working-day policies)


@dataclass(frozen=True)
class Computation:
    policy: DeadlinePolicy
    received_at: dt.datetime
    timezone: str
    received_on: dt.date
    outside_hours: OutsideHours | None
    start_on: dt.date  # day 0 of the count
    start_passed: tuple[Day, ...]  # non-working days between the receipt and ``start_on``
    base: Computation | None  # the period this policy counts on from (``counts_from``)
    period_last: dt.date  # the last day of the policy's own period
    period_skipped: tuple[Day, ...]  # non-working days not counted (working-day policies)
    month_clipped: bool  # a month period ended on a shorter month's last day
    adjustments: tuple[AppliedAdjustment, ...]
    after_study: dt.date
    after_exceptional: dt.date
    last: dt.date  # the last day before the roll-forward
    rolled_over: tuple[Day, ...]  # non-working days the roll-forward passed
    due_on: dt.date
    due_at: dt.datetime  # UTC: the end of ``due_on`` in the body's time zone
    received_day: Day  # the calendar's view of ``received_on``
    last_day: Day  # the calendar's view of ``last``
    working_day_ends: dt.time
    clock_stopped_since: dt.datetime | None = None


def compute(
    policy: DeadlinePolicy,
    received_at: dt.datetime,
    timezone: str,
    calendar: LegalCalendar,
    adjustments: Sequence[Adjustment] = (),
    *,
    working_day_ends: dt.time = DEFAULT_WORKING_DAY_ENDS,
) -> Computation:
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    tz = ZoneInfo(timezone)
    week = policy.working_week
    local = received_at.astimezone(tz)
    received_on = local.date()

    outside: OutsideHours | None = None
    start_on: dt.date = received_on
    start_passed: tuple[Day, ...] = ()
    if policy.starts_next_working_day_outside_hours:
        if not calendar.is_working(received_on, week):
            outside = OutsideHours.day_off
        elif local.time() >= working_day_ends:
            outside = OutsideHours.after_hours
        if outside is not None:
            start_on, passed = calendar.next_working_day(received_on, week)
            start_passed = tuple(passed)

    base: Computation | None = None
    origin = start_on
    if policy.counts_from is not None:
        base = compute(POLICIES[policy.counts_from], received_at, timezone, calendar, working_day_ends=working_day_ends)
        origin = base.last

    month_clipped = False
    period_skipped: tuple[Day, ...] = ()
    if policy.unit is Unit.months:
        period_last = add_months(origin, policy.amount)
        month_clipped = period_last.day != origin.day
    else:
        period_last, skipped_days = _advance(origin, policy.amount, policy.unit, week, calendar)
        period_skipped = tuple(skipped_days)

    last = period_last
    applied: list[AppliedAdjustment] = []
    stopped_since: dt.datetime | None = None
    ordered = sorted(adjustments, key=lambda a: _ORDER[a.kind])
    after_study = last
    for adjustment in ordered:
        if adjustment.kind is AdjustmentKind.clock_stop:
            assert adjustment.stopped_at is not None
            if adjustment.restarted_at is None:
                stopped_since = adjustment.stopped_at
                continue
            days = _stopped(adjustment.stopped_at, adjustment.restarted_at, tz, policy.unit, week, calendar)
        else:
            days = adjustment.days
        last, skipped = _advance(last, days, policy.unit, week, calendar, zero_is_same_day=True)
        applied.append(AppliedAdjustment(adjustment, days, last, tuple(skipped)))
        if adjustment.kind is AdjustmentKind.study_extension:
            after_study = last
    after_exceptional = max(
        [after_study, *(a.last for a in applied if a.adjustment.kind is AdjustmentKind.exceptional_extension)]
    )

    due_on: dt.date = last
    rolled: tuple[Day, ...] = ()
    if policy.roll_forward:
        found, passed = calendar.first_working_day_from(last, week)
        due_on, rolled = found, tuple(passed)
    end_of_day = dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    due_at = (end_of_day - dt.timedelta(microseconds=1)).astimezone(dt.UTC)
    return Computation(
        policy=policy,
        received_at=received_at,
        timezone=timezone,
        received_on=received_on,
        outside_hours=outside,
        start_on=start_on,
        start_passed=start_passed,
        base=base,
        period_last=period_last,
        period_skipped=period_skipped,
        month_clipped=month_clipped,
        adjustments=tuple(applied),
        after_study=after_study,
        after_exceptional=after_exceptional,
        last=last,
        rolled_over=rolled,
        due_on=due_on,
        due_at=due_at,
        received_day=calendar.day(received_on, week),
        last_day=calendar.day(last, week),
        working_day_ends=working_day_ends,
        clock_stopped_since=stopped_since,
    )


_ORDER = {AdjustmentKind.study_extension: 0, AdjustmentKind.exceptional_extension: 1, AdjustmentKind.clock_stop: 2}


def _advance(
    start: dt.date,
    amount: int,
    unit: Unit,
    week: WorkingWeek,
    calendar: LegalCalendar,
    *,
    zero_is_same_day: bool = False,
) -> tuple[dt.date, list[Day]]:
    """``amount`` days after ``start`` in the unit (months count as calendar days here)."""
    if unit is not Unit.working_days:
        return start + dt.timedelta(days=amount), []
    if amount == 0:
        if zero_is_same_day:
            return start, []
        found, passed = calendar.first_working_day_from(start, week)
        return found, passed
    skipped: list[Day] = []
    on, counted = start, 0
    while counted < amount:
        on += dt.timedelta(days=1)
        day = calendar.day(on, week)
        if day.working:
            counted += 1
        else:
            skipped.append(day)
    return on, skipped


def _stopped(
    stopped_at: dt.datetime,
    restarted_at: dt.datetime,
    tz: ZoneInfo,
    unit: Unit,
    week: WorkingWeek,
    calendar: LegalCalendar,
) -> int:
    """The stopped time counted as the policy counts: the days from the stop's day up to (not
    including) the restart's day — calendar days, or working days for a working-day policy."""
    first, end = stopped_at.astimezone(tz).date(), restarted_at.astimezone(tz).date()
    if end <= first:
        return 0
    if unit is not Unit.working_days:
        return (end - first).days
    count, on = 0, first
    while on < end:
        count += calendar.is_working(on, week)
        on += dt.timedelta(days=1)
    return count
