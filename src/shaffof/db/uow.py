"""The unit of work: one transaction per domain operation, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """``with db.uow() as uow: ...; uow.commit()`` — leaving the block without commit rolls back.

    Effects outside the database (a newly written blob file) register an undo with ``on_rollback`` so a
    failed operation leaves neither rows nor files behind.
    """

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._undo: list[Callable[[], None]] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self._undo = []
        return self

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

    def rollback(self) -> None:
        self.session.rollback()
        undo, self._undo = self._undo, []
        for callback in reversed(undo):
            callback()

    def on_rollback(self, callback: Callable[[], None]) -> None:
        self._undo.append(callback)
