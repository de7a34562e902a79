"""HTTP adapters of the PKI: public CA endpoints, the certificate API, TOTP step-up enrolment, verification.

Routes parse, call one :class:`~shaffof.pki.service.Pki` operation and render; rules live in the service.
Mount ``public_router`` at the root (``/pki/…``: RFC 5280/6960/3161 clients expect fixed paths) and the
others under ``/api/v1``.
"""

from __future__ import annotations

from typing import Annotated

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from shaffof.errors import DomainError, FieldError
from shaffof.pki import ocsp, tsa
from shaffof.pki.models import IssuanceStatus
from shaffof.pki.profiles import CertificateKind
from shaffof.pki.schemas import (
    CertificatePublic,
    CertificateRequest,
    CloudKeyCreate,
    CloudSignature,
    CloudSignRequest,
    RevokeRequest,
    RotationRequest,
    TotpConfirm,
    TotpEnrolmentPublic,
    VerificationReport,
)
from shaffof.pki.service import Pki, verification_report
from shaffof.web.deps import MAX_INTEGER, CurrentActor, PlatformDep

PEM = "application/x-pem-file"
DER_CERTIFICATE = "application/pkix-cert"
DER_CRL = "application/pkix-crl"
MAX_PROTOCOL_BODY = 16_384


class WrongMediaType(DomainError):
    status = 415
    code = "wrong-media-type"
    title = "Unsupported media type"


class FileTooLarge(DomainError):
    status = 413
    code = "file-too-large"
    title = "The file is too large"


def get_pki(platform: PlatformDep) -> Pki:
    return platform.pki


PkiDep = Annotated[Pki, Depends(get_pki)]

public_router = APIRouter(prefix="/pki", tags=["pki (public)"])
router = APIRouter(prefix="/pki", tags=["pki"])
auth_router = APIRouter(prefix="/auth/totp", tags=["auth"])
verify_router = APIRouter(tags=["verification"])


def _binary(body: bytes, media_type: str, *, cache_seconds: int | None = None) -> Response:
    headers = {"Cache-Control": f"public, max-age={cache_seconds}"} if cache_seconds else {"Cache-Control": "no-store"}
    return Response(content=body, media_type=media_type, headers=headers)


# ---------------------------------------------------------------------------- public: /pki/…


@public_router.get("/ca.pem", response_class=Response, responses={200: {"content": {PEM: {}}}})
def root_pem(pki: PkiDep) -> Response:
    """The root CA certificate: the one file an offline verifier needs (``shaffof verify FILE --ca ca.pem``)."""
    return _binary(pki.ca_certificates()[0].public_bytes(Encoding.PEM), PEM, cache_seconds=3600)


@public_router.get("/ca.der", response_class=Response, responses={200: {"content": {DER_CERTIFICATE: {}}}})
def root_der(pki: PkiDep) -> Response:
    return _binary(pki.ca_certificates()[0].public_bytes(Encoding.DER), DER_CERTIFICATE, cache_seconds=3600)


@public_router.get("/issuing-ca.der", response_class=Response, responses={200: {"content": {DER_CERTIFICATE: {}}}})
def issuing_der(pki: PkiDep) -> Response:
    """The issuing CA certificate (the caIssuers address in end-entity certificates)."""
    return _binary(pki.ca_certificates()[1].public_bytes(Encoding.DER), DER_CERTIFICATE, cache_seconds=3600)


@public_router.get("/chain.pem", response_class=Response, responses={200: {"content": {PEM: {}}}})
def chain_pem(pki: PkiDep) -> Response:
    """The issuing CA and the root, PEM (for ``openssl verify -CAfile``)."""
    root, issuing = pki.ca_certificates()
    return _binary(issuing.public_bytes(Encoding.PEM) + root.public_bytes(Encoding.PEM), PEM, cache_seconds=3600)


@public_router.get("/crl.der", response_class=Response, responses={200: {"content": {DER_CRL: {}}}})
def crl(pki: PkiDep) -> Response:
    """The issuing CA's current CRL (re-signed on every revocation)."""
    return _binary(pki.crl(), DER_CRL)


@public_router.get("/issuing/{serial}/crl.der", response_class=Response, responses={200: {"content": {DER_CRL: {}}}})
def issuing_crl(serial: str, pki: PkiDep) -> Response:
    """The CRL of one issuing CA: every certificate names its own CA's (several coexist after a rotation)."""
    return _binary(pki.crl(issuer_serial=serial), DER_CRL)


@public_router.get(
    "/issuing/{serial}/ca.der", response_class=Response, responses={200: {"content": {DER_CERTIFICATE: {}}}}
)
def issuing_ca(serial: str, pki: PkiDep) -> Response:
    """One issuing CA's certificate (the caIssuers address in the certificates it issued)."""
    return _binary(pki.issuing_ca_der(serial), DER_CERTIFICATE, cache_seconds=3600)


@public_router.get("/root-crl.der", response_class=Response, responses={200: {"content": {DER_CRL: {}}}})
def root_crl(pki: PkiDep) -> Response:
    """The root's CRL (revoked CA certificates)."""
    return _binary(pki.crl(root=True), DER_CRL)


async def _protocol_body(request: Request, media_type: str) -> bytes:
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if sent != media_type:
        raise WrongMediaType(f"Send the request as {media_type} (DER), not {sent or 'no content type'}.")
    body = await request.body()
    if len(body) > MAX_PROTOCOL_BODY:
        raise FileTooLarge(f"The request is larger than {MAX_PROTOCOL_BODY:,} bytes.")
    return body


