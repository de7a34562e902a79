"""The sequencer: integrates committed leaves into the tree with gapless indexes, and signs checkpoints.

Writers only insert their leaf rows, in their own transaction; they never wait for the tree (as in
Trillian's and Tessera's designs). The sequencer runs apart — ``shaffof ledger sequence`` or a background
thread of ``shaffof serve`` — and in each batch:

1. reads, in a read-only transaction, the integrated tree's size and root, the committed leaves that have
   no index yet (oldest id first) and the tree's peaks; checks that the peaks still give the recorded root;
2. hashes the new leaves into the tree (outside any write transaction, so SQLite's writers are not held);
3. in one short write transaction, under the sequencer lock (``SELECT … FOR UPDATE`` of the state row on
   PostgreSQL, the write lock on SQLite), checks that nobody integrated meanwhile, gives the leaves the next
   indexes, stores the completed subtrees and the new size and root.

Then it signs a checkpoint of the integrated tree, if the log key is available and the last checkpoint is
older, has the TSA timestamp the newest checkpoint (RFC 3161 over its signed note), and records whether the
log could commit to everything it holds (``faults.py``). Commit order and PostgreSQL's out-of-order ids:
docs/decisions/0003-ledger-sequencing.md.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.ledger.checkpoints import SignedTreeHead, checkpoint_body, signed_note, to_millis
from shaffof.ledger.errors import LedgerCorrupted, TimestampUnavailable
from shaffof.ledger.keys import LogKey
from shaffof.ledger.merkle import CompactRange, subtree_keys
from shaffof.ledger.models import (
    LedgerCheckpoint,
    LedgerCheckpointTimestamp,
    LedgerEntry,
    LedgerNode,
    LedgerSequencer,
)
from shaffof.ledger.store import STATE_ROW, StoredTree, TreeState, lock_state, save_state, tree_state
from shaffof.ledger.timestamps import CheckpointTimestamper
from shaffof.observability import get_logger

log = get_logger("shaffof.ledger")

DEFAULT_BATCH = 20_000
MAX_LOST_RACES = 50


@dataclass(frozen=True)
class SequencerReport:
    integrated: int  # leaves given an index by this run
    tree_size: int  # the integrated tree's size afterwards
    root_hash: bytes
    checkpoint: SignedTreeHead | None  # the checkpoint this run signed, if it signed one
    unsigned: bool  # the tree is larger than the last checkpoint, and no key was there to sign it
    unstamped: str | None = None  # why the newest checkpoint has no timestamp token, if it has none


class _LostRace(Exception):
    """Another sequencer integrated between our read and our write; read again."""


def integrate(
    db: Database,
    *,
    log_key: LogKey | None,
    origin: str,
    batch_size: int = DEFAULT_BATCH,
    max_leaves: int | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    timestamper: CheckpointTimestamper | None = None,
    key_problem: str | None = None,
) -> SequencerReport:
    """Integrate every committed, unsequenced leaf (at most ``max_leaves``), sign a checkpoint, have the
    newest checkpoint timestamped (when a ``timestamper`` is given), and record whether the log could
    commit to all it holds."""
    integrated = lost = 0
    while max_leaves is None or integrated < max_leaves:
        limit = batch_size if max_leaves is None else min(batch_size, max_leaves - integrated)
        try:
            count = _integrate_batch(db, limit)
        except _LostRace:
            lost += 1
            if lost > MAX_LOST_RACES:
                break
            continue
        integrated += count
        if count < limit:
            break
    with db.reading() as session:
        state = tree_state(session)
    checkpoint, unsigned, unstamped = None, False, None
    problem: str | None = None
    if _needs_checkpoint(db, state, log_key, origin):
        if log_key is None:
            unsigned = True
            problem = f"the log key is unavailable: {key_problem or 'it cannot be loaded'}"
        else:
            checkpoint = _sign_checkpoint(db, log_key, origin, clock)
    if log_key is not None and timestamper is not None:
        unstamped = _stamp_newest(db, log_key, timestamper)
        problem = problem or unstamped
    _record_commitment(db, problem, clock())
    return SequencerReport(integrated, state.tree_size, state.root_hash, checkpoint, unsigned, unstamped)


def _integrate_batch(db: Database, limit: int) -> int:
    with db.reading() as session:
        state = tree_state(session)
        pending = (
            session.connection()
            .execute(
                sa.select(LedgerEntry.id, LedgerEntry.leaf_hash)
                .where(LedgerEntry.leaf_index.is_(None))
                .order_by(LedgerEntry.id)
                .limit(limit)
            )
            .all()
        )
        if not pending:
            return 0
        peak_keys = subtree_keys(0, state.tree_size)
        stored = StoredTree(session).hashes(peak_keys)
    if len(stored) != len(peak_keys):
        raise LedgerCorrupted(f"the stored tree of {state.tree_size} leaves is missing some of its peaks")
    tree = CompactRange(state.tree_size, [stored[key] for key in peak_keys])
    if tree.root() != state.root_hash:
        raise LedgerCorrupted(
            f"the stored peaks of the tree of {state.tree_size} leaves do not give its recorded root hash"
        )
    nodes = tree.extend(leaf for _, leaf in pending)
    after = TreeState(tree.size, tree.root())
    with db.uow() as uow:
        session = uow.session
        if lock_state(session) != state:
            raise _LostRace
        connection = session.connection()
        for first_id, last_id, first_index in _runs([entry_id for entry_id, _ in pending], state.tree_size):
            assigned = connection.execute(
                sa.update(LedgerEntry)
                .where(LedgerEntry.id.between(first_id, last_id), LedgerEntry.leaf_index.is_(None))
                .values(leaf_index=LedgerEntry.id + (first_index - first_id))
            )
            if assigned.rowcount != last_id - first_id + 1:
                raise _LostRace
        if nodes:
            _store_nodes(connection, nodes)
        save_state(session, after)
        uow.commit()
    return len(pending)


def _store_nodes(connection: sa.Connection, nodes: list[tuple[int, int, bytes]]) -> None:
    """Insert the completed subtrees: COPY on PostgreSQL, one prepared executemany on SQLite (SQLAlchemy's
    per-row parameter handling cost more than the database's work: bench/ledger.py)."""
    table = LedgerNode.__tablename__
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} (level, node_index, hash) FROM STDIN") as copy:
            for node in nodes:
                copy.write_row(node)
        return
    connection.exec_driver_sql(f"INSERT INTO {table} (level, node_index, hash) VALUES (?, ?, ?)", nodes)  # noqa: S608


