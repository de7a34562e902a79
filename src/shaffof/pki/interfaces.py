"""Contracts of the PKI's pluggable parts: where private keys live, and who knows whether a certificate is revoked.

Which implementation runs is decided by the composition root (``Platform.build``); code that signs or
verifies depends only on these protocols. ``tests/unit/pki/test_contracts.py`` checks every implementation
against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session


@runtime_checkable
class KeyStore(Protocol):
    """Private keys that never leave the store: it generates them, tells their public half and signs with them.

    Keys are ECDSA on P-256 and every signature is ECDSA with SHA-256 over the given bytes, DER-encoded
    (``Ecdsa-Sig-Value``, RFC 3279) — the form X.509, CMS and OCSP carry. A store that keeps keys in the
    database writes them in the caller's transaction (``session``); a hardware module ignores the session.
    Labels are opaque text such as ``ca/issuing/1`` or ``cloud/42/5f0c…``.
    """

    def generate(self, session: Session, label: str) -> ec.EllipticCurvePublicKey:
        """Create a new key pair under ``label`` and return its public key; an existing label is refused."""
        ...

    def public_key(self, session: Session, label: str) -> ec.EllipticCurvePublicKey:
        """The public key of ``label``; ``KeyNotFound`` if there is none."""
        ...

    def sign(self, session: Session, label: str, data: bytes) -> bytes:
        """ECDSA-SHA-256 signature of ``data`` with the key ``label``, DER-encoded."""
        ...

    def destroy(self, session: Session, label: str) -> None:
        """Erase the key for good (a revoked cloud key); unknown labels are ignored."""
        ...


class RevocationState(StrEnum):
    good = "good"  # issued by this CA and not revoked
    revoked = "revoked"
    unknown = "unknown"  # the source does not know this certificate (never issued by this CA)


@dataclass(frozen=True)
class RevocationStatus:
    state: RevocationState
    revoked_at: dt.datetime | None = None
    reason: str | None = None


GOOD = RevocationStatus(RevocationState.good)


class CertificateStatusSource(Protocol):
    """Tells whether a certificate is revoked: the database, a CRL file, or an OCSP answer."""

    def status(self, issuer: x509.Certificate, serial_number: int) -> RevocationStatus | None:
        """The status of the certificate ``serial_number`` issued by ``issuer``; None when this source
        cannot tell at all (it has no information about that issuer)."""
        ...
