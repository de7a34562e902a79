"""Pydantic schemas of the PKI API (requests in, public views out)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shaffof.pki.models import IssuanceStatus, RevocationReason
from shaffof.pki.profiles import CertificateKind, KeyCustody
from shaffof.pki.verify import CertificateStatus, FailureReason

TotpCode = Field(pattern=r"^\d{6}$", description="the current 6-digit code of the authenticator app")


class CertificateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csr: str = Field(
        min_length=1,
        max_length=16_384,
        description="a PKCS#10 request (PEM) for an ECDSA P-256 key; its subject is ignored — the certificate "
        "names you as the platform's records do",
    )


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: RevocationReason = RevocationReason.unspecified


class CertificatePublic(BaseModel):
    serial: str = Field(description="hexadecimal")
    kind: CertificateKind
    subject: str
    custody: KeyCustody
    status: IssuanceStatus
    not_before: dt.datetime
    not_after: dt.datetime
    renewals: int
    renewed_from: str | None
    revoked_at: dt.datetime | None
    revocation_reason: RevocationReason | None
    certificate_pem: str
    chain_pem: str = Field(description="this certificate and the issuing CA's, for x5c or a PKCS#7 bundle")


class TotpEnrolmentPublic(BaseModel):
    secret: str = Field(description="base32; shown once")
    otpauth_uri: str


class TotpConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = TotpCode


class CloudKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    totp: str = TotpCode


class CloudSignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: Any = Field(description="the JSON value to sign; its RFC 8785 canonical form is what is signed")
    totp: str = TotpCode
    timestamp: bool = Field(default=False, description="attach an RFC 3161 timestamp (flattened JSON JWS)")


class CloudSignature(BaseModel):
    jws: str
    certificate_serial: str
    signing_time: dt.datetime


class SignerPublic(BaseModel):
    name: str
    kind: CertificateKind | None
    pinfl: str | None
    organization: str | None
    agency: str | None
    certificate_serial: str


class VerificationReport(BaseModel):
    """One verdict, and everything it rests on."""

    verdict: Literal["valid", "invalid"]
    summary: str
    format: str
    reason: FailureReason | None = None
    detail: str | None = None
    signer: SignerPublic | None = None
    signing_time: dt.datetime | None = Field(default=None, description="claimed by the signer")
    timestamp: dt.datetime | None = Field(default=None, description="proven by an RFC 3161 timestamp token")
    certificate_status: CertificateStatus | None = None
    revoked_at: dt.datetime | None = None
    integrity: Literal["intact", "altered", "not checked"]


class HierarchyPublic(BaseModel):
    root: CertificatePublic
    issuing: CertificatePublic
    tsa: CertificatePublic
    ocsp_responder: CertificatePublic


class RotationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal[CertificateKind.issuing_ca, CertificateKind.tsa, CertificateKind.ocsp_responder] = Field(
        description="the authority to give a new key and certificate"
    )
