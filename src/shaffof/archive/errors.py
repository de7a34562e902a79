from shaffof.errors import DomainError


class DocumentTooLarge(DomainError):
    status = 413
    code = "document-too-large"
    title = "The document is too large"


class DocumentTypeRefused(DomainError):
    status = 415
    code = "document-type-refused"
    title = "The document's type is not accepted"
