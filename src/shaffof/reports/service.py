"""The statistics' read side: figures for any period and filter, from the rollups in a few milliseconds.

Every figure is a sum over ``stats_monthly`` rows (and the processing-day histogram) — never a scan of
the cases — except "overdue now", which is a count of open cases past their deadline through the
partial index the SLA monitor uses (``ix_cases_open_due``): it is about the present, not a month.
Groups with fewer decisions than the small-number threshold are flagged ``small`` and never ranked
(FixMyStreet's lesson, its issue #1957: a 100 % from three cases tells nothing).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from shaffof.cases.lifecycle import OPEN_STATES
from shaffof.cases.models import OPEN_STATES_SQL, Case, CaseRelation
from shaffof.catalog.models import Agency, Service
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.errors import FieldError
from shaffof.identity.actor import Actor
from shaffof.integrity import counts as integrity_counts
from shaffof.reports import policy
from shaffof.reports.errors import PeriodInvalid, UnknownFilter
from shaffof.reports.models import COUNTERS, StatsAgencyProcessingDays, StatsMonthly, StatsProcessingDays
from shaffof.reports.schemas import (
    AppliedFilters,
    CaseList,
    FindingCount,
    FindingsReport,
    GroupBy,
    ListedCase,
    Measure,
    Measures,
    Row,
    StatisticsReport,
)

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_MONTHS = 12
MAX_MONTHS = 120


@dataclass(frozen=True)
class Filters:
    """What a caller asked for, before it is checked (codes as given; months as YYYY-MM)."""

    from_month: str | None = None
    to_month: str | None = None
    agency: str | None = None
    service: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """What the public dashboard shows: the agencies compared (with the total) and the monthly trend."""

    by_agency: StatisticsReport
    by_month: StatisticsReport


@dataclass(frozen=True)
class StaffDashboard:
    """The officer's and head's dashboard: their agency's figures by service and by month, and — for those
    the integrity domain lets read them (heads, auditors) — the open integrity findings per rule."""

    agency: str | None  # agency code; None: an auditor looking at every body
    by_service: StatisticsReport
    by_month: StatisticsReport
    findings: FindingsReport | None


@dataclass(frozen=True)
class _Resolved:
    applied: AppliedFilters
    agency_id: int | None
    service_ids: tuple[int, ...] | None


class Statistics:
    def __init__(
        self,
        db: Database,
        *,
        timezone: str,
        small_number: int = 10,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._tz = ZoneInfo(timezone)
        self.small_number = small_number
        self.clock = clock

    # ------------------------------------------------------------------ the report

    def report(self, filters: Filters, group_by: GroupBy = GroupBy.total, *, language: str = "en") -> StatisticsReport:
        with self._db.reading() as session:
            resolved = self._resolve(session, filters)
            groups = _first_key(self._sums(session, resolved, (group_by,)))
            days = _first_key(self._histograms(session, resolved, (group_by,)))
            overdue = self._overdue(session, resolved, group_by) if group_by is not GroupBy.month else None
            labels = self._labels(session, group_by, language)
        return self._assemble(resolved, group_by, groups, days, overdue, labels)

    def dashboard(self, filters: Filters, *, language: str = "en") -> Dashboard:
        """The page's figures: the agencies compared (with the total) and the monthly trend. Two groupings
        summed in the database (a few hundred rows come back), rather than one crossed grouping folded here."""
        return Dashboard(
            by_agency=self.report(filters, GroupBy.agency, language=language),
            by_month=self.report(filters, GroupBy.month, language=language),
        )

    def _assemble(
        self,
        resolved: _Resolved,
        group_by: GroupBy,
        groups: Mapping[str, Mapping[str, int]],
        days: Mapping[str, Mapping[int, int]],
        overdue: Mapping[str, int] | None,
        labels: Mapping[str, str],
    ) -> StatisticsReport:
        total_counters: dict[str, int] = defaultdict(int)
        total_days: dict[int, int] = defaultdict(int)
        for counters in groups.values():
            for name, value in counters.items():
                total_counters[name] += value
        for histogram in days.values():
            for day, decisions in histogram.items():
                total_days[day] += decisions
        # "Overdue now" is a figure of the present: none per past month.
        rows = [
            Row(
                key=key,
                label=labels.get(key, key),
                measures=self._measures(
                    groups.get(key, {}), days.get(key, {}), None if overdue is None else overdue.get(key, 0)
                ),
            )
            for key in sorted(set(groups) | set(overdue or {}))
            if group_by is not GroupBy.total
        ]
        return StatisticsReport(
            generated_at=self.clock(),
            filters=resolved.applied,
            group_by=group_by,
            small_number_threshold=self.small_number,
            total=self._measures(total_counters, total_days, None if overdue is None else sum(overdue.values())),
            rows=rows,
        )

    def agency_report(
        self, actor: Actor, filters: Filters, group_by: GroupBy, *, language: str = "en"
    ) -> StatisticsReport:
        """The officer's and head's dashboard: the same figures, for their own agency."""
        return self.report(self._own_agency(actor, filters), group_by, language=language)

    def _own_agency(self, actor: Actor, filters: Filters) -> Filters:
        """The filters narrowed to the agency the actor may look at (their own; an auditor's choice)."""
        with self._db.reading() as session:
            requested = self._resolve(session, filters).agency_id
        agency_id = policy.agency_for_case_lists(actor, requested)
        if agency_id is not None and filters.agency is None:
            with self._db.reading() as session:
                code = session.scalar(sa.select(Agency.code).where(Agency.id == agency_id))
            filters = Filters(filters.from_month, filters.to_month, code, filters.service, filters.region)
        return filters

    def staff_dashboard(self, actor: Actor, filters: Filters, *, language: str = "en") -> StaffDashboard:
        """The staff dashboard: the agency's figures by service and month, and its open findings for those
        who may read the integrity board (decided by the policy, not the page)."""
        own = self._own_agency(actor, filters)
        by_service = self.report(own, GroupBy.service, language=language)
        by_month = self.report(own, GroupBy.month, language=language)
        with self._db.reading() as session:
            agency_id = self._resolve(session, own).agency_id
        findings = (
            self.findings_report(own.agency, language=language) if policy.may_see_findings(actor, agency_id) else None
        )
        return StaffDashboard(own.agency, by_service, by_month, findings)

    def findings_report(self, agency: str | None = None, *, language: str = "en") -> FindingsReport:
        """Open integrity findings per body and rule — counts only, open data (small counts flagged)."""
        with self._db.reading() as session:
            agency_id = self._resolve(session, Filters(agency=agency)).agency_id
            counted = integrity_counts.open_findings(session, agency_id)
            agencies = {a.id: a for a in session.scalars(sa.select(Agency))}
        rows = [
            FindingCount(
                agency=agencies[item.agency_id].code if item.agency_id is not None else None,
                agency_name=agencies[item.agency_id].name.get(language) if item.agency_id is not None else None,
                rule=item.rule.code,
                rule_title=item.rule.title.get(language, item.rule.code),
                severity=item.rule.severity.value,
                basis=item.rule.basis,
                open_findings=item.count,
                small=item.count < self.small_number,
            )
            for item in counted
        ]
        return FindingsReport(
            generated_at=self.clock(),
            agency=agency,
            small_number_threshold=self.small_number,
            total=sum(row.open_findings for row in rows),
            rows=rows,
        )

    def cases_behind(self, actor: Actor, measure: Measure, filters: Filters, *, limit: int = 500) -> CaseList:
        """The cases a figure counts (for the agency's staff and auditors): the way down from a number to
        the case files. Periods are months in local time, as in the rollups; cases come in the order of their
        event (received, decided, due), the first ``limit`` of them."""
        with self._db.reading() as session:
            resolved = self._resolve(session, filters)
            agency_id = policy.agency_for_case_lists(actor, resolved.agency_id)
            start = _month_start(resolved.applied.from_month, self._tz)
            end = _month_start(_shift(resolved.applied.to_month, 1), self._tz)
            statement = sa.select(Case.registration_number, Service.code, Case.agency_id, Case.state, Case.due_at).join(
                Service, Service.id == Case.service_id
            )
            if measure is Measure.received:
                statement = statement.where(Case.received_at >= start, Case.received_at < end)
            elif measure in (Measure.decided, Measure.decided_late, Measure.decided_automatically):
                statement = statement.where(Case.decided_at >= start, Case.decided_at < end)
                if measure is Measure.decided_late:
                    statement = statement.where(Case.due_at.is_not(None), Case.decided_at > Case.due_at)
                if measure is Measure.decided_automatically:
                    statement = statement.where(Case.decided_by_account_id.is_(None))
            elif measure is Measure.overdue_now:
                statement = statement.where(
                    sa.text(OPEN_STATES_SQL), Case.state.in_(OPEN_STATES), Case.due_at < self.clock()
                )
            elif measure is Measure.contested:
                review = aliased(Case)
                statement = statement.where(
                    sa.exists().where(
                        review.parent_agency_id == Case.agency_id,
                        review.parent_case_id == Case.id,
                        review.relation == CaseRelation.review_of,
                        review.received_at >= start,
                        review.received_at < end,
                    )
                )
            if agency_id is not None:
                statement = statement.where(Case.agency_id == agency_id)
            if resolved.service_ids is not None:
                statement = statement.where(Case.service_id.in_(resolved.service_ids))
            if resolved.applied.region is not None:
                statement = statement.where(
                    Case.agency_id.in_(sa.select(Agency.id).where(Agency.region == resolved.applied.region))
                )
            # In the order of the period's own index (ix_cases_received, ix_cases_decided, ix_cases_open_due), so
            # the first page is read without sorting every case of the period.
            order = {
                Measure.received: Case.received_at,
                Measure.overdue_now: Case.due_at,
                Measure.contested: Case.decided_at,
            }.get(measure, Case.decided_at)
            rows = session.execute(statement.order_by(order, Case.registration_number).limit(limit + 1)).all()
            codes = {agency_id: code for agency_id, code in session.execute(sa.select(Agency.id, Agency.code))}
        listed = [
            ListedCase(registration_number=number, service=service, agency=codes[agency], state=state.value, due_at=due)
            for number, service, agency, state, due in rows[:limit]
        ]
        return CaseList(
            measure=measure,
            filters=resolved.applied,
            registration_numbers=[case.registration_number for case in listed],
            cases=listed,
            truncated=len(rows) > limit,
        )

    # ------------------------------------------------------------------ filters

    def current_month(self) -> str:
        return self.clock().astimezone(self._tz).strftime("%Y-%m")

    def _resolve(self, session: Session, filters: Filters) -> _Resolved:
        errors: list[FieldError] = []
        now_month = self.current_month()
        to_month = filters.to_month or now_month
        from_month = filters.from_month or _shift(to_month, -(DEFAULT_MONTHS - 1)) if MONTH.match(to_month) else ""
        for name, value in (("from", filters.from_month), ("to", filters.to_month)):
            if value is not None and not MONTH.match(value):
                errors.append(FieldError(name, f"{value!r} is not a month; write it as YYYY-MM, e.g. 2026-04"))
        if errors:
            raise PeriodInvalid("The period is not valid; nothing was counted.", errors=errors)
        if to_month > now_month:
            errors.append(FieldError("to", f"{to_month} is in the future; the latest month is {now_month}"))
        if filters.from_month is not None and from_month > now_month:
            errors.append(FieldError("from", f"{from_month} is in the future; the latest month is {now_month}"))
        if from_month > to_month:
            errors.append(FieldError("from", f"{from_month} is after {to_month}; the period must run forwards"))
        elif _months_between(from_month, to_month) > MAX_MONTHS:
            errors.append(FieldError("from", f"a period covers at most {MAX_MONTHS} months"))
        if errors:
            raise PeriodInvalid("The period cannot be reported; nothing was counted.", errors=errors)
        agency_id = None
        if filters.agency is not None:
            agency_id = session.scalar(sa.select(Agency.id).where(Agency.code == filters.agency))
            if agency_id is None:
                errors.append(FieldError("agency", f"there is no agency {filters.agency!r}; see GET /api/v1/agencies"))
        service_ids: tuple[int, ...] | None = None
        if filters.service is not None:
            service_ids = tuple(session.scalars(sa.select(Service.id).where(Service.code == filters.service)))
            if not service_ids:
                errors.append(
                    FieldError("service", f"there is no service {filters.service!r}; see GET /api/v1/services")
                )
        if filters.region is not None:
            known = session.scalar(
                sa.select(sa.func.count()).select_from(Agency).where(Agency.region == filters.region)
            )
            if not known:
                errors.append(FieldError("region", f"no agency is in the region {filters.region!r}"))
        if errors:
            raise UnknownFilter(f"{len(errors)} filter(s) name nothing known; nothing was counted.", errors=errors)
        applied = AppliedFilters(
            from_month=from_month,
            to_month=to_month,
            agency=filters.agency,
            service=filters.service,
            region=filters.region,
        )
        return _Resolved(applied, agency_id, service_ids)

    def _where(self, resolved: _Resolved, table: Any) -> list[sa.ColumnElement[bool]]:
        conditions = [table.month >= resolved.applied.from_month, table.month <= resolved.applied.to_month]
        if resolved.agency_id is not None:
            conditions.append(table.agency_id == resolved.agency_id)
        if resolved.service_ids is not None:
            conditions.append(table.service_id.in_(resolved.service_ids))
        if resolved.applied.region is not None:
            agencies = sa.select(Agency.id).where(Agency.region == resolved.applied.region)
            conditions.append(table.agency_id.in_(agencies))
        return conditions

    # ------------------------------------------------------------------ queries

    def _group_column(self, group_by: GroupBy, table: Any) -> tuple[Any, list[Any]]:
        """The SQL expression to group by, and the joins it needs."""
        if group_by is GroupBy.agency:  # by id, named after the query: no join (see _named)
            return table.agency_id, []
        if group_by is GroupBy.service:
            return Service.code, [(Service, Service.id == table.service_id)]
        if group_by is GroupBy.region:
            return sa.func.coalesce(Agency.region, ""), [(Agency, Agency.id == table.agency_id)]
        if group_by is GroupBy.month:
            return table.month, []
        return sa.literal("total"), []

    def _grouping(self, group_bys: tuple[GroupBy, ...], table: Any) -> tuple[list[Any], list[Any]]:
        keys: list[Any] = []
        joins: list[Any] = []
        for group_by in group_bys:
            key, needed = self._group_column(group_by, table)
            keys.append(key)
            joins += [join for join in needed if join[0] not in [j[0] for j in joins]]
        return keys, joins

    def _sums(
        self, session: Session, resolved: _Resolved, group_bys: tuple[GroupBy, ...]
    ) -> dict[tuple[str, ...], dict[str, int]]:
        table = StatsMonthly
        keys, joins = self._grouping(group_bys, table)
        statement = sa.select(*keys, *(sa.func.sum(getattr(table, n)).label(n) for n in COUNTERS)).select_from(table)
        for target, on in joins:
            statement = statement.join(target, on)
        statement = statement.where(*self._where(resolved, table)).group_by(*keys)
        width = len(keys)
        name = self._namer(session, group_bys)
        return {
            name(row[:width]): dict(zip(COUNTERS, (int(v or 0) for v in row[width:]), strict=True))
            for row in session.execute(statement)
        }

    def _histograms(
        self, session: Session, resolved: _Resolved, group_bys: tuple[GroupBy, ...]
    ) -> dict[tuple[str, ...], dict[int, int]]:
        # Without a service filter or grouping, the per-agency histogram has all that is needed.
        by_service = resolved.service_ids is not None or GroupBy.service in group_bys
        table: Any = StatsProcessingDays if by_service else StatsAgencyProcessingDays
        keys, joins = self._grouping(group_bys, table)
        statement = sa.select(*keys, table.days, sa.func.sum(table.decisions)).select_from(table)
        for target, on in joins:
            statement = statement.join(target, on)
        statement = statement.where(*self._where(resolved, table)).group_by(*keys, table.days)
        histograms: dict[tuple[str, ...], dict[int, int]] = defaultdict(dict)
        name = self._namer(session, group_bys)
        for *key, days, decisions in session.execute(statement).all():
            histograms[name(key)][days] = int(decisions or 0)
        return histograms

    def _namer(self, session: Session, group_bys: tuple[GroupBy, ...]) -> Callable[[Any], tuple[str, ...]]:
        """Turns a row's group values into the report's keys (agency ids into agency codes)."""
        if GroupBy.agency not in group_bys:
            return lambda values: tuple(str(v) for v in values)
        codes = {agency_id: code for agency_id, code in session.execute(sa.select(Agency.id, Agency.code))}
        position = group_bys.index(GroupBy.agency)
        return lambda values: tuple(codes[v] if index == position else str(v) for index, v in enumerate(values))

    def overdue_now(self, filters: Filters, group_by: GroupBy = GroupBy.agency) -> dict[str, int]:
        """Open cases past their answer deadline now, by group (the dashboard's live figure)."""
        with self._db.reading() as session:
            return self._overdue(session, self._resolve(session, filters), group_by)

    def _overdue(self, session: Session, resolved: _Resolved, group_by: GroupBy) -> dict[str, int]:
        """Open cases past their answer deadline now, through the open cases' partial index."""
        key, joins = self._group_column(group_by, Case)
        statement = sa.select(key.label("key"), sa.func.count()).select_from(Case)
        for target, on in joins:
            statement = statement.join(target, on)
        statement = statement.where(sa.text(OPEN_STATES_SQL), Case.state.in_(OPEN_STATES), Case.due_at < self.clock())
        if resolved.agency_id is not None:
            statement = statement.where(Case.agency_id == resolved.agency_id)
        if resolved.service_ids is not None:
            statement = statement.where(Case.service_id.in_(resolved.service_ids))
        if resolved.applied.region is not None:
            statement = statement.where(
                Case.agency_id.in_(sa.select(Agency.id).where(Agency.region == resolved.applied.region))
            )
        name = self._namer(session, (group_by,))
        return {name((group,))[0]: int(count) for group, count in session.execute(statement.group_by(key))}

    def _labels(self, session: Session, group_by: GroupBy, language: str) -> Mapping[str, str]:
        if group_by is GroupBy.agency:
            return {
                code: name.get(language, code) for code, name in session.execute(sa.select(Agency.code, Agency.name))
            }
        if group_by is GroupBy.service:
            rows = session.execute(sa.select(Service.code, Service.name).where(Service.is_current))
            return {code: name.get(language, code) for code, name in rows}
        return {}

    # ------------------------------------------------------------------ measures

    def _measures(self, counters: Mapping[str, int], days: Mapping[int, int], overdue: int | None) -> Measures:
        c = defaultdict(int, counters)
        online = c["received_portal"] + c["received_api"] + c["received_mobile"]
        return Measures(
            received=c["received"],
            received_online=online,
            received_service_centre=c["received_service_centre"],
            online_share=_share(online, c["received"]),
            forwarded=c["forwarded"],
            decided=c["decided"],
            decided_on_time=c["decided_on_time"],
            on_time_share=_share(c["decided_on_time"], c["decided_with_deadline"]),
            overdue_now=overdue,
            median_processing_days=percentile(days, 0.5),
            p90_processing_days=percentile(days, 0.9),
            decided_automatically=c["decided_automatically"],
            automated_share=_share(c["decided_automatically"], c["decided"]),
            contested=c["contested"],
            contested_share=_share(c["contested"], c["decided"]),
            reviewed=c["reviewed"],
            changed_on_review=c["changed_on_review"],
            changed_on_review_share=_share(c["changed_on_review"], c["reviewed"]),
            ratings=c["ratings"],
            average_rating=round(c["rating_sum"] / c["ratings"], 2) if c["ratings"] else None,
            small=c["decided"] < self.small_number,
        )


def _first_key(grouped: Mapping[tuple[str, ...], Any]) -> dict[str, Any]:
    return {key[0]: value for key, value in grouped.items()}


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The nearest-rank percentile of a histogram {value: count}: the smallest value with at least
    ``ceil(fraction × N)`` observations at or below it."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _shift(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:7])
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_start(month: str, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=tz).astimezone(dt.UTC)


def _months_between(first: str, last: str) -> int:
    return (int(last[:4]) * 12 + int(last[5:7])) - (int(first[:4]) * 12 + int(first[5:7])) + 1
