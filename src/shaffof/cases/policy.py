"""Who may see and do what with a case: decided here, once, never in routes.

- A citizen sees only the cases they filed; they may answer requests for information and contest.
- An officer or head sees and works only their own agency's cases; deciding needs the case to be
  assigned to the officer (a head of the body may decide any of the agency's cases).
- An auditor reads every case and changes none.
"""

from __future__ import annotations

from shaffof.cases.errors import ActionNotAllowed, CaseNotFound, CaseOfAnotherAgency
from shaffof.cases.models import Case
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role


def ensure_can_read(actor: Actor, case: Case) -> None:
    if actor.role is Role.auditor:
        return
    if actor.is_agency_staff:
        if case.agency_id != actor.agency_id:
            raise CaseOfAnotherAgency(
                f"Case {case.registration_number} belongs to another agency; you can see only your agency's cases."
            )
        return
    if case.applicant_account_id != actor.account_id:
        # Not "forbidden": a citizen must not learn that someone else's case exists.
        raise CaseNotFound(f"You have no case with the number {case.registration_number}.")


def ensure_can_submit(actor: Actor) -> None:
    if actor.role is not Role.citizen or actor.person_id is None:
        raise ActionNotAllowed("Only a citizen's account can submit applications and appeals.")


def ensure_is_applicant(actor: Actor, case: Case) -> None:
    ensure_can_read(actor, case)
    if case.applicant_account_id != actor.account_id:
        raise ActionNotAllowed("Only the applicant can do this.")


def ensure_can_work(actor: Actor, case: Case) -> None:
    if not actor.is_agency_staff:
        raise ActionNotAllowed("Only officers of the agency handling the case can do this.")
    ensure_can_read(actor, case)


def ensure_can_take(actor: Actor, case: Case) -> None:
    """Starting the review is for the officer the case was routed to; a case routed to nobody (no eligible
    officer was available) may be taken by any officer of the body. Only the head moves a case (reassign)."""
    ensure_can_work(actor, case)
    if case.assignee_account_id is not None and case.assignee_account_id != actor.account_id:
        raise ActionNotAllowed(
            f"Case {case.registration_number} is assigned to another officer; the head of the body can reassign it."
        )


def ensure_is_head(actor: Actor, case: Case) -> None:
    ensure_can_work(actor, case)
    if actor.role is not Role.head:
        raise ActionNotAllowed("Only the head of the body can reassign a case.")


def ensure_can_decide(actor: Actor, case: Case) -> None:
    ensure_can_work(actor, case)
    if actor.role is not Role.head and case.assignee_account_id != actor.account_id:
        raise ActionNotAllowed(f"Case {case.registration_number} is not assigned to you; take it before acting on it.")


def ensure_staff(actor: Actor) -> int:
    """The agency whose queue the actor may see."""
    if not actor.is_agency_staff or actor.agency_id is None:
        raise ActionNotAllowed("Only officers and heads of an agency have a queue.")
    return actor.agency_id
