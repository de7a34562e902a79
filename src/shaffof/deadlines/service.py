"""The deadlines domain service: policies, the legal calendar, the calculator and calendar overrides.

Cases keep their own due dates (``cases.due_dates``); when an administrator changes the calendar, the
subscribed handlers (the cases domain) move the affected due dates inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shaffof.catalog import service as catalog
from shaffof.catalog.errors import ServiceNotFound
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.deadlines.calendar import LegalCalendar, Override, OverrideKind, WorkingWeek
from shaffof.deadlines.counting import DEFAULT_WORKING_DAY_ENDS, Adjustment, Computation, compute
from shaffof.deadlines.errors import CalculationInvalid, OverrideExists, OverrideInvalid, UnknownPolicy
from shaffof.deadlines.explain import explain
from shaffof.deadlines.models import CalendarOverride
from shaffof.deadlines.permissions import ensure_can_manage_calendar
from shaffof.deadlines.policies import (
    ALIASES,
    POLICIES,
    DeadlinePolicy,
    canonical_name,
    get_policy,
    policy_from_package,
)
from shaffof.deadlines.schemas import (
    CalculationPublic,
    CalendarDayPublic,
    CalendarYearPublic,
    ExplanationPublic,
    ExplanationStep,
    OverrideCreate,
    OverridePublic,
    PolicyPublic,
)
from shaffof.errors import FieldError
from shaffof.identity.actor import Actor
from shaffof.identity.models import Account

_CALENDAR_KEY = "shaffof.legal_calendar"
FIRST_YEAR, YEARS_AHEAD = 2000, 5  # overrides outside these years are refused as typos


class CalendarChangeHandler(Protocol):
    """Called inside the transaction that changed the calendar (on ``changed_on``); returns how many
    deadlines it moved."""

    def __call__(
        self, session: Session, changed_on: dt.date, calendar: LegalCalendar, at: dt.datetime, reason: str
    ) -> int: ...


class Deadlines:
    """Built once by the composition root (``platform.py``)."""

    def __init__(
        self,
        db: Database,
        *,
        timezone: str,
        working_day_ends: dt.time = DEFAULT_WORKING_DAY_ENDS,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self.timezone = timezone
        self.working_day_ends = working_day_ends
        self.clock = clock
        self._calendar_handlers: list[CalendarChangeHandler] = []

    def on_calendar_change(self, handler: CalendarChangeHandler) -> None:
        self._calendar_handlers.append(handler)

    # ------------------------------------------------------------------ building blocks (for other domains)

    def calendar(self, session: Session) -> LegalCalendar:
        """The calendar with the stored overrides, loaded once per session (a unit of work)."""
        cached = session.info.get(_CALENDAR_KEY)
        if isinstance(cached, LegalCalendar):
            return cached
        rows = session.execute(sa.select(CalendarOverride.day, CalendarOverride.kind, CalendarOverride.reason)).all()
        calendar = LegalCalendar(Override(on, kind, reason) for on, kind, reason in rows)
        session.info[_CALENDAR_KEY] = calendar
        return calendar

    def resolve(self, name: str, service_deadline: Mapping[str, Any] | None = None) -> DeadlinePolicy:
        """A policy by name: statutory (or a former name), or the one the service package declares."""
        canonical = canonical_name(name)
        if canonical in POLICIES:
            return POLICIES[canonical]
        if service_deadline is not None:
            return policy_from_package(name, service_deadline)
        raise UnknownPolicy(f"There is no deadline policy {name!r}; see GET /api/v1/deadlines/policies.", name=name)

    def compute(
        self,
        policy: DeadlinePolicy,
        received_at: dt.datetime,
        calendar: LegalCalendar,
        adjustments: tuple[Adjustment, ...] | list[Adjustment] = (),
    ) -> Computation:
        return compute(
            policy, received_at, self.timezone, calendar, adjustments, working_day_ends=self.working_day_ends
        )

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(ZoneInfo(self.timezone)).date()

    # ------------------------------------------------------------------ public operations

    def list_policies(self, lang: str = "en") -> list[PolicyPublic]:
        """The statutory policies, then the policies the current service packages declare."""
        with self._db.reading() as session:
            declared = [policy_from_package(s.code, s.deadline) for s in catalog.list_services(session) if s.deadline]
        aliases: dict[str, list[str]] = {}
        for old, new in ALIASES.items():
            aliases.setdefault(new, []).append(old)
        return [_policy_public(p, lang, aliases.get(p.name, [])) for p in (*POLICIES.values(), *declared)]

    def _lookup(self, session: Session, name: str) -> DeadlinePolicy:
        try:
            return get_policy(name)
        except UnknownPolicy:
            pass
        try:
            service = catalog.get_service(session, name)
        except ServiceNotFound:
            service = None
        if service is None or not service.deadline:
            raise UnknownPolicy(
                f"There is no deadline policy {name!r}; see GET /api/v1/deadlines/policies.",
                errors=[FieldError("policy", "unknown deadline policy")],
            )
        return policy_from_package(service.code, service.deadline)

    def calculate(self, policy_name: str, received_at: str | dt.datetime, lang: str = "uz") -> CalculationPublic:
        """The due date(s) of ``policy_name`` for a receipt at ``received_at`` (ISO 8601 with an offset),
        with the explanation in ``lang`` and the citation."""
        instant = parse_instant(received_at, "received_at")
        with self._db.reading() as session:
            policy = self._lookup(session, policy_name)
            calendar = self.calendar(session)
        result = self._calculation(policy, instant, calendar, lang)
        if policy.name == "zru445-proposal":
            notice = self._calculation(POLICIES["zru445-proposal-notice"], instant, calendar, lang)
            result.interim.append(notice)
        return result

    def _calculation(
        self, policy: DeadlinePolicy, instant: dt.datetime, calendar: LegalCalendar, lang: str
    ) -> CalculationPublic:
        computation = self.compute(policy, instant, calendar)
        return CalculationPublic(
            policy=policy.name,
            received_at=instant,
            timezone=self.timezone,
            received_on=computation.received_on,
            starts_on=computation.start_on,
            due_on=computation.due_on,
            due_at=computation.due_at,
            citation=policy.citation,
            explanation=explanation_public(computation, lang),
        )

    def calendar_year(
        self, year: int, week: WorkingWeek = WorkingWeek.five_days, lang: str = "uz"
    ) -> CalendarYearPublic:
        if not FIRST_YEAR <= year <= 2100:
            raise CalculationInvalid(
                f"The calendar is kept for the years {FIRST_YEAR}–2100; {year} is outside.",
                errors=[FieldError("year", f"between {FIRST_YEAR} and 2100")],
            )
        with self._db.reading() as session:
            calendar = self.calendar(session)
            overrides = self._overrides(session, year)
        day, working = dt.date(year, 1, 1), 0
        total = 0
        while day.year == year:
            working += calendar.is_working(day, week)
            total += 1
            day += dt.timedelta(days=1)
        return CalendarYearPublic(
            year=year,
            working_week=week,
            working_days=working,
            non_working_days=total - working,
            days=[
                CalendarDayPublic(
                    date=d.on, working=d.working, source=d.source, reason=d.reason(lang), names=dict(d.names)
                )
                for d in calendar.special_days(year, week)
            ],
            overrides=overrides,
        )

    def _overrides(self, session: Session, year: int) -> list[OverridePublic]:
        rows = session.execute(
            sa.select(CalendarOverride, Account.display_name)
            .outerjoin(Account, Account.id == CalendarOverride.entered_by_account_id)
            .where(CalendarOverride.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
            .order_by(CalendarOverride.day)
        ).all()
        return [
            OverridePublic(date=o.day, kind=o.kind, reason=o.reason, entered_by=name, entered_at=o.entered_at)
            for o, name in rows
        ]

    def add_override(self, actor: Actor, command: OverrideCreate) -> OverridePublic:
        """Enter a decreed day off or a swapped working day; in the same transaction, move the due dates
        of the open cases whose count passes the date (each with a ``deadline_recomputed`` event)."""
        ensure_can_manage_calendar(actor)
        on = parse_override_date(command.date, today=self.local_date(self.clock()))
        reason = command.reason.strip()
        if len(reason) < 3:
            raise OverrideInvalid(
                "Say why the day changes (the decree, or the reason); citizens see it in their explanations.",
                errors=[FieldError("reason", "required: at least 3 characters")],
            )
        now = self.clock()
        try:
            with self._db.uow() as uow:
                session = uow.session
                if session.scalar(sa.select(CalendarOverride.id).where(CalendarOverride.day == on)) is not None:
                    raise OverrideExists(
                        f"{on.isoformat()} already has an override; one date has one override.",
                        errors=[FieldError("date", "already overridden")],
                    )
                session.add(
                    CalendarOverride(
                        day=on, kind=command.kind, reason=reason, entered_by_account_id=actor.account_id, entered_at=now
                    )
                )
                session.flush()
                session.info.pop(_CALENDAR_KEY, None)
                calendar = self.calendar(session)
                moved = sum(handler(session, on, calendar, now, reason) for handler in self._calendar_handlers)
                uow.commit()
        except IntegrityError:
            raise OverrideExists(
                f"{on.isoformat()} already has an override; one date has one override.",
                errors=[FieldError("date", "already overridden")],
            ) from None
        return OverridePublic(
            date=on,
            kind=command.kind,
            reason=reason,
            entered_by=actor.display_name,
            entered_at=now,
            recomputed_deadlines=moved,
        )


def explanation_public(computation: Computation, lang: str) -> ExplanationPublic:
    explained = explain(computation, lang)
    return ExplanationPublic(
        lang=explained.lang,
        text=explained.text,
        steps=[ExplanationStep(kind=s.kind, on=s.on, text=s.text) for s in explained.steps],
    )


def _policy_public(policy: DeadlinePolicy, lang: str, aliases: list[str]) -> PolicyPublic:
    return PolicyPublic(
        name=policy.name,
        statutory=policy.service is None,
        amount=policy.amount,
        unit=policy.unit,
        working_week=policy.working_week,
        roll_forward=policy.roll_forward,
        clock_stops=policy.clock_stops,
        starts_next_working_day_outside_hours=policy.starts_next_working_day_outside_hours,
        extendable=policy.extendable,
        description=policy.describe(lang),
        descriptions=dict(policy.descriptions),
        citation=policy.citation,
        aliases=sorted(aliases),
    )


def parse_instant(value: str | dt.datetime, field: str) -> dt.datetime:
    """An ISO 8601 instant with its UTC offset ("2026-03-06T10:00:00+05:00"); a local time without an
    offset is ambiguous and refused."""
    if isinstance(value, dt.datetime):
        instant = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            instant = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CalculationInvalid(
                f"{field} must be an ISO 8601 date and time with an offset, e.g. 2026-03-06T10:00:00+05:00; "
                f"got {value!r}.",
                errors=[FieldError(field, "not an ISO 8601 date-time")],
            ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalculationInvalid(
            f"{field} has no UTC offset; add one (e.g. +05:00 for Tashkent) so the day of receipt is certain.",
            errors=[FieldError(field, "an offset such as +05:00 or Z is required")],
        )
    if not FIRST_YEAR <= instant.year <= 2100:
        raise CalculationInvalid(
            f"{field} must fall between {FIRST_YEAR} and 2100.",
            errors=[FieldError(field, f"year between {FIRST_YEAR} and 2100")],
        )
    return instant


def parse_override_date(value: str, *, today: dt.date) -> dt.date:
    try:
        on = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise OverrideInvalid(
            f"{value!r} is not a calendar date; write it as YYYY-MM-DD (e.g. 2027-03-22).",
            errors=[FieldError("date", "not a valid date (YYYY-MM-DD)")],
        ) from None
    if len(value.strip()) != 10:
        raise OverrideInvalid(
            f"{value!r}: write the date as YYYY-MM-DD.", errors=[FieldError("date", "not in the form YYYY-MM-DD")]
        )
    if not FIRST_YEAR <= on.year <= today.year + YEARS_AHEAD:
        raise OverrideInvalid(
            f"{on.isoformat()} is outside the years overrides are kept for ({FIRST_YEAR}–{today.year + YEARS_AHEAD}).",
            errors=[FieldError("date", "outside the supported years")],
        )
    return on


__all__ = ["CalendarChangeHandler", "Deadlines", "OverrideKind", "parse_instant", "parse_override_date"]
