"""A signed submission is filed once: its signature value is a one-time key.

A JWS over a submission stays valid for a day (``max_age``, pki/service.py), so whoever holds a copy — a
proxy log, a browser's history, a compromised client — could send it again and file the same application a
second time in the citizen's name. The signature value (not the whole token: the unsigned header with its
timestamp can be swapped) is kept as an idempotency key of the applicant's account, under a prefix no
Idempotency-Key header can reach by chance, in the submission's own transaction; the table's primary key
makes a concurrent replay fail at commit like a concurrent retry does. A retry that carries its
Idempotency-Key still gets the first result; the same signature without it is refused and names the case
it already filed (ZRU-793: a signature is used for the purpose stated — one application, not two).
"""

from __future__ import annotations

import hashlib

from shaffof.pki.signing import jws

PREFIX = "signature:"


def signature_key(token: str) -> str | None:
    """The key under which a signed submission is remembered, or None when the token does not parse (the
    signature check that follows refuses it with the reason)."""
    try:
        value = jws.parse(token).signature_b64
    except jws.MalformedJws:
        return None
    return PREFIX + hashlib.sha256(value.encode("ascii")).hexdigest()
