from shaffof.errors import DomainError, Forbidden, InvalidInput, NotFound


class ConsentNotFound(NotFound):
    code = "consent-not-found"
    title = "No such consent"


class ConsentInvalid(InvalidInput):
    code = "consent-invalid"
    title = "The consent cannot be given as asked"


class AccessRecordNotFound(NotFound):
    code = "access-record-not-found"
    title = "No such access record"


class NotTheDataSubject(Forbidden):
    code = "not-the-data-subject"
    title = "Only the person themselves can do this"


class AuditorsOnly(Forbidden):
    code = "auditors-only"
    title = "Only auditors can search access records"


class FieldKeysUnavailable(DomainError):
    status = 503
    code = "field-keys-unavailable"
    title = "Encrypted personal data cannot be read or written"


class ReceiptUnavailable(DomainError):
    status = 503
    code = "receipt-unavailable"
    title = "The platform cannot sign a receipt now"
