"""The fan-out of case signals to the live streams of this process.

A :class:`CaseSignal` says only *that* a case changed (agency, registration number, event number, kind,
state) — no personal data — so it may cross process boundaries (PostgreSQL NOTIFY). A stream that
receives one reads what it may show through the cases service.

``publish`` may be called from any thread (request threads after commit, the LISTEN thread); each
subscription lives on the event loop that created it and has a bounded queue. A stream that falls
behind is not allowed to grow memory: its queue is replaced by one :data:`RESYNC` marker and it re-reads.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Final, Self, TypeVar

K = TypeVar("K")


@dataclass(frozen=True)
class CaseSignal:
    agency_id: int
    registration_number: str
    seq: int
    kind: str
    state: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CaseSignal | None:
        """The signal in a NOTIFY payload, or None for anything malformed (never trusted blindly)."""
        try:
            data = json.loads(text)
            return cls(
                agency_id=int(data["agency_id"]),
                registration_number=str(data["registration_number"]),
                seq=int(data["seq"]),
                kind=str(data["kind"]),
                state=str(data["state"]),
            )
        except (ValueError, KeyError, TypeError):
            return None


class Resync:
    """Some signals may have been missed (queue overflow, listener reconnect): re-read the source."""

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = Resync()
Item = CaseSignal | Resync


class Subscription:
    """One stream's view of the hub: matching signals, in order, or RESYNC."""

    def __init__(
        self,
        hub: LiveHub,
        loop: asyncio.AbstractEventLoop,
        *,
        registration_number: str | None,
        agency_id: int | None,
        size: int,
    ) -> None:
        self._hub = hub
        self._loop = loop
        self.registration_number = registration_number
        self.agency_id = agency_id
        self._queue: asyncio.Queue[Item] = asyncio.Queue(size)
        self.closed = False

    def _offer(self, item: Item) -> None:
        """Runs on the subscription's loop."""
        if self.closed:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(RESYNC)

    def deliver(self, item: Item) -> None:
        """Thread-safe: hand an item to the subscription's loop."""
        try:
            self._loop.call_soon_threadsafe(self._offer, item)
        except RuntimeError:  # the loop is closed: the stream is gone
            self.close()

    async def get(self, timeout: float) -> Item | None:
        """The next item, or None when ``timeout`` seconds pass without one (time for a heartbeat)."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def drain(self) -> list[Item]:
        """Items already waiting (to coalesce a burst into one read)."""
        items = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._hub._remove(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class LiveHub:
    def __init__(self, *, queue_size: int = 256) -> None:
        self._lock = threading.Lock()
        self._by_case: defaultdict[str, set[Subscription]] = defaultdict(set)
        self._by_agency: defaultdict[int, set[Subscription]] = defaultdict(set)
        self._queue_size = queue_size

    def subscribe(self, *, registration_number: str | None = None, agency_id: int | None = None) -> Subscription:
        """Subscribe the running event loop to one case's or one agency's signals."""
        if (registration_number is None) == (agency_id is None):
            raise ValueError("subscribe to exactly one of a case or an agency")
        subscription = Subscription(
            self,
            asyncio.get_running_loop(),
            registration_number=registration_number,
            agency_id=agency_id,
            size=self._queue_size,
        )
        with self._lock:
            if registration_number is not None:
                self._by_case[registration_number].add(subscription)
            else:
                assert agency_id is not None
                self._by_agency[agency_id].add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription.registration_number is not None:
                _discard(self._by_case, subscription.registration_number, subscription)
            if subscription.agency_id is not None:
                _discard(self._by_agency, subscription.agency_id, subscription)

    def publish(self, signal: CaseSignal) -> None:
        with self._lock:
            targets = [*self._by_case.get(signal.registration_number, ()), *self._by_agency.get(signal.agency_id, ())]
        for subscription in targets:
            subscription.deliver(signal)

    def resync_all(self) -> None:
        """Tell every stream to re-read (signals may have been lost, e.g. while LISTEN reconnected)."""
        with self._lock:
            targets = [s for group in (*self._by_case.values(), *self._by_agency.values()) for s in group]
        for subscription in targets:
            subscription.deliver(RESYNC)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._by_case.values()) + sum(len(s) for s in self._by_agency.values())


def _discard(index: defaultdict[K, set[Subscription]], key: K, subscription: Subscription) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(subscription)
        if not members:
            del index[key]
