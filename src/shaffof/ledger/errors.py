"""Errors of the ledger domain (mapped once to RFC 9457 problem documents by the web layer)."""

from shaffof.errors import DomainError, InvalidInput, NotFound


class LeafNotFound(NotFound):
    code = "leaf-not-found"
    title = "No such leaf in the log"


class NoCheckpointYet(NotFound):
    code = "no-checkpoint-yet"
    title = "The log has no signed checkpoint yet"


class TreeSizeOutOfRange(InvalidInput):
    code = "tree-size-out-of-range"
    title = "The log has no tree of that size"


class LeafRangeInvalid(InvalidInput):
    code = "leaf-range-invalid"
    title = "The range of leaves is invalid"


class HashInvalid(InvalidInput):
    code = "hash-invalid"
    title = "The hash is not a base64 SHA-256 value"


class LogKeyUnavailable(DomainError):
    """The log's signing key cannot be used: checkpoints are not signed until it can (leaves still are
    written with every change, so nothing is acknowledged without its leaf)."""

    status = 503
    code = "log-key-unavailable"
    title = "The log's signing key is unavailable"


class LedgerCorrupted(RuntimeError):
    """The stored tree does not reproduce its recorded root: the sequencer refuses to build on it.
    ``shaffof verify-log`` names what differs."""


class LedgerUnavailable(DomainError):
    """The log has been unable to commit to its leaves (no log key, or no timestamp) for longer than the
    acceptable period: new work is refused rather than acknowledged without the promised receipt."""

    status = 503
    code = "ledger-unavailable"
    title = "The transparency log cannot record new work"


class TimestampUnavailable(Exception):
    """The time-stamping authority did not give a token (the checkpoint stays unstamped until it does)."""


class ReceiptInvalid(InvalidInput):
    code = "receipt-invalid"
    title = "The receipt cannot be read"
