from shaffof.errors import Conflict, Forbidden, InvalidInput, NotFound


class Recused(Forbidden):
    """The officer has a conflict of interest with the case; the reason is logged for the head only."""

    code = "recused"
    title = "You are recused from this case"


class ReasonRequired(InvalidInput):
    code = "reason-required"
    title = "A reason is required"


class FourEyesRefused(Forbidden):
    code = "four-eyes-refused"
    title = "The approval must come from a second officer"


class NoPendingDecision(Conflict):
    code = "no-pending-decision"
    title = "No decision awaits approval"


class DecisionAwaitsApproval(Conflict):
    code = "decision-awaits-approval"
    title = "A proposed decision awaits a second officer's approval"


class NotAnOfficerOfTheBody(InvalidInput):
    code = "not-an-officer-of-the-body"
    title = "Not an officer of the body"


class FindingNotFound(NotFound):
    code = "finding-not-found"
    title = "No such finding"


class IntegrityAccessDenied(Forbidden):
    code = "integrity-access-denied"
    title = "Only heads of the body and auditors see this"


class UnknownReference(InvalidInput):
    """A person (PINFL), agency or login named in the request does not exist."""

    code = "unknown-reference"
    title = "Refers to something that does not exist"
