"""With several server processes on one host only one sequencer works at a time, and another takes over
when it stops (SequencerThread's flock; docs/performance.md)."""

from __future__ import annotations

import threading
from pathlib import Path

from shaffof.ledger.sequencer import SequencerThread


def test_one_sequencer_ticks_and_another_takes_over_when_it_stops(tmp_path: Path) -> None:
    lock = tmp_path / "ledger-sequencer.lock"
    first_ticked, second_ticked = threading.Event(), threading.Event()
    first = SequencerThread(first_ticked.set, 0.01, lock_path=lock)
    second = SequencerThread(second_ticked.set, 0.01, lock_path=lock)
    first.start()
    try:
        assert first_ticked.wait(10)
        second.start()
        # The second tries every 10 ms; in 50 of its intervals it never gets to tick while the first runs.
        assert not second_ticked.wait(0.5)
    finally:
        first.stop()
    try:
        assert second_ticked.wait(10)  # the lock was released with the first thread: the second leads now
    finally:
        second.stop()


def test_without_a_lock_file_every_sequencer_ticks(tmp_path: Path) -> None:
    ticks = [threading.Event(), threading.Event()]
    threads = [SequencerThread(tick.set, 0.01) for tick in ticks]
    for thread in threads:
        thread.start()
    try:
        assert all(tick.wait(10) for tick in ticks)
    finally:
        for thread in threads:
            thread.stop()
