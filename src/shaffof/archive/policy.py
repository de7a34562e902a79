"""Who may keep the archive (decided here, never in routes): administrators and archivists set legal holds,
lift them and dispose of content whose retention ended. Disposal destroys evidence of what the state did, so
no other role — not an auditor, not the body's own staff — may do it."""

from __future__ import annotations

from shaffof.errors import Forbidden
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role

ARCHIVE_KEEPERS = frozenset({Role.admin, Role.archivist})


class ArchivistsOnly(Forbidden):
    code = "archivists-only"
    title = "Only an archivist or an administrator can do this"


def ensure_archive_keeper(actor: Actor, doing: str) -> None:
    if actor.role not in ARCHIVE_KEEPERS:
        raise ArchivistsOnly(f"Only an archivist or an administrator can {doing}; you are signed in as {actor.role}.")
