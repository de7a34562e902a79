"""Who may see which statistics: decided here, never in routes.

The public figures (aggregates) are open to everyone. The case lists behind a number name cases, so they
are for the agency's own officers and head (their agency only) and for auditors (any agency). The staff
dashboard shows the integrity findings of the body only to those the integrity domain lets read them
(the head of the body, auditors): an officer sees the figures, not the board of findings.
"""

from __future__ import annotations

from shaffof.cases.errors import ActionNotAllowed, CaseOfAnotherAgency
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.integrity import policy as integrity_policy
from shaffof.integrity.errors import IntegrityAccessDenied


def agency_for_case_lists(actor: Actor, requested_agency_id: int | None) -> int | None:
    """The agency whose cases the actor may list (None: an auditor listing every agency)."""
    if actor.role is Role.auditor:
        return requested_agency_id
    if not actor.is_agency_staff or actor.agency_id is None:
        raise ActionNotAllowed("Only officers, heads of bodies and auditors can see the cases behind the figures.")
    if requested_agency_id is not None and requested_agency_id != actor.agency_id:
        raise CaseOfAnotherAgency("You can see the cases behind your own agency's figures only.")
    return actor.agency_id


def may_see_findings(actor: Actor, agency_id: int | None) -> bool:
    """Whether the dashboard of ``agency_id`` (None: every body) shows this actor the findings counted there."""
    try:
        scope = integrity_policy.oversight_scope(actor)
    except IntegrityAccessDenied:
        return False
    return scope is None or scope == agency_id
