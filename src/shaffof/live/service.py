"""Live updates: the case-event handler that announces committed events, and the two SSE streams.

Case stream (``GET /api/v1/cases/{number}/events``): for whoever may read the case (the cases policy
decides: its applicant, the agency's staff, auditors). It starts with ``ready`` (the case's last event
number, as the event id); then one ``case-event`` per timeline entry, its id the event's ``seq``.
A client that reconnects with ``Last-Event-ID: N`` first receives every event after N, read from the
timeline — nothing is lost while it was away. Signals only wake a stream; what it sends is always read
through the cases service, so ordering, gaps and authorization follow the timeline, not the wire.

Queue stream (``GET /api/v1/officer/queue/events``): one ``queue-event`` per event in the officer's
agency (number, seq, kind, state). A queue is a snapshot, not a log: on every (re)connect and after
``resync`` the client reloads ``GET /api/v1/officer/queue``; ``ready`` says whether it resumed.

Both send a comment as heartbeat every ``heartbeat_seconds`` and end when the client goes away (the
subscription is closed in ``finally``, so a disconnected client leaves no queue or task behind).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from anyio import to_thread
from sqlalchemy.orm import Session

from shaffof.cases import policy
from shaffof.db.engine import Database
from shaffof.db.uow import UnitOfWork
from shaffof.errors import DomainError
from shaffof.identity.actor import Actor
from shaffof.live import sse
from shaffof.live.broadcast import InProcessBroadcast, PostgresBroadcast
from shaffof.live.hub import CaseSignal, LiveHub, Resync
from shaffof.live.interfaces import Broadcast

if TYPE_CHECKING:
    from shaffof.cases.models import Case, CaseEvent
    from shaffof.cases.schemas import EventPublic
    from shaffof.cases.service import Cases

_PENDING = "shaffof.live.pending_signals"
RECONNECT_MS = 3000
MAX_SIGNALS_PER_TRANSACTION = 1000

Disconnected = Callable[[], Awaitable[bool]]


class LiveUpdates:
    """The live domain service (built once by the composition root)."""

    def __init__(self, db: Database, cases: Cases, *, heartbeat_seconds: float = 15.0) -> None:
        self.hub = LiveHub()
        self.broadcast: Broadcast = (
            PostgresBroadcast(db.engine, self.hub) if db.dialect == "postgresql" else InProcessBroadcast(self.hub)
        )
        self._cases = cases
        self.heartbeat_seconds = heartbeat_seconds

    # ------------------------------------------------------------------ announcing

    def on_case_event(self, session: Session, case: Case, event: CaseEvent) -> None:
        """Queue a signal for the event; the transaction's signals are sent together after it commits."""
        signal = CaseSignal(
            agency_id=case.agency_id,
            registration_number=case.registration_number,
            seq=event.seq,
            kind=str(getattr(event.kind, "value", event.kind)),
            state=str(getattr(event.state_after, "value", event.state_after)),
        )
        pending: list[CaseSignal] | None = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = []
            uow = UnitOfWork.of(session)
            uow.on_commit(partial(self._send, session))
            uow.on_rollback(partial(session.info.pop, _PENDING, None))
        if len(pending) <= MAX_SIGNALS_PER_TRANSACTION:  # beyond: one resync is sent instead (see _send)
            pending.append(signal)

    def _send(self, session: Session) -> None:
        signals: list[CaseSignal] = session.info.pop(_PENDING, [])
        if len(signals) > MAX_SIGNALS_PER_TRANSACTION:
            # A bulk change (a calendar change moving a million deadlines): one "re-read" to every stream
            # costs less than a million signals.
            self.broadcast.publish_resync()
        else:
            self.broadcast.publish(signals)

    def close(self) -> None:
        self.broadcast.close()

    # ------------------------------------------------------------------ streams

    def open_case_stream(self, actor: Actor, registration_number: str, last_event_id: str | None) -> CaseStream:
        """Authorize (the cases service raises CaseNotFound / CaseOfAnotherAgency) and prepare the stream."""
        self._cases.get(actor, registration_number)
        self.broadcast.ensure_listening()
        return CaseStream(
            self.hub,
            registration_number,
            partial(self._cases.timeline, actor, registration_number),
            last_seq=_seq(last_event_id),
            heartbeat_seconds=self.heartbeat_seconds,
        )

    def open_queue_stream(self, actor: Actor, last_event_id: str | None) -> QueueStream:
        agency_id = policy.ensure_staff(actor)
        self.broadcast.ensure_listening()
        return QueueStream(
            self.hub, agency_id, resumed=last_event_id is not None, heartbeat_seconds=self.heartbeat_seconds
        )


