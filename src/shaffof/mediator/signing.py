"""What a consumer signs, and the check of it: Ed25519 over the request line and the exact body bytes.

The body is signed as sent (no re-serialisation on either side), and the request line binds it to one
registry service, so a signed query for the address cannot be replayed against the documents service.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def signed_bytes(registry: str, service: str, body: bytes) -> bytes:
    return f"POST /api/v1/mediator/{registry}/{service}\n".encode() + body


def sign(key: Ed25519PrivateKey, registry: str, service: str, body: bytes) -> str:
    """The ``X-Mediator-Signature`` value a consumer sends (what an agency system's client does)."""
    return base64.b64encode(key.sign(signed_bytes(registry, service, body))).decode()


def verify(public_key: bytes, signature: str, registry: str, service: str, body: bytes) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, signed_bytes(registry, service, body))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
