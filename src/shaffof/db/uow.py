"""The unit of work: one transaction per domain operation, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

_KEPT = "shaffof.kept"

T = TypeVar("T")


def keep(session: Session, *rows: object) -> None:
    """Hold ``rows`` for as long as ``session`` lives. The session's identity map holds only weak references:
    a row nothing else refers to any more is dropped, and the next ``session.get`` for it selects it again
    (the submission path read its service, body and assigned officer twice that way)."""
    session.info.setdefault(_KEPT, []).extend(rows)


def held_until_commit(session: Session, key: str, new: Callable[[], T], write: Callable[[Session], None]) -> T:
    """The open transaction's buffer under ``key`` (made by ``new`` when it has none): ``write`` runs just
    before the transaction commits and must take the buffer off (``session.info.pop(key)``); a rollback drops
    it unwritten. For rows a domain collects while a unit of work runs and writes together."""
    buffer: T | None = session.info.get(key)
    if buffer is None:
        buffer = session.info[key] = new()
        listening = f"{key}.listening"
        if not session.info.get(listening):
            session.info[listening] = True
            sa.event.listen(session, "before_commit", write)
        UnitOfWork.of(session).on_rollback(partial(session.info.pop, key, None))
    return buffer


class UnitOfWork:
    """``with db.uow() as uow: ...; uow.commit()`` — leaving the block without commit rolls back.

    Effects outside the database (a newly written blob file) register an undo with ``on_rollback`` so a
    failed operation leaves neither rows nor files behind.
    """

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._undo: list[Callable[[], None]] = []
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self.session.info["uow"] = self
        self._undo = []
        self._after_commit = []
        return self

    @staticmethod
    def of(session: Session) -> UnitOfWork:
        """The unit of work a session belongs to (for handlers that receive only the session)."""
        uow = UnitOfWork.find(session)
        if uow is None:
            raise RuntimeError("this session was not opened by a unit of work")
        return uow

    @staticmethod
    def find(session: Session) -> UnitOfWork | None:
        """The unit of work a session belongs to, or None for a session opened otherwise."""
        uow = session.info.get("uow")
        return uow if isinstance(uow, UnitOfWork) else None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self._undo.clear()
        after, self._after_commit = self._after_commit, []
        for callback in after:
            callback()

    def rollback(self) -> None:
        self.session.rollback()
        self._after_commit.clear()
        undo, self._undo = self._undo, []
        for callback in reversed(undo):
            callback()

    def on_rollback(self, callback: Callable[[], None]) -> None:
        self._undo.append(callback)

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run after the transaction commits (e.g. wake live listeners); never for a rolled-back one."""
        self._after_commit.append(callback)