class CaseStream:
    def __init__(
        self,
        hub: LiveHub,
        registration_number: str,
        timeline: Callable[[], list[EventPublic]],
        *,
        last_seq: int | None,
        heartbeat_seconds: float,
    ) -> None:
        self._hub = hub
        self.registration_number = registration_number
        self._timeline = timeline  # read through the cases service: re-checks access on every read
        self._last_seq = last_seq
        self._heartbeat = heartbeat_seconds

    def _message(self, event: EventPublic) -> str:
        data = {"registration_number": self.registration_number, **event.model_dump(mode="json")}
        return sse.message(event="case-event", id=event.seq, data=data)

    async def messages(self, disconnected: Disconnected) -> AsyncIterator[str]:
        # Subscribe before reading: an event committed in between is then both read and signalled (and the
        # signal finds nothing new), never neither.
        with self._hub.subscribe(registration_number=self.registration_number) as subscription:
            yield sse.retry(RECONNECT_MS)
            try:
                timeline = await to_thread.run_sync(self._timeline)
                current = timeline[-1].seq if timeline else 0
                state = timeline[-1].state_after.value if timeline else None
                ready = {"registration_number": self.registration_number, "seq": current, "state": state}
                if self._last_seq is None:
                    last = current
                    yield sse.message(event="ready", id=current, data=ready | {"resumed_after": None})
                else:
                    last = self._last_seq
                    yield sse.message(event="ready", data=ready | {"resumed_after": last})
                    for event in timeline:
                        if event.seq > last:
                            yield self._message(event)
                            last = event.seq
                while True:
                    item = await subscription.get(self._heartbeat)
                    if item is None:
                        if await disconnected():
                            return
                        yield sse.comment("heartbeat")
                        continue
                    items = [item, *subscription.drain()]
                    if not any(isinstance(i, Resync) or i.seq > last for i in items):
                        continue  # already sent (read together with an earlier signal)
                    for event in await to_thread.run_sync(self._timeline):
                        if event.seq > last:
                            yield self._message(event)
                            last = event.seq
            except DomainError as error:  # e.g. access withdrawn while streaming
                yield sse.message(event="error", data={"title": error.title, "detail": error.detail})


class QueueStream:
    def __init__(self, hub: LiveHub, agency_id: int, *, resumed: bool, heartbeat_seconds: float) -> None:
        self._hub = hub
        self.agency_id = agency_id
        self.resumed = resumed
        self._heartbeat = heartbeat_seconds

    async def messages(self, disconnected: Disconnected) -> AsyncIterator[str]:
        with self._hub.subscribe(agency_id=self.agency_id) as subscription:
            yield sse.retry(RECONNECT_MS)
            yield sse.message(event="ready", id="queue", data={"resumed": self.resumed})
            while True:
                item = await subscription.get(self._heartbeat)
                if item is None:
                    if await disconnected():
                        return
                    yield sse.comment("heartbeat")
                elif isinstance(item, Resync):
                    yield sse.message(event="resync", data={})
                else:
                    yield sse.message(
                        event="queue-event",
                        id=f"{item.registration_number}:{item.seq}",
                        data={
                            "registration_number": item.registration_number,
                            "seq": item.seq,
                            "kind": item.kind,
                            "state": item.state,
                        },
                    )


def _seq(last_event_id: str | None) -> int | None:
    if last_event_id is None:
        return None
    try:
        return max(0, int(last_event_id.strip()))
    except ValueError:
        return 0  # an id this stream did not issue: resend the whole timeline rather than guess
