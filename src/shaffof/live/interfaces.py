"""How case signals travel between server processes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shaffof.live.hub import CaseSignal


class Broadcast(Protocol):
    def publish(self, signals: Sequence[CaseSignal]) -> None:
        """Send the signals of one committed transaction to every process's hub (never raises)."""
        ...

    def publish_resync(self) -> None:
        """Tell every stream of every process to re-read (after a bulk change; never raises)."""
        ...

    def ensure_listening(self) -> None:
        """Block until this process receives signals from the others (started on first use)."""
        ...

    def close(self) -> None:
        """Stop listening (on shutdown)."""
        ...
