"""The due dates a case carries (``case_deadlines``), and what moves them.

Each row keeps the inputs of its computation (policy, clock start, extensions, clock stops) and the
result; the arithmetic and the explanation come from :mod:`shaffof.deadlines`. Moves:

- an extension of the answer deadline — for study (ZRU-445 Art. 28(2): the period grows to at most one
  month from receipt, justification required) or exceptional (Art. 28(3): by the head of the body, at
  most one more month, the applicant is told);
- a clock stop while information is awaited from the applicant, and its restart (policies with
  ``clock_stops``): the deadline moves by the stopped time, counted as the policy counts;
- a calendar change (an administrator's override): every open case whose count passes the changed date
  is recomputed in one set-based pass (``recompute_for_calendar_change``).

``cases.due_at`` mirrors the answer deadline (the queue index orders by it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Session

from shaffof.cases.lifecycle import OPEN_STATES
from shaffof.cases.models import Case, CaseDeadline, CaseEvent, EventKind
from shaffof.cases.schemas import Deadline, DeadlineStepPublic
from shaffof.catalog.models import Service, ServiceKind
from shaffof.db.base import UTCDateTime
from shaffof.deadlines.calendar import LegalCalendar
from shaffof.deadlines.counting import Adjustment, AdjustmentKind, Computation
from shaffof.deadlines.errors import ExtensionNotAllowed, ExtensionRefused
from shaffof.deadlines.explain import LANGUAGES, explain, format_date
from shaffof.deadlines.policies import (
    EXCEPTIONAL_EXTENSION_CITATION,
    POLICIES,
    STUDY_EXTENSION_CITATION,
    DeadlineKind,
    DeadlinePolicy,
    add_months,
    deadline_kinds,
)
from shaffof.deadlines.service import Deadlines
from shaffof.deadlines.sla import SlaPolicy, SlaState
from shaffof.errors import FieldError
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role

APPEAL_KINDS = frozenset({ServiceKind.ariza, ServiceKind.taklif, ServiceKind.shikoyat})
EXTENSION_KINDS = {"study": AdjustmentKind.study_extension, "exceptional": AdjustmentKind.exceptional_extension}
MIN_JUSTIFICATION = 10
BATCH = 2_000
# What the case-event subscribers read of a case (registration number for leaves and signals, the
# applicant for notices, the state and answer deadline for their texts).
SUBSCRIBER_COLUMNS = (
    Case.agency_id,
    Case.id,
    Case.registration_number,
    Case.applicant_account_id,
    Case.state,
    Case.due_at,
    Case.event_count,
)
WORK_MEM = "256MB"


@dataclass(frozen=True)
class Moved:
    """A deadline that moved, for the case event that records it."""

    kind: DeadlineKind
    old_due_at: dt.datetime
    new_due_at: dt.datetime
    new_due_on: dt.date

    def event_data(self) -> dict[str, Any]:
        return {
            "deadline": self.kind.value,
            "from": self.old_due_at.isoformat(),
            "due_at": self.new_due_at.isoformat(),
            "due_on": self.new_due_on.isoformat(),
        }


_OPENED = "shaffof.deadlines_opened"  # session.info: {(agency_id, case_id): rows} of cases opened in it


class DueDates:
    """Used by :class:`shaffof.cases.service.Cases` inside its units of work."""

    def __init__(self, deadlines: Deadlines) -> None:
        self.deadlines = deadlines

    # ------------------------------------------------------------------ reading

    def _rows(self, session: Session, case: Case) -> list[CaseDeadline]:
        opened: list[CaseDeadline] | None = session.info.get(_OPENED, {}).get((case.agency_id, case.id))
        if opened is not None:  # opened in this unit of work: the session holds every row (``open``)
            return opened
        return list(
            session.scalars(
                sa.select(CaseDeadline)
                .where(CaseDeadline.agency_id == case.agency_id, CaseDeadline.case_id == case.id)
                .order_by(CaseDeadline.kind)
            )
        )

    def _answer(self, session: Session, case: Case) -> CaseDeadline | None:
        opened: list[CaseDeadline] | None = session.info.get(_OPENED, {}).get((case.agency_id, case.id))
        if opened is not None:
            return next((row for row in opened if row.kind is DeadlineKind.answer), None)
        return session.get(CaseDeadline, (case.agency_id, case.id, DeadlineKind.answer))

    def clock_stopped(self, session: Session, case: Case) -> bool:
        """Whether the answer period is suspended (information requested from the applicant)."""
        answer = self._answer(session, case)
        return answer is not None and answer.clock_stopped_at is not None

    def answer_policy(self, session: Session, case: Case) -> DeadlinePolicy:
        service = session.get(Service, case.service_id)
        return self.deadlines.resolve(case.deadline_policy, service.deadline if service else None)

    def _policy(self, session: Session, case: Case, row: CaseDeadline) -> DeadlinePolicy:
        if row.kind is DeadlineKind.answer:
            return self.answer_policy(session, case)
        return POLICIES[row.policy]

    def _compute(
        self, policy: DeadlinePolicy, row: CaseDeadline, calendar: LegalCalendar, extra: Sequence[Adjustment] = ()
    ) -> Computation:
        adjustments = [Adjustment.from_json(a) for a in row.adjustments or []]
        if row.clock_stopped_at is not None:
            adjustments.append(Adjustment(AdjustmentKind.clock_stop, stopped_at=row.clock_stopped_at))
        return self.deadlines.compute(policy, row.started_at, calendar, [*adjustments, *extra])

    def views(self, session: Session, case: Case) -> list[Deadline]:
        """Every deadline of the case with its explanation (uz, ru, en) and citation."""
        calendar = self.deadlines.calendar(session)
        views = []
        for row in self._rows(session, case):
            policy = self._policy(session, case, row)
            computation = self._compute(policy, row, calendar)
            explained = {lang: explain(computation, lang) for lang in LANGUAGES}
            views.append(
                Deadline(
                    kind=row.kind,
                    policy=policy.name,
                    description=policy.description,
                    citation=policy.citation,
                    due_at=row.due_at,
                    due_on=row.due_on,
                    started_at=row.started_at,
                    clock_stopped_at=row.clock_stopped_at,
                    ended_at=row.ended_at,
                    adjustments=list(row.adjustments or []),
                    explanation={lang: e.text for lang, e in explained.items()},
                    steps=[DeadlineStepPublic(kind=s.kind, on=s.on, text=s.text) for s in explained["en"].steps],
                )
            )
        return views

    # ------------------------------------------------------------------ opening

    def open(self, session: Session, case: Case, service: Service, at: dt.datetime) -> None:
        """Compute and store the case's deadlines from its receipt by this body (``at``)."""
        answer = self.deadlines.resolve(case.deadline_policy, service.deadline)
        calendar = self.deadlines.calendar(session)
        rows = []
        for kind, policy in deadline_kinds(answer, case.kind in APPEAL_KINDS).items():
            computation = self.deadlines.compute(policy, at, calendar)
            rows.append(
                CaseDeadline(
                    agency_id=case.agency_id,
                    case_id=case.id,
                    kind=kind,
                    policy=policy.name,
                    started_at=at,
                    starts_on=computation.received_on,
                    adjustments=[],
                    adjustment_count=0,
                    clock_stopped_at=None,
                    due_at=computation.due_at,
                    due_on=computation.due_on,
                    ended_at=None,
                    updated_at=at,
                )
            )
            if kind is DeadlineKind.answer:
                case.due_at = computation.due_at
        session.add_all(rows)
        # The rest of the submission (registration ends one deadline, the response shows them all) reads these
        # rows from here rather than querying for what it has just written; only ``open`` creates them.
        rows.sort(key=lambda row: row.kind.value)  # the order of the query in ``_rows``
        session.info.setdefault(_OPENED, {})[(case.agency_id, case.id)] = rows

    def end(self, session: Session, case: Case, at: dt.datetime, kinds: Iterable[DeadlineKind] | None = None) -> None:
        """The awaited act happened (registration, decision, forwarding) or the case left this body."""
        wanted = set(kinds) if kinds is not None else None
        for row in self._rows(session, case):
            if row.ended_at is None and (wanted is None or row.kind in wanted):
                row.ended_at, row.updated_at = at, at

    # ------------------------------------------------------------------ moving

    def _apply(
        self,
        session: Session,
        case: Case,
        row: CaseDeadline,
        adjustments: list[dict[str, Any]],
        stopped_at: dt.datetime | None,
        at: dt.datetime,
    ) -> Moved:
        old = row.due_at
        row.adjustments = adjustments
        row.adjustment_count = len(adjustments)
        row.clock_stopped_at = stopped_at
        computation = self._compute(self._policy(session, case, row), row, self.deadlines.calendar(session))
        row.due_at, row.due_on, row.updated_at = computation.due_at, computation.due_on, at
        if row.kind is DeadlineKind.answer:
            case.due_at = computation.due_at
        return Moved(row.kind, old, computation.due_at, computation.due_on)

    def stop_clock(self, session: Session, case: Case, at: dt.datetime) -> bool:
        """Stop the answer clock while the applicant is asked for information (if the policy says so)."""
        row = self._answer(session, case)
        if row is None or row.ended_at is not None or row.clock_stopped_at is not None:
            return False
        if not self.answer_policy(session, case).clock_stops:
            return False
        row.clock_stopped_at, row.updated_at = at, at
        return True

    def restart_clock(self, session: Session, case: Case, at: dt.datetime) -> tuple[Moved, dt.datetime] | None:
        """Restart the stopped clock on the applicant's answer; the deadline moves by the stopped time."""
        row = self._answer(session, case)
        if row is None or row.clock_stopped_at is None:
            return None
        stopped_at = row.clock_stopped_at
        stop = Adjustment(AdjustmentKind.clock_stop, stopped_at=stopped_at, restarted_at=at)
        return self._apply(session, case, row, [*(row.adjustments or []), stop.as_json()], None, at), stopped_at

    def extend(
        self,
        session: Session,
        case: Case,
        actor: Actor,
        kind: str,
        justification: str,
        days: int | None,
        at: dt.datetime,
    ) -> tuple[Moved, dict[str, Any]]:
        """Extend the answer deadline (ZRU-445 Art. 28(2) study, 28(3) exceptional); refuse anything the law
        does not allow, saying what would be allowed."""
        adjustment_kind = EXTENSION_KINDS.get(kind)
        if adjustment_kind is None:
            raise ExtensionRefused(
                "An extension is 'study' (Art. 28(2)) or 'exceptional' (Art. 28(3)).",
                errors=[FieldError("kind", "study or exceptional")],
            )
        if adjustment_kind is AdjustmentKind.exceptional_extension and (
            actor.role is not Role.head or actor.agency_id != case.agency_id
        ):
            raise ExtensionNotAllowed(
                "Only the head of the body handling the case may extend its deadline in an exceptional case "
                f"({EXCEPTIONAL_EXTENSION_CITATION}); ask the head to approve it."
            )
        reason = (justification or "").strip()
        if len(reason) < MIN_JUSTIFICATION:
            raise ExtensionRefused(
                "An extension needs a justification the applicant can read: say what must be studied or checked.",
                errors=[FieldError("justification", f"required: at least {MIN_JUSTIFICATION} characters")],
            )
        if days is not None and days < 1:
            raise ExtensionRefused(
                "An extension adds at least one day.", errors=[FieldError("days", "must be at least 1")]
            )
        row = self._answer(session, case)
        if row is None or row.ended_at is not None:
            raise ExtensionRefused(f"Case {case.registration_number} has no running answer deadline to extend.")
        policy = self.answer_policy(session, case)
        if not policy.extendable:
            raise ExtensionRefused(
                f"The deadline policy {policy.name!r} ({policy.citation}) provides no extension.",
                errors=[FieldError("kind", "this deadline cannot be extended")],
            )
        calendar = self.deadlines.calendar(session)
        current = self._compute(policy, row, calendar)
        if adjustment_kind is AdjustmentKind.study_extension:
            # ZRU-445 Art. 28(2): up to one month from receipt in all.
            limit, citation, label = add_months(current.start_on, 1), STUDY_EXTENSION_CITATION, "study"
            reached = current.after_study
        else:
            # ZRU-445 Art. 28(3): at most one more month beyond the (study-extended) period.
            limit, citation, label = add_months(current.after_study, 1), EXCEPTIONAL_EXTENSION_CITATION, "exceptional"
            reached = current.after_exceptional
        room = (limit - reached).days
        if room <= 0:
            raise ExtensionRefused(
                f"The {label} extension already reaches its legal maximum ({format_date(limit, 'en')}; {citation}).",
                errors=[FieldError("kind", "the legal maximum is reached")],
            )
        wanted = room if days is None else days
        if wanted > room:
            raise ExtensionRefused(
                f"A {label} extension may add at most {room} more day(s), up to {format_date(limit, 'en')} "
                f"({citation}); {wanted} asked.",
                errors=[FieldError("days", f"at most {room}")],
            )
        added = Adjustment(adjustment_kind, days=wanted, justification=reason)
        moved = self._apply(session, case, row, [*(row.adjustments or []), added.as_json()], row.clock_stopped_at, at)
        data = moved.event_data() | {
            "extension": label,
            "days": wanted,
            "citation": citation.model_dump(mode="json", exclude_none=True),
            "limit_on": limit.isoformat(),
        }
        if adjustment_kind is AdjustmentKind.exceptional_extension:
            data |= {"approved_by_head": actor.display_name, "applicant_notified": True}
        return moved, data

    # ------------------------------------------------------------------ calendar changes

    def recompute_for_calendar_change(
        self,
        session: Session,
        changed_on: dt.date,
        calendar: LegalCalendar,
        at: dt.datetime,
        reason: str,
        sla: SlaPolicy,
        notify: Callable[[Session, Sequence[tuple[Case, CaseEvent]]], None] | None = None,
    ) -> int:
        """Move the due dates of open cases whose count passes ``changed_on``; one
        ``deadline_recomputed`` event per moved deadline. Returns the number of moved deadlines.
        A case whose answer deadline moved gets its next SLA check anew (``sla``): an on-track case at its
        new at-risk instant, any other at once (it may go back, or on).

        Set-based: deadlines without adjustments are grouped by (policy, service, start day, due day) — one
        computation per group, joined back through a temporary table, the rows moved by one UPDATE (on
        PostgreSQL an UPDATE … RETURNING inside the INSERT that records the moves); the few with
        extensions or clock stops are computed row by row. Then one INSERT … SELECT appends the events and
        one UPDATE sets the cases' due_at and event counts.
        """
        window = sa.and_(
            CaseDeadline.ended_at.is_(None),
            CaseDeadline.starts_on <= changed_on,
            CaseDeadline.due_on >= changed_on,
            Case.state.in_(list(OPEN_STATES)),
        )
        same_case = sa.and_(Case.agency_id == CaseDeadline.agency_id, Case.id == CaseDeadline.case_id)
        services = {s.id: s for s in session.scalars(sa.select(Service))}
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            # Large hash joins and sorts stay in memory, for this transaction only.
            session.execute(sa.text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        targets = _temporary_table(session, "tmp_deadline_moves", _move_columns)

        # 1. Deadlines without adjustments: one computation per group.
        hour_sensitive = [p.name for p in POLICIES.values() if p.starts_next_working_day_outside_hours]
        plain = sa.and_(
            window,
            CaseDeadline.adjustment_count == 0,
            CaseDeadline.clock_stopped_at.is_(None),
            CaseDeadline.policy.not_in(hour_sensitive),
        )
        keys = (CaseDeadline.policy, Case.service_id, CaseDeadline.starts_on, CaseDeadline.due_on)
        group_rows = []
        for policy_name, service_id, starts_on, due_on in session.execute(
            sa.select(*keys).select_from(CaseDeadline).join(Case, same_case).where(plain).group_by(*keys)
        ):
            policy = self.deadlines.resolve(policy_name, services[service_id].deadline)
            zone = ZoneInfo(self.deadlines.timezone)
            noon = dt.datetime.combine(starts_on, dt.time(12), tzinfo=zone)
            computation = self.deadlines.compute(policy, noon, calendar)
            if computation.due_on != due_on:
                # The group's earliest at-risk instant (received at the start of its day): checked early, a
                # case is rescheduled exactly by the monitor; never late.
                midnight = dt.datetime.combine(starts_on, dt.time(), tzinfo=zone)
                group_rows.append(
                    {
                        "policy": policy_name,
                        "service_id": service_id,
                        "starts_on": starts_on,
                        "old_due_on": due_on,
                        "new_due_at": computation.due_at,
                        "new_due_on": computation.due_on,
                        "new_due_at_text": computation.due_at.isoformat(),
                        "new_check_at": sla.at_risk_from(midnight, computation.due_at),
                    }
                )
        if group_rows:
            groups = _temporary_table(session, "tmp_deadline_groups", _group_columns)
            session.execute(groups.insert(), group_rows)
            g = groups.c
            in_group = sa.and_(
                same_case,
                plain,
                g.policy == CaseDeadline.policy,
                g.service_id == Case.service_id,
                g.starts_on == CaseDeadline.starts_on,
                g.old_due_on == CaseDeadline.due_on,
            )
            columns = [
                "agency_id",
                "case_id",
                "kind",
                "new_due_at",
                "new_due_on",
                "new_due_at_text",
                "old_due_on",
                "new_check_at",
            ]
            if postgres:
                moved_rows = (
                    sa.update(CaseDeadline)
                    .where(in_group)
                    .values(due_at=g.new_due_at, due_on=g.new_due_on, updated_at=at)
                    .returning(
                        CaseDeadline.agency_id,
                        CaseDeadline.case_id,
                        CaseDeadline.kind,
                        g.new_due_at,
                        g.new_due_on,
                        g.new_due_at_text,
                        g.old_due_on,
                        g.new_check_at,
                    )
                    .cte("moved")
                )
                session.execute(targets.insert().from_select(columns, sa.select(moved_rows)))
            else:
                selected = sa.select(
                    CaseDeadline.agency_id,
                    CaseDeadline.case_id,
                    CaseDeadline.kind,
                    g.new_due_at,
                    g.new_due_on,
                    g.new_due_at_text,
                    g.old_due_on,
                    g.new_check_at,
                ).where(in_group)
                session.execute(targets.insert().from_select(columns, selected))
                t = targets.c
                session.execute(
                    sa.update(CaseDeadline)
                    .where(
                        CaseDeadline.agency_id == t.agency_id,
                        CaseDeadline.case_id == t.case_id,
                        CaseDeadline.kind == t.kind,
                    )
                    .values(due_at=t.new_due_at, due_on=t.new_due_on, updated_at=at),
                    execution_options={"synchronize_session": False},
                )
            groups.drop(session.connection())

        # 2. Deadlines with extensions or clock stops, and hour-sensitive ones: one by one.
        special = session.execute(
            sa.select(CaseDeadline, Case.service_id, Case.deadline_policy)
            .join(Case, same_case)
            .where(
                window,
                sa.or_(
                    CaseDeadline.adjustment_count != 0,
                    CaseDeadline.clock_stopped_at.is_not(None),
                    CaseDeadline.policy.in_(hour_sensitive),
                ),
            )
        ).all()
        changed = []
        for row, service_id, case_policy in special:
            if row.kind is DeadlineKind.answer:
                policy = self.deadlines.resolve(case_policy, services[service_id].deadline)
            else:
                policy = POLICIES[row.policy]
            computation = self._compute(policy, row, calendar)
            if computation.due_at != row.due_at:
                changed.append(
                    {
                        "agency_id": row.agency_id,
                        "case_id": row.case_id,
                        "kind": row.kind,
                        "new_due_at": computation.due_at,
                        "new_due_on": computation.due_on,
                        "new_due_at_text": computation.due_at.isoformat(),
                        "old_due_on": row.due_on,
                        "new_check_at": (
                            None
                            if row.clock_stopped_at is not None
                            else sla.at_risk_from(row.started_at, computation.due_at)
                        ),
                    }
                )
                row.due_at, row.due_on, row.updated_at = computation.due_at, computation.due_on, at
        if changed:
            session.flush()
            session.execute(targets.insert(), changed)

        if postgres:
            session.execute(sa.text(f"ANALYZE {targets.name}"))  # temporary tables are never auto-analysed
        moved = session.scalar(sa.select(sa.func.count()).select_from(targets)) or 0
        if moved:
            self._write_moves(session, targets, changed_on, at, reason, notify)
        # On an error the rollback removes the temporary tables with everything else (DDL is transactional).
        targets.drop(session.connection())
        return int(moved)

    def _write_moves(
        self,
        session: Session,
        targets: sa.Table,
        changed_on: dt.date,
        at: dt.datetime,
        reason: str,
        notify: Callable[[Session, Sequence[tuple[Case, CaseEvent]]], None] | None,
    ) -> None:
        """Append one event per moved deadline and update the cases (due_at, event_count)."""
        t = targets.c
        dialect = session.get_bind().dialect.name
        build = sa.func.jsonb_build_object if dialect == "postgresql" else sa.func.json_object
        data = build(
            *_text("deadline"),
            t.kind,
            *_text("from_on"),
            t.old_due_on,
            *_text("due_on"),
            t.new_due_on,
            *_text("due_at"),
            t.new_due_at_text,
            *_text("calendar_date", changed_on.isoformat()),
        )
        seq = Case.event_count + sa.func.row_number().over(partition_by=(t.agency_id, t.case_id), order_by=t.kind)
        event_reason = f"calendar changed on {changed_on.isoformat()}: {reason}"
        session.execute(
            sa.insert(CaseEvent).from_select(
                [
                    "agency_id",
                    "case_id",
                    "seq",
                    "kind",
                    "at",
                    "actor_account_id",
                    "state_before",
                    "state_after",
                    "reason",
                    "data",
                ],
                sa.select(
                    t.agency_id,
                    t.case_id,
                    seq,
                    sa.literal(EventKind.deadline_recomputed.value),
                    sa.literal(at, UTCDateTime()),
                    sa.null(),
                    Case.state,
                    Case.state,
                    sa.literal(event_reason),
                    data,
                ).select_from(targets.join(Case, sa.and_(Case.agency_id == t.agency_id, Case.id == t.case_id))),
            )
        )
        per_case = (
            sa.select(
                t.agency_id,
                t.case_id,
                sa.func.count().label("moved"),
                sa.func.max(sa.case((t.kind == DeadlineKind.answer.value, t.new_due_at))).label("answer_due_at"),
                sa.func.max(sa.case((t.kind == DeadlineKind.answer.value, t.new_check_at))).label("answer_check_at"),
            )
            .group_by(t.agency_id, t.case_id)
            .subquery()
        )
        session.execute(
            sa.update(Case)
            .where(Case.agency_id == per_case.c.agency_id, Case.id == per_case.c.case_id)
            .values(
                event_count=Case.event_count + per_case.c.moved,
                due_at=sa.func.coalesce(per_case.c.answer_due_at, Case.due_at),
                # deadlines.sla.SlaPolicy.next_check, set-based: unchanged if the answer did not move; an
                # on-track case at its new at-risk instant (none while its clock is stopped); others now.
                next_check_at=sa.case(
                    (per_case.c.answer_due_at.is_(None), Case.next_check_at),
                    (Case.sla_state == SlaState.on_track, per_case.c.answer_check_at),
                    else_=sa.literal(at, UTCDateTime()),
                ),
                updated_at=at,
            ),
            execution_options={"synchronize_session": False},
        )
        if notify is not None:
            self._notify(session, targets, at, notify)

    def _notify(
        self,
        session: Session,
        targets: sa.Table,
        at: dt.datetime,
        notify: Callable[[Session, Sequence[tuple[Case, CaseEvent]]], None],
    ) -> None:
        """Hand the new events to the subscribed domains (ledger, notifications, live updates), in batches.
        The cases are read with the columns subscribers use (not the form); any other is loaded on access."""
        t = targets.c
        keys = session.execute(sa.select(t.agency_id, t.case_id).distinct().order_by(t.agency_id, t.case_id)).all()
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            wanted = sa.tuple_(CaseEvent.agency_id, CaseEvent.case_id).in_([tuple(k) for k in batch])
            rows = session.execute(
                sa.select(Case, CaseEvent)
                .join(CaseEvent, sa.and_(CaseEvent.agency_id == Case.agency_id, CaseEvent.case_id == Case.id))
                .options(orm.load_only(*SUBSCRIBER_COLUMNS))
                .where(wanted, CaseEvent.kind == EventKind.deadline_recomputed, CaseEvent.at == at)
                .order_by(CaseEvent.agency_id, CaseEvent.case_id, CaseEvent.seq)
            ).all()
            notify(session, [(case, event) for case, event in rows])
            session.flush()
            session.expunge_all()


def _text(*values: str) -> list[sa.ColumnElement[str]]:
    # Typed literals: PostgreSQL cannot infer the type of a bare parameter inside jsonb_build_object.
    return [sa.cast(sa.literal(v), sa.String) for v in values]


def _move_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("agency_id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("new_due_at", UTCDateTime()),
        sa.Column("new_due_on", sa.Date),
        sa.Column("new_due_at_text", sa.String(40)),
        sa.Column("old_due_on", sa.Date),
        sa.Column("new_check_at", UTCDateTime()),
    ]


def _group_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("policy", sa.String(64), primary_key=True),
        sa.Column("service_id", sa.Integer, primary_key=True),
        sa.Column("starts_on", sa.Date, primary_key=True),
        sa.Column("old_due_on", sa.Date, primary_key=True),
        sa.Column("new_due_at", UTCDateTime()),
        sa.Column("new_due_on", sa.Date),
        sa.Column("new_due_at_text", sa.String(40)),
        sa.Column("new_check_at", UTCDateTime()),
    ]


def _temporary_table(session: Session, prefix: str, columns: Callable[[], list[sa.Column[Any]]]) -> sa.Table:
    """A temporary table private to this transaction's connection (unique name; dropped by the caller, or
    by the rollback)."""
    table = sa.Table(f"{prefix}_{uuid.uuid4().hex[:8]}", sa.MetaData(), *columns(), prefixes=["TEMPORARY"])
    table.create(session.connection())
    return table
