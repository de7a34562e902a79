"""The authenticated principal that domain operations receive (never a web request object)."""

from __future__ import annotations

from dataclasses import dataclass

from shaffof.identity.models import Role


@dataclass(frozen=True)
class Actor:
    account_id: int
    role: Role
    display_name: str
    person_id: int | None = None
    agency_id: int | None = None

    @property
    def is_agency_staff(self) -> bool:
        return self.role in (Role.officer, Role.head)
