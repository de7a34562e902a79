"""Checkpoints: the signed text, the Ed25519 signature over it, the C2SP signed note."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shaffof.ledger.checkpoints import (
    SignedTreeHead,
    checkpoint_body,
    from_millis,
    note_key_hash,
    signed_note,
    to_millis,
)

ROOT = hashlib.sha256(b"a root").digest()


def sign(key: Ed25519PrivateKey, tree_size: int = 42, timestamp_ms: int = 1_795_000_000_123) -> SignedTreeHead:
    body = checkpoint_body("gov.example/ledger", tree_size, ROOT, timestamp_ms)
    return SignedTreeHead("gov.example/ledger", tree_size, ROOT, timestamp_ms, "key", key.sign(body))


def test_the_signed_text_is_a_c2sp_checkpoint_with_a_timestamp_line() -> None:
    body = checkpoint_body("gov.example/ledger", 42, ROOT, 1_795_000_000_123)
    assert body == (b"gov.example/ledger\n42\n" + base64.b64encode(ROOT) + b"\ntimestamp 1795000000123\n")


@pytest.mark.parametrize("origin", ["", "has space", "plus+sign", "new\nline"])
def test_origins_that_would_break_the_format_are_refused(origin: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        checkpoint_body(origin, 1, ROOT, 0)


def test_a_signature_verifies_with_the_public_key_and_nothing_else() -> None:
    key = Ed25519PrivateKey.generate()
    head = sign(key)
    assert head.verify(key.public_key())
    assert not head.verify(Ed25519PrivateKey.generate().public_key())
    for changed in (
        SignedTreeHead(head.origin, head.tree_size + 1, head.root_hash, head.timestamp_ms, "key", head.signature),
        SignedTreeHead(head.origin, head.tree_size, ROOT[::-1], head.timestamp_ms, "key", head.signature),
        SignedTreeHead(head.origin, head.tree_size, head.root_hash, head.timestamp_ms + 1, "key", head.signature),
        SignedTreeHead("other.example/log", head.tree_size, head.root_hash, head.timestamp_ms, "key", head.signature),
    ):
        assert not changed.verify(key.public_key())


def test_the_signed_note_carries_the_c2sp_key_id_and_the_signature() -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    head = sign(key)
    note = signed_note(head, raw)
    text, _, signature_line = note.rpartition("\n\n")
    assert (text + "\n").encode() == head.body()
    dash, name, stamp = signature_line.rstrip("\n").split(" ")
    assert dash == "\u2014" and name == "gov.example/ledger"
    stamped = base64.b64decode(stamp)
    assert stamped[:4] == hashlib.sha256(b"gov.example/ledger\n\x01" + raw).digest()[:4] == note_key_hash(name, raw)
    key.public_key().verify(stamped[4:], head.body())


def test_milliseconds_round_trip_and_truncate() -> None:
    at = dt.datetime(2026, 11, 24, 10, 15, 30, 123_999, tzinfo=dt.UTC)
    assert from_millis(to_millis(at)) == at.replace(microsecond=123_000)
    assert to_millis(dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)) == 1000
