"""Keeping the monthly rollups up to date, inside the transaction of the case change they count.

Subscribed with ``Cases.add_event_handler`` (platform.py), so a case event and its effect on the figures
commit together or not at all — the dashboard never counts an event that was rolled back, and never
misses one that committed (docs/decisions/0009-statistics-rollups-in-the-case-transaction.md says why
this beats a worker pass). ``rebuild`` replays every stored event through the same rules, for a database
that had cases before the rollups existed.

What each event adds (the data dictionary, reports/dictionary.py, states the same for users):

- ``submitted``: one case received by the body, counted by channel (a forwarded or review case is
  received by its new body too, with the channel of the original);
- ``forwarded``: one case sent on to the competent body (ZRU-445, forwarding);
- ``decided``: one decision, on time when made by the answer deadline then in force, automated when no
  person made it; its processing time in calendar days (receipt to decision, local dates); when the case
  reviews a contested decision, one review of that decision's body and service, and one change when the
  complaint was upheld (approved or partially approved);
- ``contested``: one decision contested (ZRU-445 Art. 22);
- a rating (cases/ratings.py): one rating and its score.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shaffof.cases.models import Case, CaseEvent, CaseRelation, EventKind, Outcome
from shaffof.cases.ratings import CaseRating
from shaffof.catalog.models import Agency
from shaffof.db.engine import Database
from shaffof.reports.models import COUNTERS, StatsAgencyProcessingDays, StatsMonthly, StatsProcessingDays

# A processing time past a year is counted as 366 days: percentiles stay exact below that.
MAX_PROCESSING_DAYS = 366
UPHELD = frozenset({Outcome.approved.value, Outcome.partially_approved.value})
REVIEWED = UPHELD | {Outcome.rejected.value}

CellKey = tuple[int, int, str]  # agency_id, service_id, month


@dataclass
class Tally:
    """Counter increments gathered before they are written (one event, or a whole replay)."""

    counters: dict[CellKey, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    days: dict[tuple[int, int, str, int], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, key: CellKey, **increments: int) -> None:
        cell = self.counters[key]
        for name, value in increments.items():
            cell[name] += value

    def add_days(self, key: CellKey, days: int) -> None:
        self.days[(*key, min(max(days, 0), MAX_PROCESSING_DAYS))] += 1

    def __bool__(self) -> bool:
        return bool(self.counters) or bool(self.days)


class Rollups:
    """The statistics' write side: turns case events and ratings into counter increments."""

    def __init__(self, *, timezone: str) -> None:
        self._tz = ZoneInfo(timezone)

    def month(self, instant: dt.datetime) -> str:
        return instant.astimezone(self._tz).strftime("%Y-%m")

    def _local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self._tz).date()

    # ------------------------------------------------------------------ subscribers

    def on_case_event(self, session: Session, case: Case, event: CaseEvent) -> None:
        """A case-event handler (Cases.add_event_handler): runs inside the case's transaction."""
        tally = Tally()
        self.count_event(session, case, event, tally)
        if tally:
            self.write(session, tally)

    def on_rating(self, session: Session, case: Case, score: int, at: dt.datetime) -> None:
        """Called by the ratings operation inside its transaction."""
        tally = Tally()
        tally.add((case.agency_id, case.service_id, self.month(at)), ratings=1, rating_sum=score)
        self.write(session, tally)

    # ------------------------------------------------------------------ rules

    def count_event(self, session: Session, case: Case, event: CaseEvent, tally: Tally) -> None:
        key = (case.agency_id, case.service_id, self.month(event.at))
        if event.kind is EventKind.submitted:
            tally.add(key, received=1, **{f"received_{case.channel.value}": 1})
        elif event.kind is EventKind.forwarded:
            tally.add(key, forwarded=1)
        elif event.kind is EventKind.contested:
            tally.add(key, contested=1)
        elif event.kind is EventKind.decided:
            self._count_decision(session, case, event, key, tally)

    def _count_decision(self, session: Session, case: Case, event: CaseEvent, key: CellKey, tally: Tally) -> None:
        increments = {"decided": 1}
        if case.due_at is not None:
            increments["decided_with_deadline"] = 1
            increments["decided_on_time"] = int(event.at <= case.due_at)
        # An automated decision has no person behind it (the rules engine decides as the system) or says so.
        if event.actor_account_id is None or event.data.get("automated") is True:
            increments["decided_automatically"] = 1
        tally.add(key, **increments)
        tally.add_days(key, (self._local_date(event.at) - self._local_date(case.received_at)).days)
        outcome = str(event.data.get("outcome", ""))
        if case.relation is CaseRelation.review_of and case.parent_case_id is not None and outcome in REVIEWED:
            parent = session.get(Case, (case.parent_agency_id, case.parent_case_id))
            if parent is not None:
                parent_key = (parent.agency_id, parent.service_id, key[2])
                tally.add(parent_key, reviewed=1, changed_on_review=int(outcome in UPHELD))

    # ------------------------------------------------------------------ writing

    def write(self, session: Session, tally: Tally) -> None:
        """Add the tally to the stored counters (insert-or-add, one statement per cell).

        The statements are built once per dialect and set of counters and reused with new values: building an
        upsert of fifteen counters and its cache key took a tenth of a submission's CPU (docs/performance.md).
        """
        dialect = session.get_bind().dialect.name
        regions = _regions(session, {agency for agency, _, _ in tally.counters})
        for (agency_id, service_id, month), increments in sorted(tally.counters.items()):
            values = {name: int(increments.get(name, 0)) for name in COUNTERS}
            added = tuple(name for name in COUNTERS if values[name])
            session.execute(
                _monthly_upsert(dialect, added),
                {
                    "agency_id": agency_id,
                    "service_id": service_id,
                    "month": month,
                    "region": regions.get(agency_id, ""),
                    **values,
                },
            )
        by_agency: dict[tuple[int, str, int], int] = defaultdict(int)
        for (agency_id, service_id, month, days), decisions in sorted(tally.days.items()):
            by_agency[(agency_id, month, days)] += decisions
            session.execute(
                _days_upsert(dialect),
                {
                    "agency_id": agency_id,
                    "service_id": service_id,
                    "month": month,
                    "days": days,
                    "decisions": decisions,
                },
            )
        for (agency_id, month, days), decisions in sorted(by_agency.items()):
            session.execute(
                _agency_days_upsert(dialect),
                {"agency_id": agency_id, "month": month, "days": days, "decisions": decisions},
            )

    # ------------------------------------------------------------------ rebuilding

    def rebuild(self, db: Database, *, batch_size: int = 5000) -> int:
        """Recount every stored event and rating into fresh rollups (one transaction); events counted."""
        tally = Tally()
        counted = 0
        with db.uow() as uow:
            session = uow.session
            session.execute(sa.delete(StatsProcessingDays))
            session.execute(sa.delete(StatsAgencyProcessingDays))
            session.execute(sa.delete(StatsMonthly))
            statement = (
                sa.select(CaseEvent, Case)
                .join(Case, sa.and_(Case.agency_id == CaseEvent.agency_id, Case.id == CaseEvent.case_id))
                .where(CaseEvent.kind.in_(_COUNTED_KINDS))
                .order_by(CaseEvent.at, CaseEvent.agency_id, CaseEvent.case_id, CaseEvent.seq)
                .execution_options(yield_per=batch_size)
            )
            for event, case in session.execute(statement):
                self.count_event(session, case, event, tally)
                counted += 1
            ratings = session.execute(
                sa.select(CaseRating.score, CaseRating.rated_at, Case).join(
                    Case, sa.and_(Case.agency_id == CaseRating.agency_id, Case.id == CaseRating.case_id)
                )
            )
            for score, rated_at, case in ratings:
                tally.add((case.agency_id, case.service_id, self.month(rated_at)), ratings=1, rating_sum=score)
            self.write(session, tally)
            uow.commit()
        return counted


