"""The unit of work: one transaction per domain operation, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

_KEPT = "shaffof.kept"


def keep(session: Session, *rows: object) -> None:
    """Hold ``rows`` for as long as ``session`` lives. The session's identity map holds only weak references:
    a row nothing else refers to any more is dropped, and the next ``session.get`` for it selects it again
    (the submission path read its service, body and assigned officer twice that way)."""
    session.info.setdefault(_KEPT, []).extend(rows)


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
        uow = session.info.get("uow")
        if not isinstance(uow, UnitOfWork):
            raise RuntimeError("this session was not opened by a unit of work")
        return uow

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
