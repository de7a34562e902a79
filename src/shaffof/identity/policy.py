"""Who may manage persons and accounts (decided here, never in routes)."""

from __future__ import annotations

from shaffof.errors import Forbidden
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role


class AdministratorsOnly(Forbidden):
    code = "administrators-only"
    title = "Only administrators can do this"


def ensure_admin(actor: Actor) -> None:
    if actor.role is not Role.admin:
        raise AdministratorsOnly("Only an administrator can enrol persons and create accounts.")
