"""Who may change the legal calendar: decided here, never in routes."""

from __future__ import annotations

from shaffof.deadlines.errors import CalendarNotAllowed
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role


def ensure_can_manage_calendar(actor: Actor) -> None:
    """Calendar overrides move the deadlines of cases in flight: only an administrator enters them."""
    if actor.role is not Role.admin:
        raise CalendarNotAllowed("Only an administrator can enter calendar overrides (decreed days off, swapped days).")
