from shaffof.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound


class CaseNotFound(NotFound):
    code = "case-not-found"
    title = "No such case"


class CaseOfAnotherAgency(Forbidden):
    code = "case-of-another-agency"
    title = "The case belongs to another agency"


class ActionNotAllowed(Forbidden):
    code = "action-not-allowed"
    title = "You may not do this"


class TransitionRefused(Conflict):
    code = "transition-refused"
    title = "Not possible in the case's current state"


class SubmissionInvalid(InvalidInput):
    code = "submission-invalid"
    title = "The submission has invalid fields"


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency-key-reused"
    title = "The idempotency key was used for a different submission"


class ReviewAlreadyOpen(Conflict):
    code = "review-already-open"
    title = "A review of this decision is already under way"


class ContestWindowClosed(Conflict):
    code = "contest-window-closed"
    title = "The time to contest this decision has passed"


class SignatureRejected(InvalidInput):
    code = "signature-rejected"
    title = "The signature is not valid"
