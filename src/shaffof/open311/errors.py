"""Open311 answers errors in its own format (a list of {code, description}); these carry the HTTP code."""

from shaffof.errors import DomainError


class Open311Error(DomainError):
    """A refused Open311 call; ``status`` is the HTTP and the Open311 error code."""

    code = "open311"
    title = "Open311 request refused"

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.http_status = status
