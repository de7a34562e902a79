"""Authenticated encryption of secrets at rest under the PKI passphrase (envelope style).

One master key is derived from the passphrase with scrypt (RFC 7914; n=2**15, r=8, p=1 ≈ 32 MiB, ~0.1 s) once
per process; each sealed item gets its own random salt, a per-item key from HKDF-SHA-256 (RFC 5869) and
AES-256-GCM with the item's label as associated data — a ciphertext moved to another label does not open.
Format: ``b"S1" || salt(16) || nonce(12) || ciphertext+tag``.
"""

from __future__ import annotations

import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

VERSION = b"S1"
# A fixed, public scrypt salt: the passphrase is required to be long and random in production (settings),
# so per-deployment salting adds nothing, and one derivation per process keeps unsealing cheap.
SCRYPT_SALT = b"shaffof/pki/sealing/v1"


class SealBroken(ValueError):
    """The sealed bytes do not open: another passphrase, another label, or tampered data."""


@functools.lru_cache(maxsize=4)
def _master_key(passphrase: str) -> bytes:
    return Scrypt(salt=SCRYPT_SALT, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


class Sealer:
    def __init__(self, passphrase: str) -> None:
        if not passphrase:
            raise ValueError("an empty passphrase cannot protect keys")
        self._master = _master_key(passphrase)

    def _item_key(self, salt: bytes, label: str) -> AESGCM:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"shaffof/seal/" + label.encode())
        return AESGCM(key.derive(self._master))

    def seal(self, label: str, plaintext: bytes) -> bytes:
        salt, nonce = os.urandom(16), os.urandom(12)
        return VERSION + salt + nonce + self._item_key(salt, label).encrypt(nonce, plaintext, label.encode())

    def open(self, label: str, sealed: bytes) -> bytes:
        if len(sealed) < 2 + 16 + 12 + 16 or sealed[:2] != VERSION:
            raise SealBroken(f"the sealed item {label!r} has an unknown format")
        salt, nonce, body = sealed[2:18], sealed[18:30], sealed[30:]
        try:
            return self._item_key(salt, label).decrypt(nonce, body, label.encode())
        except InvalidTag:
            raise SealBroken(
                f"the sealed item {label!r} does not open: is SHAFFOF_PKI_PASSPHRASE the one it was sealed with?"
            ) from None