_COUNTED_KINDS = (EventKind.submitted, EventKind.forwarded, EventKind.contested, EventKind.decided)


def _insert(dialect: str, model: type[Any]) -> Any:
    """The dialect's INSERT, which has ON CONFLICT, on the table (Core: no ORM bulk-insert bookkeeping)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


@functools.cache
def _monthly_upsert(dialect: str, added: tuple[str, ...]) -> sa.Executable:
    """Insert a month's cell or add the counters named in ``added`` to it; values bound at execution."""
    columns = ("agency_id", "service_id", "month", "region", *COUNTERS)
    statement = _insert(dialect, StatsMonthly).values({name: sa.bindparam(name) for name in columns})
    keys = ["month", "agency_id", "service_id"]
    if not added:
        nothing: sa.Executable = statement.on_conflict_do_nothing(index_elements=keys)
        return nothing
    excluded = statement.excluded
    upsert: sa.Executable = statement.on_conflict_do_update(
        index_elements=keys, set_={name: statement.table.c[name] + excluded[name] for name in added}
    )
    return upsert


@functools.cache
def _days_upsert(dialect: str) -> sa.Executable:
    columns = ("agency_id", "service_id", "month", "days", "decisions")
    statement = _insert(dialect, StatsProcessingDays).values({n: sa.bindparam(n) for n in columns})
    upsert: sa.Executable = statement.on_conflict_do_update(
        index_elements=["service_id", "month", "agency_id", "days"],
        set_={"decisions": statement.table.c.decisions + statement.excluded.decisions},
    )
    return upsert


@functools.cache
def _agency_days_upsert(dialect: str) -> sa.Executable:
    columns = ("agency_id", "month", "days", "decisions")
    statement = _insert(dialect, StatsAgencyProcessingDays).values({n: sa.bindparam(n) for n in columns})
    upsert: sa.Executable = statement.on_conflict_do_update(
        index_elements=["month", "agency_id", "days"],
        set_={"decisions": statement.table.c.decisions + statement.excluded.decisions},
    )
    return upsert


def _regions(session: Session, agency_ids: Iterable[int]) -> Mapping[int, str]:
    # A submission's transaction has its agency loaded already: read the region from the session's identity map
    # rather than with one more SELECT per case event (bench/load.py profile, docs/performance.md).
    regions: dict[int, str] = {}
    missing = []
    for agency_id in sorted(set(agency_ids)):
        agency = session.identity_map.get(session.identity_key(Agency, agency_id))
        if isinstance(agency, Agency):
            regions[agency_id] = agency.region or ""
        else:
            missing.append(agency_id)
    if missing:
        rows = session.execute(sa.select(Agency.id, Agency.region).where(Agency.id.in_(missing))).all()
        regions.update({agency_id: region or "" for agency_id, region in rows})
    return regions
