"""Checkpoints: signed tree heads in the C2SP ``tlog-checkpoint`` text format (a signed note).

The signed text is::

    <origin>
    <tree size, decimal>
    <root hash, base64>
    timestamp <Unix time in milliseconds>

(the fourth line is a checkpoint extension line). The Ed25519 signature covers exactly those bytes, so
anyone holding the log's public key checks a checkpoint with nothing else; :func:`signed_note` renders
the note as C2SP tools expect it (key id = the first four bytes of SHA-256(origin, 0x0A, 0x01, key)).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shaffof.ledger.merkle import VerificationFailure, VerificationSuccess

ED25519_NOTE_TYPE = b"\x01"  # c2sp.org/signed-note signature type of Ed25519


@dataclass(frozen=True)
class SignedTreeHead:
    origin: str
    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    key_id: str
    signature: bytes

    @property
    def timestamp(self) -> dt.datetime:
        return from_millis(self.timestamp_ms)

    def body(self) -> bytes:
        return checkpoint_body(self.origin, self.tree_size, self.root_hash, self.timestamp_ms)

    def verify(self, public_key: Ed25519PublicKey) -> VerificationSuccess | VerificationFailure:
        return verify_signature(public_key, self.body(), self.signature)


def checkpoint_body(origin: str, tree_size: int, root_hash: bytes, timestamp_ms: int) -> bytes:
    """The signed text of a checkpoint."""
    if not origin or any(ch.isspace() or ch == "+" for ch in origin):
        raise ValueError("a checkpoint origin is non-empty, without spaces or '+'")
    root = base64.b64encode(root_hash).decode()
    return f"{origin}\n{tree_size}\n{root}\ntimestamp {timestamp_ms}\n".encode()


def note_key_hash(origin: str, public_raw: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 signed-note key named ``origin``."""
    return hashlib.sha256(origin.encode() + b"\n" + ED25519_NOTE_TYPE + public_raw).digest()[:4]


def signed_note(head: SignedTreeHead, public_raw: bytes) -> str:
    """The checkpoint as a C2SP signed note: the text, a blank line, one signature line."""
    return note_text(head.body(), head.origin, head.signature, public_raw)


def note_text(body: bytes, origin: str, signature: bytes, public_raw: bytes) -> str:
    """A signed note from a checkpoint's signed text and signature (what its timestamp token is over)."""
    stamp = base64.b64encode(note_key_hash(origin, public_raw) + signature).decode()
    return body.decode() + f"\n\u2014 {origin} {stamp}\n"


def verify_signature(
    public_key: Ed25519PublicKey, body: bytes, signature: bytes
) -> VerificationSuccess | VerificationFailure:
    try:
        public_key.verify(signature, body)
    except InvalidSignature:
        return VerificationFailure("the signature does not verify with the log's public key")
    return VerificationSuccess()


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MILLISECOND = dt.timedelta(milliseconds=1)


def to_millis(at: dt.datetime) -> int:
    """Whole Unix milliseconds (exact integer arithmetic, truncating)."""
    return (at - EPOCH) // MILLISECOND


def from_millis(millis: int) -> dt.datetime:
    return EPOCH + millis * MILLISECOND
