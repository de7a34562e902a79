"""Pairwise subject identifiers (OIDC Core §8.1): one person has a different ``sub`` at every client.

``sub = base64url(HMAC-SHA-256(key, client_id || 0x00 || account_id))``. Agencies cannot join their users on
``sub``; only the PINFL (its own scope, consented) identifies a person across agencies. The key is derived
from ``SHAFFOF_SECRET_KEY``: changing that key changes every ``sub`` (docs/oidc.md says so).
"""

from __future__ import annotations

import hashlib
import hmac

from shaffof.pki.signing.jws import b64url


def pairwise_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"shaffof/oidc/pairwise-subject", hashlib.sha256).digest()


def pairwise_subject(key: bytes, client_id: str, account_id: int) -> str:
    message = client_id.encode() + b"\x00" + str(account_id).encode()
    return b64url(hmac.new(key, message, hashlib.sha256).digest())
