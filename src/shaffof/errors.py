"""The base of every domain error.

Each domain declares its own errors (``cases/errors.py`` …) as subclasses; the web layer maps them once
to RFC 9457 problem documents. A message says what was wrong and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One invalid input: where (a JSON-pointer-like path such as ``form/birth_date``) and why."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class DomainError(Exception):
    """An operation was refused; nothing it would have written was kept."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "The request cannot be processed"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Sign-in required"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflicts with the current state"


class InvalidInput(DomainError):
    status = 422
    code = "invalid-input"
    title = "Some fields are invalid"
