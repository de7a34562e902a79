"""What the log does when it cannot commit to its leaves (docs/ledger.md, "Faults").

Every change writes its leaf in its own transaction, so the ledger never lacks work that was acknowledged.
What can fail is the *commitment*: a checkpoint needs the log key, and its timestamp needs the TSA. The
sequencer records since when it has been unable to commit (``ledger_sequencer.commitment_failing_since``).
As X-Road's security server stops accepting messages once it has been unable to timestamp for its
"acceptable timestamp failure period", writers here refuse new work once that moment is older than
``SHAFFOF_LEDGER_ACCEPTABLE_FAILURE_SECONDS`` (0 never refuses): the operation rolls back, nothing is
acknowledged, and the client gets a 503 ``ledger-unavailable`` problem to retry later.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shaffof.ledger.errors import LedgerUnavailable
from shaffof.ledger.models import LedgerSequencer
from shaffof.ledger.store import STATE_ROW

CACHE_SECONDS = 1.0  # a writer reads the sequencer's verdict at most once a second per process


class CommitmentGuard:
    """Refuses new leaves once the log has failed to commit for longer than ``acceptable``."""

    def __init__(self, acceptable: dt.timedelta | None, clock: Callable[[], dt.datetime]) -> None:
        self.acceptable = acceptable
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at = -CACHE_SECONDS
        self._failing: tuple[dt.datetime, str] | None = None

    def failing(self, session: Session, *, fresh: bool = False) -> tuple[dt.datetime, str] | None:
        """Since when and why the log cannot commit (None while it can), read at most once a second
        unless ``fresh``."""
        with self._lock:
            if not fresh and time.monotonic() - self._read_at < CACHE_SECONDS:
                return self._failing
        row = (
            session.connection()
            .execute(
                sa.select(LedgerSequencer.commitment_failing_since, LedgerSequencer.commitment_problem).where(
                    LedgerSequencer.id == STATE_ROW
                )
            )
            .first()
        )
        failing = (row[0], row[1] or "") if row is not None and row[0] is not None else None
        with self._lock:
            self._failing, self._read_at = failing, time.monotonic()
        return failing

    def check(self, session: Session) -> None:
        """Raise :class:`LedgerUnavailable` (the caller's transaction then rolls back) past the period."""
        if self.acceptable is None:
            return
        failing = self.failing(session)
        if failing is None:
            return
        since, problem = failing
        if self._clock() - since > self.acceptable:
            raise LedgerUnavailable(
                f"The transparency log has been unable to commit to new records since {since:%Y-%m-%d %H:%M:%S} "
                f"UTC ({problem}). Nothing was recorded; try again later.",
                failing_since=since.isoformat(),
            )

    def forget(self) -> None:
        """Read the sequencer's verdict again on the next check (tests, and after the sequencer changed it)."""
        with self._lock:
            self._read_at = -CACHE_SECONDS
