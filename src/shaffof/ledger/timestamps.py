"""RFC 3161 timestamps over checkpoints: the platform TSA signs SHA-256 of each checkpoint's signed note.

A checkpoint signed by the log key says what the log held; its timestamp token, from a separate authority,
says the checkpoint (and every leaf it covers) existed no later than the token's ``genTime`` — a log key
stolen later cannot back-date a different history. ``openssl ts -verify -data checkpoint.note`` checks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from shaffof.ledger.errors import TimestampUnavailable

if TYPE_CHECKING:
    from shaffof.pki.chain import TrustAnchors
    from shaffof.pki.service import Pki


@dataclass(frozen=True)
class CheckpointStamp:
    token: bytes  # DER TimeStampToken (CMS ContentInfo)
    gen_time: dt.datetime


class CheckpointTimestamper(Protocol):
    """Who stamps checkpoints: raises :class:`TimestampUnavailable` when it cannot (never returns a bad token)."""

    def stamp(self, note: bytes) -> CheckpointStamp: ...

    def trust(self) -> TrustAnchors | None:
        """The CA that tokens chain to (for verify-log), or None while there is none."""


def note_digest(note: bytes) -> bytes:
    """The message imprint of a checkpoint's token: SHA-256 of the checkpoint's signed note (C2SP)."""
    return hashlib.sha256(note).digest()


class PkiTimestamps:
    """The platform's own TSA (pki/tsa.py). Each token is verified against the platform CA before it is
    kept, so a checkpoint never carries a token that does not prove its time."""

    def __init__(self, pki: Pki) -> None:
        self._pki = pki

    def stamp(self, note: bytes) -> CheckpointStamp:
        from shaffof.errors import DomainError
        from shaffof.pki.tsa import TimestampInvalid, verify_token

        digest = note_digest(note)
        try:
            token = self._pki.timestamp_digest(digest)
            verified = verify_token(token, digest, self._pki.hierarchy().trust)
        except DomainError as error:  # no CA yet, the key store locked, …
            raise TimestampUnavailable(f"the time-stamping authority is unavailable: {error.detail}") from None
        except TimestampInvalid as error:
            raise TimestampUnavailable(f"the time-stamping authority gave an invalid token: {error}") from None
        return CheckpointStamp(token, verified.time)

    def trust(self) -> TrustAnchors | None:
        from shaffof.errors import DomainError

        try:
            return self._pki.hierarchy().trust
        except DomainError:
            return None
