"""Envelope encryption of sensitive fields at rest, and keyed hashes for the lookups they still need.

Each value gets its own random data key (AES-256-GCM); the data key is wrapped by a key-encryption key from
the settings (``SHAFFOF_FIELD_KEYS``). The stored token names the wrapping key, so rotation only rewraps data
keys (``shaffof keys rotate``) while readers accept every key still in the ring: no downtime, no re-encryption
of content. The ciphertext is bound to where it lives (table, column, row) as associated data, so a value
copied to another row does not decrypt there.

A value that must be found (a document number) is also stored as an HMAC-SHA256 under a separate key
(``SHAFFOF_BLIND_INDEX_KEY``): equality lookups work, the number itself is not in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shaffof.observability import get_logger

log = get_logger("shaffof.privacy")

TOKEN_PREFIX = "e1"  # noqa: S105  (the format tag of an encrypted value, not a secret)
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyringInvalid(ValueError):
    """The configured keys cannot be used; the message says which and why."""


class DecryptionFailed(ValueError):
    """A stored value does not decrypt: its key left the ring, or it was altered or moved."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret: str, label: str) -> bytes:
    """A development key derived from the secret key (warned about; refused in production)."""
    return hashlib.sha256(f"shaffof:{label}:".encode() + secret.encode()).digest()


def parse_keyring(text: str) -> list[tuple[str, bytes]]:
    """``"k2:<base64 32 bytes>,k1:<…>"`` → [(id, key)], the first being the one that wraps new data keys."""
    ring: list[tuple[str, bytes]] = []
    for number, entry in enumerate(part.strip() for part in text.split(",") if part.strip()):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id.isidentifier():
            raise KeyringInvalid(f"key {number + 1}: write it as id:base64 (an identifier, a colon, 32 bytes)")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise KeyringInvalid(f"key {key_id!r}: not base64") from None
        if len(key) != KEY_BYTES:
            raise KeyringInvalid(f"key {key_id!r}: {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        if any(key_id == known for known, _ in ring):
            raise KeyringInvalid(f"key {key_id!r} appears twice")
        ring.append((key_id, key))
    if not ring:
        raise KeyringInvalid("no key given")
    return ring


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts and decrypts field values under a key ring; computes blind-index hashes."""

    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @property
    def active_key_id(self) -> str:
        return self.keys[0][0]

    def _kek(self, key_id: str) -> bytes:
        for known, key in self.keys:
            if known == key_id:
                return key
        raise DecryptionFailed(f"the value is wrapped by key {key_id!r}, which is not in SHAFFOF_FIELD_KEYS")

    def encrypt(self, plaintext: str, context: str) -> str:
        key_id, kek = self.keys[0]
        data_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, data_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
        wrapped = wrap_nonce + AESGCM(kek).encrypt(wrap_nonce, data_key, f"dek:{key_id}".encode())
        sealed = data_nonce + AESGCM(data_key).encrypt(data_nonce, plaintext.encode(), context.encode())
        return f"{TOKEN_PREFIX}:{key_id}:{_b64(wrapped)}:{_b64(sealed)}"

    def _open_key(self, token: str) -> tuple[str, bytes, str]:
        parts = token.split(":")
        if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
            raise DecryptionFailed("the stored value is not an encrypted field token")
        _, key_id, wrapped_text, sealed = parts
        wrapped = _unb64(wrapped_text)
        try:
            data_key = AESGCM(self._kek(key_id)).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], f"dek:{key_id}".encode()
            )
        except InvalidTag:
            raise DecryptionFailed(f"the data key does not unwrap under key {key_id!r}") from None
        return key_id, data_key, sealed

    def decrypt(self, token: str, context: str) -> str:
        _, data_key, sealed_text = self._open_key(token)
        sealed = _unb64(sealed_text)
        try:
            return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode()).decode()
        except InvalidTag:
            raise DecryptionFailed(f"the value of {context} was altered or belongs elsewhere") from None

    def needs_rewrap(self, token: str) -> bool:
        return token.split(":", 2)[1] != self.active_key_id

    def rewrap(self, token: str) -> str:
        """The same ciphertext with its data key wrapped by the active key (rotation; content untouched)."""
        key_id, data_key, sealed = self._open_key(token)
        if key_id == self.active_key_id:
            return token
        active_id, kek = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + AESGCM(kek).encrypt(nonce, data_key, f"dek:{active_id}".encode())
        return f"{TOKEN_PREFIX}:{active_id}:{_b64(wrapped)}:{sealed}"

    def blind_index(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 of a normalised value, for equality lookups of an encrypted field."""
        normalised = "".join(value.split()).upper()
        return hmac.new(self.index_key, f"{purpose}:{normalised}".encode(), hashlib.sha256).hexdigest()


class FieldKeys:
    """The field cipher for one configuration, refusing to work in production on development keys."""

    def __init__(
        self, field_keys: str | None, blind_index_key: str | None, *, secret_key: str, production: bool
    ) -> None:
        self.problem: str | None = None
        self._cipher: FieldCipher | None = None
        if field_keys is None or blind_index_key is None:
            if production:
                self.problem = (
                    "SHAFFOF_FIELD_KEYS and SHAFFOF_BLIND_INDEX_KEY must be set in production: personal data is "
                    "encrypted under them (development keys derived from the secret key are refused)."
                )
                log.error("field keys refused", problem=self.problem)
                return
            self.problem = "development field keys derived from the secret key (set SHAFFOF_FIELD_KEYS)"
            log.warning("unsafe configuration", problem=self.problem)
        ring = parse_keyring(field_keys) if field_keys else [("dev", derive_key(secret_key, "field-key"))]
        if blind_index_key:
            index_key = base64.b64decode(blind_index_key, validate=True)
            if len(index_key) < 32:
                raise KeyringInvalid("SHAFFOF_BLIND_INDEX_KEY: at least 32 bytes, base64")
        else:
            index_key = derive_key(secret_key, "blind-index")
        self._cipher = FieldCipher(tuple(ring), index_key)

    def get(self) -> FieldCipher:
        if self._cipher is None:
            raise KeyringInvalid(self.problem or "no field keys")
        return self._cipher
