from shaffof.errors import Conflict, DomainError, InvalidInput, NotFound


class DocumentTooLarge(DomainError):
    status = 413
    code = "document-too-large"
    title = "The document is too large"


class DocumentTypeRefused(DomainError):
    status = 415
    code = "document-type-refused"
    title = "The document's type is not accepted"


class BlobDisposed(DomainError):
    """The content was disposed of under the retention schedule; its tombstone says what, when and why."""

    status = 410
    code = "document-disposed"
    title = "The document's content was disposed of"


class HoldNotFound(NotFound):
    code = "legal-hold-not-found"
    title = "No such legal hold"


class HoldAlreadyReleased(Conflict):
    code = "legal-hold-released"
    title = "The legal hold was already lifted"


class ArchiveInputInvalid(InvalidInput):
    code = "archive-input-invalid"
    title = "Some fields are invalid"
