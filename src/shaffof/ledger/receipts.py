"""Checking a receipt someone pastes (the public /transparency page): a leaf hash and its RFC 9162 inclusion
proof, against the log's latest checkpoint — exactly what anyone can do offline with the checkpoint alone.

A proof made against an earlier checkpoint still counts: the root of its tree size is tied to the latest
checkpoint by an RFC 9162 consistency proof, which is verified too (the log only grew since the receipt).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from shaffof.errors import FieldError
from shaffof.ledger import merkle
from shaffof.ledger.errors import ReceiptInvalid

MAX_RECEIPT_CHARS = 20_000
MAX_PATH = 64  # a tree of 2**64 leaves has at most 64 hashes in a path


@dataclass(frozen=True)
class PastedReceipt:
    leaf_hash: bytes
    leaf_index: int
    tree_size: int
    audit_path: list[bytes]


@dataclass(frozen=True)
class ReceiptVerdict:
    valid: bool
    reason: str
    leaf_index: int
    tree_size: int  # the proof's tree
    checkpoint_size: int  # the latest checkpoint's tree
    checkpoint_root: str
    checkpoint_time: Any  # datetime of the checkpoint's signature
    timestamped_at: Any  # the TSA's genTime for that checkpoint, or None
    consistency_hashes: int  # hashes in the consistency proof from the proof's tree to the checkpoint's


def parse_receipt(text: str, leaf_hash_text: str = "") -> PastedReceipt:
    """A receipt as ``GET /api/v1/ledger/receipts/{number}`` gives one event (``{leaf_hash, inclusion: {…}}``)
    or an inclusion proof (``{leaf_index, tree_size, audit_path}``) with the leaf hash given apart."""
    if len(text) > MAX_RECEIPT_CHARS:
        raise _invalid("proof", f"at most {MAX_RECEIPT_CHARS} characters")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid("proof", f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    if not isinstance(data, dict):
        raise _invalid("proof", "a JSON object is expected")
    nested = data.get("inclusion")
    proof: dict[str, Any] = nested if isinstance(nested, dict) else data
    hash_text = leaf_hash_text.strip() or data.get("leaf_hash")
    if not isinstance(hash_text, str) or not hash_text:
        raise _invalid("leaf_hash", "give the leaf hash (base64), here or as leaf_hash in the JSON")
    leaf_hash = _hash(hash_text, "leaf_hash")
    try:
        leaf_index, tree_size = int(proof["leaf_index"]), int(proof["tree_size"])
        path_texts = proof["audit_path"]
    except (KeyError, TypeError, ValueError):
        raise _invalid("proof", "needs leaf_index, tree_size and audit_path (RFC 6962 get-proof-by-hash)") from None
    if not isinstance(path_texts, list) or len(path_texts) > MAX_PATH:
        raise _invalid("proof", f"audit_path is a list of at most {MAX_PATH} base64 hashes")
    if not 0 <= leaf_index < tree_size:
        raise _invalid("proof", "needs 0 ≤ leaf_index < tree_size")
    return PastedReceipt(leaf_hash, leaf_index, tree_size, [_hash(str(p), "proof") for p in path_texts])


def _hash(text: str, field: str) -> bytes:
    try:
        value = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != merkle.HASH_SIZE:
        raise _invalid(field, "not a base64 SHA-256 hash (44 characters)")
    return value


def _invalid(field: str, message: str) -> ReceiptInvalid:
    return ReceiptInvalid(f"{field}: {message}.", errors=[FieldError(field, message)])