def _runs(ids: Sequence[int], first_index: int) -> list[tuple[int, int, int]]:
    """Consecutive ids as ``(first id, last id, index of the first)`` — one UPDATE each; ids leave gaps only
    where a transaction rolled back, so a batch is nearly always one run."""
    runs: list[tuple[int, int, int]] = []
    start = previous = ids[0]
    index = first_index
    for entry_id in ids[1:]:
        if entry_id != previous + 1:
            runs.append((start, previous, index))
            index += previous - start + 1
            start = entry_id
        previous = entry_id
    runs.append((start, previous, index))
    return runs


@dataclass(frozen=True)
class _Head:
    tree_size: int
    root_hash: bytes
    origin: str
    key_id: str
    signed_at: dt.datetime


def _latest_checkpoint(connection: sa.Connection) -> _Head | None:
    row = connection.execute(
        sa.select(
            LedgerCheckpoint.tree_size,
            LedgerCheckpoint.root_hash,
            LedgerCheckpoint.origin,
            LedgerCheckpoint.key_id,
            LedgerCheckpoint.signed_at,
        )
        .order_by(LedgerCheckpoint.id.desc())
        .limit(1)
    ).first()
    return _Head(*row) if row is not None else None


def _is_signed(latest: _Head | None, state: TreeState, key_id: str | None, origin: str) -> bool:
    if state.tree_size == 0:
        return True  # an empty log has nothing to sign
    if latest is None:
        return False
    same_head = latest.tree_size == state.tree_size and latest.root_hash == state.root_hash
    return same_head and latest.origin == origin and (key_id is None or latest.key_id == key_id)


def _needs_checkpoint(db: Database, state: TreeState, log_key: LogKey | None, origin: str) -> bool:
    with db.reading() as session:
        latest = _latest_checkpoint(session.connection())
    return not _is_signed(latest, state, log_key.key_id if log_key else None, origin)


def _sign_checkpoint(
    db: Database, log_key: LogKey, origin: str, clock: Callable[[], dt.datetime]
) -> SignedTreeHead | None:
    with db.uow() as uow:
        session = uow.session
        state = lock_state(session)
        latest = _latest_checkpoint(session.connection())
        if _is_signed(latest, state, log_key.key_id, origin):
            return None  # another sequencer signed this head meanwhile
        timestamp_ms = to_millis(clock())
        if latest is not None:  # checkpoint times never go backwards, whatever the clocks of several hosts say
            timestamp_ms = max(timestamp_ms, to_millis(latest.signed_at))
        body = checkpoint_body(origin, state.tree_size, state.root_hash, timestamp_ms)
        head = SignedTreeHead(
            origin=origin,
            tree_size=state.tree_size,
            root_hash=state.root_hash,
            timestamp_ms=timestamp_ms,
            key_id=log_key.key_id,
            signature=log_key.sign(body),
        )
        session.add(
            LedgerCheckpoint(
                origin=head.origin,
                tree_size=head.tree_size,
                root_hash=head.root_hash,
                signed_at=head.timestamp,
                key_id=head.key_id,
                signature=head.signature,
            )
        )
        uow.commit()
    return head


