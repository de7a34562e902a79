"""Notify operations: write outbox rows (inside the caller's transaction), the inbox, preferences.

``enqueue`` is the function other domains call (the SLA monitor's escalations, …); the case-event handler
:meth:`Notifications.on_case_event` calls it for the events an applicant must hear about. Both run inside
the operation's transaction, so a notice exists exactly when the change it tells about was committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.catalog import service as catalog
from shaffof.catalog.errors import AgencyNotFound
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.db.uow import held_until_commit
from shaffof.identity.actor import Actor
from shaffof.identity.models import Account, Role
from shaffof.notify.errors import NotificationNotFound
from shaffof.notify.models import (
    Notification,
    NotificationChannel,
    NotificationPreference,
    NotificationStatus,
)
from shaffof.notify.schemas import InboxItem, NotificationPreferences
from shaffof.notify.templates import TEMPLATES, UnknownTemplate, choose_language, render

if TYPE_CHECKING:
    from shaffof.cases.models import Case, CaseEvent

ParamValue = str | int | Mapping[str, str] | None

# Event kinds of the deadlines work (an extension; a clock restart or calendar change): tell the new due date.
DEADLINE_KINDS = frozenset({"extended", "deadline_recomputed"})
# A calendar change (a decreed day off entered by an administrator) moves the deadlines of every open case
# whose count passes the date, usually by a day, in one transaction: the applicants see the new date with its
# explanation on the case page and live, but get no message each — a million e-mails about a one-day shift is
# noise, and writing them (measured: ~57 µs a notice on SQLite, ~110 µs on PostgreSQL) would hold that
# transaction for one to two minutes.
# Extensions and clock restarts concern one case and are always told.
NOTIFY_CALENDAR_CHANGES = False
NOTIFICATIONS = cast(sa.Table, Notification.__table__)  # for Core executemany
_PENDING = "shaffof.notify.pending_notices"
_CHUNK = 1000


@dataclass(frozen=True)
class Notice:
    """What to tell whom: the template, its values, the page it is about."""

    account_id: int
    template: str
    params: Mapping[str, ParamValue]
    link: str | None = None
    channels: frozenset[NotificationChannel] | None = None  # None: every channel the account can be reached on
    at: dt.datetime | None = None


def enqueue(
    session: Session,
    account_id: int,
    template: str,
    params: Mapping[str, ParamValue],
    *,
    link: str | None = None,
    channels: Iterable[NotificationChannel] | None = None,
    at: dt.datetime | None = None,
) -> list[Notification]:
    """Write the notice for ``account_id`` in the caller's transaction, one row per channel it can reach.

    In-app always (delivered by the commit); e-mail if the account has an address and did not turn e-mail
    off; SMS if it gave a number. ``channels`` narrows that choice. ``params`` are the template's values
    (JSON); a value may be a ``{"uz": …, "ru": …, "en": …}`` mapping, shown in the account's language.
    """
    notice = Notice(account_id, template, params, link, frozenset(channels) if channels is not None else None, at)
    rows = [Notification(**values) for values in _rows(session, [notice])]
    session.add_all(rows)
    return rows


def enqueue_batched(session: Session, notice: Notice) -> None:
    """Like :func:`enqueue`, in the same transaction, but written in bulk: a thousand notices at a time and
    the rest just before the transaction commits (a rolled-back transaction writes none). For handlers that
    may run for a million cases in one transaction (a calendar change moving every open deadline)."""
    if notice.template not in TEMPLATES:
        raise UnknownTemplate(f"no notification template {notice.template!r}")
    pending: list[Notice] = held_until_commit(session, _PENDING, list, _write_at_commit)
    pending.append(notice)
    if len(pending) >= _CHUNK:
        _write_pending(session)


def _write_at_commit(session: Session) -> None:
    _write_pending(session)
    session.info.pop(_PENDING, None)  # the next transaction of this session starts its own list


def _write_pending(session: Session) -> None:
    notices: list[Notice] | None = session.info.get(_PENDING)
    if not notices:
        return
    rows = _rows(session, notices)
    notices.clear()
    if rows:
        # Core executemany on the table: one statement for the batch (the ORM's bulk path inserts row by row
        # when it must fetch generated keys).
        session.execute(sa.insert(NOTIFICATIONS), rows)


def _rows(session: Session, notices: list[Notice]) -> list[dict[str, Any]]:
    """The outbox rows for a batch of notices (accounts and preferences read with one query each)."""
    ids = {notice.account_id for notice in notices}
    emails: dict[int, str | None] = {
        row.id: row.email for row in session.execute(sa.select(Account.id, Account.email).where(Account.id.in_(ids)))
    }
    preferences = {
        p.account_id: p
        for p in session.scalars(sa.select(NotificationPreference).where(NotificationPreference.account_id.in_(ids)))
    }
    rows: list[dict[str, Any]] = []
    for notice in notices:
        if notice.account_id not in emails:
            raise ValueError(f"no account {notice.account_id} to notify")
        email = emails[notice.account_id]
        preference = preferences.get(notice.account_id)
        language = choose_language(preference.language if preference else None)
        stored = {key: value for key, value in notice.params.items() if value is not None}
        rendered = render(notice.template, language, stored)
        now = notice.at or utcnow()
        wanted = notice.channels if notice.channels is not None else frozenset(NotificationChannel)
        addresses: dict[NotificationChannel, str | None] = {}
        if NotificationChannel.in_app in wanted:
            addresses[NotificationChannel.in_app] = None
        if NotificationChannel.email in wanted and email and (preference is None or preference.email_enabled):
            addresses[NotificationChannel.email] = email
        if NotificationChannel.sms in wanted and preference is not None and preference.sms_number:
            addresses[NotificationChannel.sms] = preference.sms_number
        for channel, address in addresses.items():
            in_app = channel is NotificationChannel.in_app
            rows.append(
                {
                    "account_id": notice.account_id,
                    "channel": channel,
                    "address": address,
                    "template": notice.template,
                    "language": language,
                    "params": stored,
                    "subject": rendered.subject,
                    "body": rendered.body,
                    "link": notice.link,
                    "status": NotificationStatus.delivered if in_app else NotificationStatus.queued,
                    "attempts": 0,
                    "next_attempt_at": None if in_app else now,
                    "created_at": now,
                    "delivered_at": now if in_app else None,
                }
            )
    return rows


Composed = tuple[str, dict[str, ParamValue], str]  # template, its values, the number of the case to link to
Composer = Callable[[Session, "Case", "CaseEvent"], Composed | None]


class Notifications:
    """The notify domain service (built once by the composition root)."""

    def __init__(self, db: Database, *, timezone: str) -> None:
        self._db = db
        self._tz = ZoneInfo(timezone)
        self._composers: dict[str, Composer] = {
            "registered": self._registered,
            "info_requested": self._with_reason("case.info_requested"),
            "forwarded": self._forwarded,
            "decided": self._decided,
            "contested": self._contested,
            **dict.fromkeys(DEADLINE_KINDS, self._deadline_changed),
            "sla_changed": self._overdue,
        }

    # ------------------------------------------------------------------ case events → outbox rows

    def on_case_event(self, session: Session, case: Case, event: CaseEvent) -> None:
        """Tell the applicant about the events that concern them; other (or unknown) kinds: no notice."""
        kind = getattr(event.kind, "value", event.kind)
        compose = self._composers.get(str(kind))
        if compose is None:
            return
        composed = compose(session, case, event)
        if composed is None:
            return
        template, params, number = composed
        enqueue_batched(
            session, Notice(case.applicant_account_id, template, params, link=f"/cases/{number}", at=event.at)
        )

    def _base(self, case: Case, event: CaseEvent) -> dict[str, ParamValue]:
        return {"number": case.registration_number, "state": str(getattr(event.state_after, "value", ""))}

    def _local_date(self, value: dt.datetime | str | None) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.astimezone(self._tz).date().isoformat()

    def _registered(self, session: Session, case: Case, event: CaseEvent) -> Composed:
        params = self._base(case, event) | {"due": self._local_date(case.due_at)}
        return "case.registered", params, case.registration_number

    def _with_reason(self, template: str) -> Composer:
        def compose(session: Session, case: Case, event: CaseEvent) -> Composed:
            return template, self._base(case, event) | {"reason": event.reason}, case.registration_number

        return compose

    def _forwarded(self, session: Session, case: Case, event: CaseEvent) -> Composed:
        params = self._base(case, event) | {
            "reason": event.reason,
            "agency": _agency_name(session, event.data.get("to_agency")),
            "new_number": event.data.get("new_case"),
        }
        return "case.forwarded", params, case.registration_number

    def _decided(self, session: Session, case: Case, event: CaseEvent) -> Composed:
        outcome = event.data.get("outcome") or getattr(case.outcome, "value", None)
        params = self._base(case, event) | {"outcome": outcome, "reason": event.reason}
        return "case.decided", params, case.registration_number

    def _contested(self, session: Session, case: Case, event: CaseEvent) -> Composed:
        review = str(event.data.get("review_case") or case.registration_number)
        params = self._base(case, event) | {
            "review_number": review,
            "agency": _agency_name(session, event.data.get("reviewing_agency")),
        }
        return "case.contested", params, review

    def _deadline_changed(self, session: Session, case: Case, event: CaseEvent) -> Composed | None:
        if "calendar_date" in event.data and not NOTIFY_CALENDAR_CHANGES:
            return None
        if event.data.get("deadline", "answer") != "answer":
            return None  # the body's internal deadlines (registration, forwarding) are not the applicant's answer
        # The event's own record of the new date wins: the case row may be updated after the event is appended.
        due = event.data.get("due_at") or case.due_at
        params = self._base(case, event) | {"due": self._local_date(due), "reason": event.reason}
        return "case.deadline_changed", params, case.registration_number

    def _overdue(self, session: Session, case: Case, event: CaseEvent) -> Composed | None:
        """The applicant learns when the answer is late (and that the body's head has been told)."""
        if event.data.get("to") != "overdue":
            return None
        params = self._base(case, event) | {"due": self._local_date(event.data.get("due_at") or case.due_at)}
        return "case.overdue", params, case.registration_number

    # ------------------------------------------------------------------ the inbox

    def inbox(self, actor: Actor, *, unread_only: bool = False, limit: int = 50, offset: int = 0) -> list[InboxItem]:
        """The account's in-app notices, newest first."""
        with self._db.reading() as session:
            statement = sa.select(Notification).where(
                Notification.account_id == actor.account_id, Notification.channel == NotificationChannel.in_app
            )
            if unread_only:
                statement = statement.where(Notification.read_at.is_(None))
            statement = statement.order_by(Notification.created_at.desc(), Notification.id.desc())
            rows = session.scalars(statement.limit(limit).offset(offset)).all()
            return [InboxItem.model_validate(row) for row in rows]

    def mark_read(self, actor: Actor, notification_id: int) -> InboxItem:
        """Mark one of the account's notices read (again: no change)."""
        with self._db.uow() as uow:
            row = uow.session.get(Notification, notification_id)
            if row is None or row.account_id != actor.account_id or row.channel is not NotificationChannel.in_app:
                # Someone else's notice is "not found", not "forbidden": its existence is not disclosed.
                raise NotificationNotFound(f"You have no notification {notification_id}.")
            if row.read_at is None:
                row.read_at = utcnow()
            item = InboxItem.model_validate(row)
            uow.commit()
        return item

    def preferences(self, actor: Actor) -> NotificationPreferences:
        with self._db.reading() as session:
            row = session.get(NotificationPreference, actor.account_id)
            if row is None:
                return NotificationPreferences()
            return NotificationPreferences.model_validate(
                {"language": row.language, "email_enabled": row.email_enabled, "sms_number": row.sms_number}
            )

    def set_preferences(self, actor: Actor, preferences: NotificationPreferences) -> NotificationPreferences:
        with self._db.uow() as uow:
            row = uow.session.get(NotificationPreference, actor.account_id)
            if row is None:
                row = NotificationPreference(account_id=actor.account_id)
                uow.session.add(row)
            row.language = preferences.language
            row.email_enabled = preferences.email_enabled
            row.sms_number = preferences.sms_number
            row.updated_at = utcnow()
            uow.commit()
        return preferences


def _agency_name(session: Session, code: Any) -> ParamValue:
    if not isinstance(code, str):
        return None
    try:
        name = catalog.get_agency_by_code(session, code).name
    except AgencyNotFound:
        return code
    return {language: str(text) for language, text in name.items()} if isinstance(name, dict) else code


SLA_STATE_NAMES: dict[str, dict[str, str]] = {
    "overdue": {"uz": "muddati o'tgan", "ru": "просрочено", "en": "overdue"},
    "long_overdue": {"uz": "muddati uzoq o'tgan", "ru": "длительно просрочено", "en": "long overdue"},
    "at_risk": {"uz": "muddati yaqinlashmoqda", "ru": "срок истекает", "en": "at risk"},
    "on_track": {"uz": "muddatida", "ru": "в срок", "en": "on track"},
}


def notify_heads(session: Session, case: Case, agency_id: int, state: str) -> int:
    """The SLA monitor's escalation: a notice to every head of ``agency_id`` (in-app, and e-mail where they
    have an address); returns how many heads were told."""
    heads = session.scalars(
        sa.select(Account.id).where(Account.agency_id == agency_id, Account.role == Role.head, Account.is_active)
    ).all()
    for head in heads:
        enqueue(
            session,
            head,
            "case.escalated",
            {
                "number": case.registration_number,
                "state": SLA_STATE_NAMES.get(state, {"uz": state, "ru": state, "en": state}),
                "due": case.due_at.isoformat() if case.due_at else "",
            },
            link=f"/cases/{case.registration_number}",
        )
    return len(heads)
