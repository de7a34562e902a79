"""Tables of the PKI: issued certificates (the issuance register), revocation lists, sealed keys, TOTP factors."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy.orm import Mapped, mapped_column

from shaffof.db.base import Base, enum_type, utcnow
from shaffof.pki.profiles import CertificateKind, KeyCustody

SERIAL = sa.String(40)  # certificate serial numbers as lowercase hex (RFC 5280: at most 20 octets)


class IssuanceStatus(StrEnum):
    active = "active"
    revoked = "revoked"


class RevocationReason(StrEnum):
    """The RFC 5280 §5.3.1 reason codes a holder or an administrator may give."""

    unspecified = "unspecified"
    key_compromise = "key_compromise"
    affiliation_changed = "affiliation_changed"
    superseded = "superseded"
    cessation_of_operation = "cessation_of_operation"
    privilege_withdrawn = "privilege_withdrawn"

    @property
    def flag(self) -> x509.ReasonFlags:
        return x509.ReasonFlags[self.value]


class IssuedCertificate(Base):
    """Every certificate the platform's CAs issued — the register that CRLs and OCSP answers are made from."""

    __tablename__ = "pki_certificates"
    __table_args__ = (
        sa.Index("ix_pki_certificates_kind_not_before", "kind", "not_before"),
        # The CRL is re-made from the revoked, unexpired certificates of one issuer on every revocation.
        sa.Index("ix_pki_certificates_crl", "issuer_serial", "status", "not_after"),
        sa.CheckConstraint("renewals >= 0", name="renewals_not_negative"),
        sa.CheckConstraint("status <> 'revoked' OR revoked_at IS NOT NULL", name="revoked_has_time"),
    )

    serial: Mapped[str] = mapped_column(SERIAL, primary_key=True)
    issuer_serial: Mapped[str | None] = mapped_column(SERIAL, sa.ForeignKey("pki_certificates.serial"))
    kind: Mapped[CertificateKind] = mapped_column(enum_type(CertificateKind, 16))
    subject: Mapped[str] = mapped_column(sa.String(1000))  # RFC 4514 text
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    custody: Mapped[KeyCustody] = mapped_column(enum_type(KeyCustody, 16))
    key_label: Mapped[str | None] = mapped_column(sa.String(200), index=True)  # KeyStore label, platform-held keys
    public_key_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)  # SHA-256 of SubjectPublicKeyInfo
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    status: Mapped[IssuanceStatus] = mapped_column(enum_type(IssuanceStatus, 16), default=IssuanceStatus.active)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[RevocationReason | None] = mapped_column(enum_type(RevocationReason, 32))
    renewals: Mapped[int] = mapped_column(default=0)  # ZRU-793: at most two extensions
    # Unique: a certificate is extended at most once, so renewals form a chain, never a tree.
    renewed_from: Mapped[str | None] = mapped_column(SERIAL, sa.ForeignKey("pki_certificates.serial"), unique=True)
    der: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RevocationList(Base):
    """Each CRL an issuer signed; the newest is served. CRL numbers grow per issuer (RFC 5280 §5.2.3)."""

    __tablename__ = "pki_crls"

    issuer_serial: Mapped[str] = mapped_column(SERIAL, sa.ForeignKey("pki_certificates.serial"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    this_update: Mapped[dt.datetime]
    next_update: Mapped[dt.datetime]
    der: Mapped[bytes] = mapped_column(sa.LargeBinary)


class StoredKey(Base):
    """A private key of the database key store, sealed under the PKI passphrase (``_internal/sealing.py``)."""

    __tablename__ = "pki_keys"

    label: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)  # SubjectPublicKeyInfo, DER
    sealed_private_key: Mapped[bytes] = mapped_column(sa.LargeBinary)  # PKCS#8 DER, sealed
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TotpFactor(Base):
    """An account's TOTP second factor (RFC 6238), the step-up for cloud signing.

    Kept here while identity has no MFA of its own; the table moves to identity unchanged when it does.
    ``last_used_step`` makes each code single-use: a signing act needs a code nobody has used before.
    """

    __tablename__ = "totp_factors"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    sealed_secret: Mapped[bytes] = mapped_column(sa.LargeBinary)
    confirmed_at: Mapped[dt.datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