@public_router.post(
    "/ocsp",
    response_class=Response,
    openapi_extra={
        "requestBody": {"content": {ocsp.MEDIA_REQUEST: {"schema": {"type": "string", "format": "binary"}}}}
    },
    responses={200: {"content": {ocsp.MEDIA_RESPONSE: {}}}},
)
async def ocsp_responder(request: Request, pki: PkiDep) -> Response:
    """RFC 6960 OCSP over HTTP POST: a DER OCSPRequest in, a signed DER OCSPResponse out."""
    body = await _protocol_body(request, ocsp.MEDIA_REQUEST)
    return _binary(await run_in_threadpool(pki.ocsp_response, body), ocsp.MEDIA_RESPONSE)


@public_router.post(
    "/tsa",
    response_class=Response,
    openapi_extra={"requestBody": {"content": {tsa.MEDIA_QUERY: {"schema": {"type": "string", "format": "binary"}}}}},
    responses={200: {"content": {tsa.MEDIA_REPLY: {}}}},
)
async def time_stamping(request: Request, pki: PkiDep) -> Response:
    """RFC 3161 over HTTP: a DER TimeStampReq in, a DER TimeStampResp out (verify with ``openssl ts -verify``)."""
    body = await _protocol_body(request, tsa.MEDIA_QUERY)
    return _binary(await run_in_threadpool(pki.timestamp_response, body), tsa.MEDIA_REPLY)


# ---------------------------------------------------------------------------- /api/v1/pki/…


@router.post("/certificates", response_model=CertificatePublic, status_code=201)
def request_certificate(body: CertificateRequest, actor: CurrentActor, pki: PkiDep) -> CertificatePublic:
    """Certify the key of a CSR for the signed-in citizen or officer; the subject comes from their record."""
    return pki.request_certificate(actor, body.csr)


@router.get("/certificates", response_model=list[CertificatePublic])
def list_certificates(
    actor: CurrentActor,
    pki: PkiDep,
    kind: CertificateKind | None = None,
    status: IssuanceStatus | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_INTEGER),
) -> list[CertificatePublic]:
    """Your certificates (administrators and auditors: all), newest first."""
    return pki.list_certificates(actor, kind=kind, status=status, limit=limit, offset=offset)


@router.get("/certificates/{serial}", response_model=CertificatePublic)
def get_certificate(serial: str, actor: CurrentActor, pki: PkiDep) -> CertificatePublic:
    return pki.get_certificate(actor, serial)


@router.post("/certificates/{serial}/renew", response_model=CertificatePublic, status_code=201)
def renew(serial: str, actor: CurrentActor, pki: PkiDep) -> CertificatePublic:
    """Extend the certificate (same key, new validity); ZRU-793 allows two extensions."""
    return pki.renew(actor, serial)


@router.post("/certificates/{serial}/revoke", response_model=CertificatePublic)
def revoke(serial: str, actor: CurrentActor, pki: PkiDep, body: RevokeRequest | None = None) -> CertificatePublic:
    """Revoke at once; the CRL and OCSP answers reflect it immediately."""
    return pki.revoke(actor, serial, (body or RevokeRequest()).reason)


@router.post("/rotations", response_model=CertificatePublic, status_code=201)
def rotate(body: RotationRequest, actor: CurrentActor, pki: PkiDep) -> CertificatePublic:
    """A new issuing CA, TSA or OCSP responder (administrators); the old one keeps verifying what it signed."""
    return pki.rotate(actor, body.kind)


@router.post("/cloud-keys", response_model=CertificatePublic, status_code=201)
def create_cloud_key(body: CloudKeyCreate, actor: CurrentActor, pki: PkiDep) -> CertificatePublic:
    """A signing key kept sealed by the platform (cloud signature, ZRU-793), after a TOTP step-up."""
    return pki.create_cloud_key(actor, body.totp)


@router.post("/cloud-sign", response_model=CloudSignature)
def cloud_sign(body: CloudSignRequest, actor: CurrentActor, pki: PkiDep) -> CloudSignature:
    """Sign a JSON payload with your cloud key; every signing act needs a fresh TOTP code."""
    return pki.cloud_sign(actor, body.payload, body.totp, timestamp=body.timestamp)


# ---------------------------------------------------------------------------- /api/v1/auth/totp/…


@auth_router.post("/enrol", response_model=TotpEnrolmentPublic, status_code=201)
def enrol_totp(actor: CurrentActor, pki: PkiDep) -> TotpEnrolmentPublic:
    """Start TOTP enrolment: add the secret to an authenticator app, then confirm with a code."""
    return pki.enrol_totp(actor)


@auth_router.post("/confirm", status_code=204)
def confirm_totp(body: TotpConfirm, actor: CurrentActor, pki: PkiDep) -> None:
    pki.confirm_totp(actor, body.code)


# ---------------------------------------------------------------------------- /api/v1/verify


@verify_router.post("/verify", response_model=VerificationReport)
def verify(file: UploadFile, pki: PkiDep, platform: PlatformDep) -> VerificationReport:
    """Verify a signed file (JWS, compact or JSON; PDF once available): anyone may, no sign-in needed."""
    limit = platform.settings.max_document_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(
            f"The file is larger than the limit of {limit:,} bytes.", errors=[FieldError("file", "too large")]
        )
    return verification_report(pki.verify_document(data))
