"""Engines for the embedded SQLite database and for PostgreSQL.

SQLite runs in WAL mode with foreign keys on. Write transactions start with ``BEGIN IMMEDIATE`` so two
writers queue on the database lock (with a busy timeout) instead of failing when a reader upgrades to a
writer halfway through — that is what keeps registration numbers unique under concurrent submissions.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from shaffof.db.uow import UnitOfWork

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "shaffof_write"
_HOLDS_LOCK = "shaffof_holds_write_lock"


class _ProcessWriteLock:
    """Writers of *other processes* (``uvicorn --workers N``, the CLI beside the server) queue on an
    ``flock`` of a file beside the database, so the next one enters as soon as the previous commits. Without
    it they met SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between retries: with two server
    processes, submissions waited hundreds of milliseconds on an idle lock (bench/load.py,
    docs/performance.md). One descriptor per engine; the thread lock in front of it admits one thread of
    this process at a time. The kernel releases the lock if the process dies."""

    def __init__(self, database: str) -> None:
        self.path = f"{database}-writer.lock"
        self._fd: int | None = None
        self._pid = 0

    def acquire(self) -> None:
        if self._fd is None or self._pid != os.getpid():  # opened lazily, again in a forked child
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """On ``engine.dispose()``: no descriptor outlives its engine (tests make thousands of them)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


def _configure_sqlite(engine: sa.Engine, database: str | None = None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Writers of this process queue on a lock first: SQLite's busy handler retries with growing sleeps,
    # which under contention gave a p99 of ~0.9 s for a p50 of ~30 ms (bench/submit.py); a FIFO-ish lock
    # lets each writer in as soon as the previous one commits. Other processes still meet busy_timeout.
    write_lock = threading.Lock()
    process_lock = _ProcessWriteLock(database) if database else None
    if process_lock is not None:
        event.listen(engine, "engine_disposed", lambda _engine: process_lock.close())

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if not connection.get_execution_options().get(_WRITE, False):
            connection.exec_driver_sql("BEGIN")
            return
        write_lock.acquire()
        try:
            if process_lock is not None:
                process_lock.acquire()
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if process_lock is not None:
                    process_lock.release()
                raise
        except BaseException:
            write_lock.release()
            raise
        connection.info[_HOLDS_LOCK] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: sa.Connection) -> None:
        if connection.info.pop(_HOLDS_LOCK, False):
            if process_lock is not None:
                process_lock.release()
            write_lock.release()


def create_engine(url: str, **kwargs: Any) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        on_disk = bool(parsed.database) and parsed.database != ":memory:" and "mode=memory" not in str(parsed)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, parsed.database if on_disk else None)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


class Database:
    """The application's handle on its database: hands out units of work and read sessions."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.engine = create_engine(url, **engine_kwargs)
        self._write_sessions = sessionmaker(
            bind=self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        """A unit of work for one domain operation: commit all of its effects, or none."""
        return UnitOfWork(self._write_sessions)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; closing it ends (rolls back) its transaction and leaves the
        loaded objects readable, detached."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
