from shaffof.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated


class MediatorRefused(Forbidden):
    """The exchange was refused and the refusal logged (message log and the person's access records)."""

    code = "mediator-refused"
    title = "The information mediator refused the query"


class NoAccessPolicy(MediatorRefused):
    code = "no-access-policy"
    title = "No access policy allows this query"


class CategoriesNotAllowed(MediatorRefused):
    code = "categories-not-allowed"
    title = "More data categories than the policy allows"


class ConsentMissing(MediatorRefused):
    code = "consent-missing"
    title = "The person has not consented (or has withdrawn consent)"


class ReasonRequired(MediatorRefused):
    code = "reason-required"
    title = "A stated reason is needed to read the data of a person outside your cases"


class PurposeMissing(InvalidInput):
    code = "purpose-missing"
    title = "A query must state its purpose"


class RequestForged(Unauthenticated):
    code = "mediator-request-forged"
    title = "The request signature does not verify"


class RequestReplayed(MediatorRefused):
    code = "mediator-request-replayed"
    title = "The request was already served, or is too old or too new"


class MessageNotFound(NotFound):
    code = "message-not-found"
    title = "No such message-log entry"


class NotAConsumer(Forbidden):
    code = "not-a-mediator-consumer"
    title = "Only agency accounts query registries through the mediator"


class AdministratorsOrAuditorsOnly(Forbidden):
    code = "mediator-administration-refused"
    title = "Only administrators manage the mediator and only auditors read its log"


class NothingToSeal(DomainError):
    status = 409
    code = "nothing-to-seal"
    title = "Every message-log entry is already sealed"
