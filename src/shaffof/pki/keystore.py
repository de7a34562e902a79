"""The database key store: P-256 private keys sealed under ``SHAFFOF_PKI_PASSPHRASE`` in ``pki_keys``.

Keys are generated here and signed with here; callers never see private key objects, so a PKCS#11 module
can take this store's place (docs/pki.md). Opened platform keys (CA, TSA, OCSP responder, e-seals) are kept
in memory after first use; cloud keys of citizens are opened for each signing act and dropped. Callers give
each key a label that is never reused (a UUID in it), so a cached key can never stand for another one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from shaffof.pki._internal.sealing import Sealer
from shaffof.pki.errors import KeyExists, KeyNotFound
from shaffof.pki.models import StoredKey

CLOUD_PREFIX = "cloud/"
_CACHE_SIZE = 64


def _spki(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class DatabaseKeyStore:
    """``KeyStore`` over the ``pki_keys`` table (see :class:`shaffof.pki.interfaces.KeyStore`)."""

    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase
        self._sealer_instance: Sealer | None = None  # derived on first use (scrypt, ~0.1 s)
        self._opened: OrderedDict[str, ec.EllipticCurvePrivateKey] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def _sealer(self) -> Sealer:
        if self._sealer_instance is None:
            self._sealer_instance = Sealer(self._passphrase)
        return self._sealer_instance

    def generate(self, session: Session, label: str) -> ec.EllipticCurvePublicKey:
        if session.get(StoredKey, label) is not None:
            raise KeyExists(f"A key labelled {label!r} already exists.")
        private_key = ec.generate_private_key(ec.SECP256R1())
        pkcs8 = private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public_key = private_key.public_key()
        session.add(
            StoredKey(label=label, public_key=_spki(public_key), sealed_private_key=self._sealer.seal(label, pkcs8))
        )
        session.flush()
        with self._lock:
            self._opened.pop(label, None)
        return public_key

    def public_key(self, session: Session, label: str) -> ec.EllipticCurvePublicKey:
        spki = session.scalar(sa.select(StoredKey.public_key).where(StoredKey.label == label))
        if spki is None:
            raise KeyNotFound(f"No key labelled {label!r} in the key store.")
        key = serialization.load_der_public_key(spki)
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key

    def sign(self, session: Session, label: str, data: bytes) -> bytes:
        return self._private_key(session, label).sign(data, ec.ECDSA(hashes.SHA256()))

    def destroy(self, session: Session, label: str) -> None:
        session.execute(sa.delete(StoredKey).where(StoredKey.label == label))
        with self._lock:
            self._opened.pop(label, None)

    def _private_key(self, session: Session, label: str) -> ec.EllipticCurvePrivateKey:
        with self._lock:
            cached = self._opened.get(label)
            if cached is not None:
                self._opened.move_to_end(label)
                return cached
        sealed = session.scalar(sa.select(StoredKey.sealed_private_key).where(StoredKey.label == label))
        if sealed is None:
            raise KeyNotFound(f"No key labelled {label!r} in the key store.")
        key = serialization.load_der_private_key(self._sealer.open(label, sealed), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyNotFound(f"The key labelled {label!r} is not an EC key.")
        if not label.startswith(CLOUD_PREFIX):
            with self._lock:
                self._opened[label] = key
                while len(self._opened) > _CACHE_SIZE:
                    self._opened.popitem(last=False)
        return key
