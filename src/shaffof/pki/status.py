"""Where revocation status comes from: the issuance register (database), a CRL file, or a fixed table.

All implement :class:`shaffof.pki.interfaces.CertificateStatusSource`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy.orm import Session

from shaffof.pki.interfaces import GOOD, RevocationState, RevocationStatus
from shaffof.pki.models import IssuanceStatus, IssuedCertificate

UNKNOWN = RevocationStatus(RevocationState.unknown)


def serial_text(serial_number: int) -> str:
    return format(serial_number, "x")


class DatabaseStatusSource:
    """The platform's own register: authoritative for everything its CAs issued."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def status(self, issuer: x509.Certificate, serial_number: int) -> RevocationStatus | None:
        row = self._session.execute(
            sa.select(
                IssuedCertificate.issuer_serial,
                IssuedCertificate.status,
                IssuedCertificate.revoked_at,
                IssuedCertificate.revocation_reason,
            ).where(IssuedCertificate.serial == serial_text(serial_number))
        ).first()
        if row is None:
            known_issuer = self._session.scalar(
                sa.select(IssuedCertificate.serial).where(IssuedCertificate.serial == serial_text(issuer.serial_number))
            )
            return UNKNOWN if known_issuer is not None else None
        issuer_serial, status, revoked_at, reason = row
        if issuer_serial != serial_text(issuer.serial_number):
            return UNKNOWN
        if status is IssuanceStatus.revoked:
            return RevocationStatus(
                RevocationState.revoked, revoked_at=revoked_at, reason=reason.value if reason else None
            )
        return GOOD


class CrlStatusSource:
    """Status from CRLs (offline verification): a CRL counts only for the issuer whose key signed it."""

    def __init__(self, crls: Sequence[x509.CertificateRevocationList]) -> None:
        self._crls = list(crls)

    def status(self, issuer: x509.Certificate, serial_number: int) -> RevocationStatus | None:
        public_key = issuer.public_key()
        for crl in self._crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(public_key):  # type: ignore[arg-type]
                continue
            entry = crl.get_revoked_certificate_by_serial_number(serial_number)
            if entry is None:
                return GOOD
            reason: str | None = None
            try:
                reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
            except x509.ExtensionNotFound:
                reason = None
            return RevocationStatus(RevocationState.revoked, revoked_at=entry.revocation_date_utc, reason=reason)
        return None


class FixedStatusSource:
    """A fixed table of revocations by (issuer serial, serial); every other certificate is good. For tests,
    benchmarks and callers that already hold a status answer."""

    def __init__(self, revoked: Mapping[tuple[int, int], dt.datetime] | None = None) -> None:
        self._revoked = dict(revoked or {})

    def status(self, issuer: x509.Certificate, serial_number: int) -> RevocationStatus | None:
        revoked_at = self._revoked.get((issuer.serial_number, serial_number))
        if revoked_at is None:
            return GOOD
        return RevocationStatus(RevocationState.revoked, revoked_at=revoked_at, reason="unspecified")
