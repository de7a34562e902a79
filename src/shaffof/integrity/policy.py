"""Who may see and do what in the integrity domain (decided here, never in routes).

- The board of findings, the recusal log and the officer accountability report are not public: the head of
  a body sees its own body's, an auditor sees every body's. Officers see none of them — a colleague's
  recusal must not reveal the relation behind it.
- Only the head of the body dismisses its findings (with a reason); an administrator dismisses findings
  that name no body. Auditors read and change nothing.
- An officer declares their own conflicts of interest.
"""

from __future__ import annotations

from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.integrity.errors import IntegrityAccessDenied


def oversight_scope(actor: Actor) -> int | None:
    """The agency whose integrity records the actor may read; None for an auditor (every agency)."""
    if actor.role is Role.auditor:
        return None
    if actor.role is Role.head and actor.agency_id is not None:
        return actor.agency_id
    raise IntegrityAccessDenied(
        "Findings, recusals and the officer accountability report are for the head of the body and auditors."
    )


def ensure_can_dismiss(actor: Actor, finding_agency_id: int | None) -> None:
    if finding_agency_id is None and actor.role is Role.admin:
        return
    if actor.role is Role.head and actor.agency_id is not None and actor.agency_id == finding_agency_id:
        return
    raise IntegrityAccessDenied("Only the head of the body the finding concerns can dismiss it.")


def ensure_can_declare(actor: Actor) -> None:
    if not actor.is_agency_staff:
        raise IntegrityAccessDenied("Only officers and heads of a body declare conflicts of interest.")