def _stamp_newest(db: Database, log_key: LogKey, timestamper: CheckpointTimestamper) -> str | None:
    """Have the newest checkpoint timestamped if it is not yet; the reason if that fails. Only the newest:
    a token on a later checkpoint covers every earlier leaf too (the log only grows: consistency proofs)."""
    with db.reading() as session:
        row = session.scalar(sa.select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1))
        if row is None or session.get(LedgerCheckpointTimestamp, row.id) is not None:
            return None
        if row.key_id != log_key.key_id:
            return None  # signed by an earlier key: its note names that key; the next checkpoint is stamped
        head = SignedTreeHead(
            row.origin, row.tree_size, row.root_hash, to_millis(row.signed_at), row.key_id, row.signature
        )
        checkpoint_id = row.id
    try:
        stamp = timestamper.stamp(signed_note(head, log_key.public_raw).encode())
    except TimestampUnavailable as error:
        return str(error)
    with db.uow() as uow:  # another sequencer may have stamped it meanwhile: the first token stays
        dialect = uow.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        uow.session.execute(
            insert(LedgerCheckpointTimestamp)
            .values(checkpoint_id=checkpoint_id, token=stamp.token, gen_time=stamp.gen_time, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["checkpoint_id"])
        )
        uow.commit()
    return None


def _record_commitment(db: Database, problem: str | None, now: dt.datetime) -> None:
    """Keep ``commitment_failing_since`` (the first failure of a run of failures) and the latest reason;
    written only when the verdict changes, so a healthy log costs no write."""
    with db.reading() as session:
        row = session.execute(
            sa.select(LedgerSequencer.commitment_failing_since, LedgerSequencer.commitment_problem).where(
                LedgerSequencer.id == STATE_ROW
            )
        ).first()
    since, known = (row[0], row[1]) if row is not None else (None, None)
    if problem is None and since is None:
        return
    if problem is not None and since is not None and problem[:500] == known:
        return
    with db.uow() as uow:
        lock_state(uow.session)
        values = (
            {"commitment_failing_since": None, "commitment_problem": None}
            if problem is None
            else {"commitment_failing_since": since or now, "commitment_problem": problem[:500]}
        )
        uow.session.execute(sa.update(LedgerSequencer).where(LedgerSequencer.id == STATE_ROW).values(**values))
        uow.commit()
    if problem is None:
        log.info("ledger commits again: checkpoints signed and timestamped", failing_since=str(since))
    else:
        log.error("ledger cannot commit to its leaves", problem=problem, failing_since=str(since or now))


class SequencerThread:
    """Runs ``tick`` every ``interval`` seconds in a daemon thread until stopped (``shaffof serve``).

    An error is logged (the same error again at most once a minute) and the next tick tries again."""

    REPEAT_ERROR_AFTER = 60.0

    def __init__(
        self,
        tick: Callable[[], object],
        interval: float,
        *,
        name: str = "shaffof-ledger-sequencer",
        lock_path: Path | None = None,
    ) -> None:
        self._tick = tick
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._last_error: tuple[str, float] | None = None
        # One sequencer per host: with ``uvicorn --workers N`` every worker starts this thread, and N sequencers
        # racing for the same leaves each read and hash them while one wins (bench/load.py profile). The worker
        # holding an flock of ``lock_path`` ticks; the others try again each interval and take over when it
        # exits (the kernel releases the lock of a dead process). Correctness never depended on it: the
        # state-row lock in ``integrate`` still serialises sequencers of other hosts.
        self._lock_path = lock_path
        self._lock_fd: int | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _leading(self) -> bool:
        if self._lock_path is None or self._lock_fd is not None:
            return True
        try:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # no writable data directory: sequence anyway, as before the lock existed
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._release()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._leading():
                    continue
                self._tick()
                self._last_error = None
            except Exception as error:
                message = f"{type(error).__name__}: {error}"
                now = time.monotonic()
                if (
                    self._last_error is None
                    or self._last_error[0] != message
                    or (now - self._last_error[1] > self.REPEAT_ERROR_AFTER)
                ):
                    log.exception("ledger sequencer failed; retrying", error=message)
                    self._last_error = (message, now)
