"""PAdES signatures on PDF files (ETSI EN 319 142-1, baseline B-LT) made with keys that never leave the key store.

A signature is a CMS ``SignedData`` in the PDF's ``/Contents`` with subfilter ``ETSI.CAdES.detached``:

- signed attributes: content type, message digest and **signing-certificate-v2** (ESS, RFC 5035) — and no
  signingTime attribute, which PAdES forbids (the claimed time is the signature dictionary's ``/M``);
- the signature value: ECDSA P-256/SHA-256 from the signer's ``sign(data) -> DER`` (an agency e-seal or an
  officer's platform-held key) — pyHanko sees only an *external* signer (:class:`KeyStoreSigner`);
- an unsigned **signature timestamp** (RFC 3161) over the signature value, from the platform's own TSA called
  in-process (:class:`InProcessTimeStamper`: the same ``TimeStampReq`` → ``TimeStampResp`` exchange as
  ``POST /pki/tsa``, without HTTP);
- the **Document Security Store** (DSS, B-LT) written in the same revision as the signature: the CA, TSA and
  OCSP responder certificates, a fresh OCSP answer from the platform's responder for the signer and the TSA,
  and the root's CRL (for the issuing CA). pyHanko validates the signer's and the TSA's chains against the root
  before signing, with exactly that evidence and no fetching (``allow_fetching=False``): a revoked or unknown
  signer is refused before anything is signed.

The signature covers the whole file (``ENTIRE_FILE``): whatever is appended later is judged by the verifier's
difference analysis (validation data and document timestamps pass, content changes do not).

:func:`sign_pdf` needs no database (tests, benchmarks, other CAs); :func:`sign_with_platform` gathers the
platform's TSA, OCSP and root CRL for it inside the caller's transaction.

pyHanko logs a traceback for every validation problem it meets (an unknown CA, a revoked certificate); such
outcomes are results here, not errors, so :func:`quiet_pyhanko_logs` turns its loggers down to errors without
tracebacks (once, on import).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import sqlalchemy as sa
from asn1crypto import algos, cms, tsp
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
from pyhanko.sign.general import SigningError, as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import ValidationError
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy.orm import Session

from shaffof.errors import Conflict, InvalidInput
from shaffof.pki.models import RevocationList

if TYPE_CHECKING:
    from shaffof.pki.service import Pki

FIELD_NAME = "Signature1"
DIGEST = "sha256"
_MECHANISM = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
_PLACEHOLDER_SIGNATURE = bytes(72)  # the longest DER ECDSA P-256 signature: what a dry run reserves room for
_CONTENTS_MARGIN = 1024  # CMS bytes besides certificates, signature and timestamp: attributes, structure, slack
_T = TypeVar("_T")

# Revocation checking for the chain pyHanko validates before signing (and the verifier after): end-entity
# certificates (the signer, the TSA) must have an answer — the fresh OCSP answers embedded with the signature
# guarantee one. The issuing CA is checked against the root's CRL when one is at hand (the root CRL is re-signed
# on request, so it can be past its nextUpdate on a quiet day) — as verify_jws does not consult it at all.
REVOCATION_POLICY = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
    ),
    # This CA never suspends (certificateHold): a revocation is final, so an answer issued shortly after the
    # signing time speaks for the signing time too.
    retroactive_revinfo=True,
)


class PdfNotSignable(InvalidInput):
    code = "pdf-not-signable"
    title = "The PDF cannot be signed"


class SignerRefused(Conflict):
    """The signer's certificate did not validate before signing (revoked, unknown CA, unfit key usage…)."""

    code = "signer-refused"
    title = "The signing certificate is not valid"


class SigningKey(Protocol):
    """A key with its certificate chain (leaf first) that signs bytes with ECDSA P-256/SHA-256, DER output —
    :class:`shaffof.pki.service.PlatformKey` (an agency e-seal), or an in-memory key in tests."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]: ...

    def sign(self, data: bytes) -> bytes: ...


TsaExchange = Callable[[bytes], bytes]  # DER TimeStampReq → DER TimeStampResp (``Pki.timestamp_response``)


@dataclass(frozen=True)
class RevocationInfo:
    """Revocation evidence to validate the signer's chain with and to embed (DER OCSP responses and CRLs)."""

    ocsp_responses: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class SignatureBox:
    """Where a visible signature sits: page index (0-based) and PDF points, origin at the bottom left."""

    page: int
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class SignatureField:
    """The signature field: invisible (the default — PDF/A needs no appearance for a zero-size field) or
    visible over ``box``, with a transparent appearance framed by a thin border, so what the page itself
    shows there (the decision's signature block) stays readable and opens the signature panel when clicked."""

    name: str = FIELD_NAME
    box: SignatureBox | None = None
    reason: str | None = None
    location: str | None = None


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(_der(certificate))


def run_sync(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run pyHanko's coroutine to completion from synchronous domain code — in a worker thread when this
    thread already runs an event loop (``asyncio.run`` refuses to nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(asyncio.run(coroutine))
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    worker = threading.Thread(target=work, name="pyhanko")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return outcome[0]


# ---------------------------------------------------------------------------------------------- logging


class _NoTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


_NO_TRACEBACKS = _NoTracebacks()
_PYHANKO_LOGGERS = ("pyhanko", "pyhanko_certvalidator")
_levels_set = False


def quiet_pyhanko_logs() -> None:
    """pyHanko and its certificate validator log every validation problem as a warning with a traceback;
    for a verifier those are verdicts. Keep errors only, without tracebacks (an application that configured
    these loggers itself keeps its levels). Idempotent; call again after importing more pyHanko modules (a
    filter covers only the loggers that exist when it is added)."""
    global _levels_set
    if not _levels_set:
        for name in _PYHANKO_LOGGERS:
            parent = logging.getLogger(name)
            if parent.level == logging.NOTSET:
                parent.setLevel(logging.ERROR)
        _levels_set = True
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in _PYHANKO_LOGGERS:
            logger = logging.getLogger(name)
            if _NO_TRACEBACKS not in logger.filters:
                logger.addFilter(_NO_TRACEBACKS)


quiet_pyhanko_logs()


# ---------------------------------------------------------------------------------------------- the signer


@functools.lru_cache(maxsize=1024)
def _signing_certificate_v2(certificate_der: bytes) -> bytes:
    """The DER ``SigningCertificateV2`` naming a certificate by its SHA-256 and issuer/serial (RFC 5035).

    Encoded once per certificate: asn1crypto re-encodes a freshly built nested value (the names inside
    ESSCertIDv2) again for every SET it is sorted into — ~13 ms a signature — but copies a loaded value's
    bytes as they are."""
    value = as_signing_certificate_v2(asn1_x509.Certificate.load(certificate_der), hash_algo=DIGEST)
    return bytes(value.dump())


class _SigningCertificateV2(CMSAttributeProvider):
    attribute_type = "signing_certificate_v2"

    def __init__(self, certificate_der: bytes) -> None:
        self._der = _signing_certificate_v2(certificate_der)

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)


class _PadesSignedAttributes(SignedAttributeProviderSpec):
    """What pyHanko's PAdES profile puts in the signed attributes besides content type and digest: the
    signing-certificate-v2 attribute (and no signingTime: PAdES forbids it)."""

    def __init__(self, certificate_der: bytes) -> None:
        self._provider = _SigningCertificateV2(certificate_der)

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Iterable[CMSAttributeProvider]:
        return (self._provider,)


class KeyStoreSigner(signers.Signer):
    """pyHanko's view of a key it never holds: it hands over the DER signed attributes, ``key.sign`` returns
    the ECDSA-SHA-256 signature over them."""

    def __init__(self, key: SigningKey) -> None:
        leaf_der = _der(key.certificate)
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(leaf_der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in key.chain[1:]]),  # type: ignore[no-untyped-call]
            signature_mechanism=_MECHANISM,
            embed_roots=False,
        )
        self._key = key
        self.signed_attr_prov_spec = _PadesSignedAttributes(leaf_der)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != DIGEST:
            raise SigningError(f"this signer makes ECDSA-SHA-256 signatures, not {digest_algorithm}")
        if dry_run:
            return _PLACEHOLDER_SIGNATURE
        return self._key.sign(data)


# ---------------------------------------------------------------------------------------------- the timestamper

# Dummy tokens pyHanko asks for once per timestamper (to size the signature and to find the TSA's certificates),
# kept per TSA certificate: one real token per signature instead of two.
_DUMMY_TOKENS: OrderedDict[tuple[bytes, str], bytes] = OrderedDict()  # DER; parsed afresh for each signature
_DUMMY_TOKENS_MAX = 16
_dummy_lock = threading.Lock()


class InProcessTimeStamper(TimeStamper):
    """RFC 3161 without HTTP: pyHanko's ``TimeStampReq`` goes to the platform TSA's request handler."""

    def __init__(self, exchange: TsaExchange, *, tsa_certificate: x509.Certificate | None = None) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._exchange = exchange
        self._cache_key = hashlib.sha256(_der(tsa_certificate)).digest() if tsa_certificate is not None else None

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._exchange(req.dump()))

    async def async_dummy_response(self, md_algorithm: str) -> cms.ContentInfo:
        if self._cache_key is None:
            return await super().async_dummy_response(md_algorithm)
        key = (self._cache_key, md_algorithm)
        with _dummy_lock:
            cached = _DUMMY_TOKENS.get(key)
        if cached is None:
            fresh = await super().async_dummy_response(md_algorithm)
            with _dummy_lock:
                _DUMMY_TOKENS[key] = bytes(fresh.dump())
                while len(_DUMMY_TOKENS) > _DUMMY_TOKENS_MAX:
                    _DUMMY_TOKENS.popitem(last=False)
            return fresh
        token = cms.ContentInfo.load(cached)
        # What super() does with a fresh token: remember the TSA's certificates (to validate and embed them).
        self._register_dummy(md_algorithm, token)  # type: ignore[no-untyped-call]
        return token


# ---------------------------------------------------------------------------------------------- signing


def _reservation(key: SigningKey, dummy_token: cms.ContentInfo | None) -> int:
    """Room for the CMS in ``/Contents``, in hex digits: the certificates, the signed attributes and the
    signature, the timestamp token (as large as the dummy one), and a margin."""
    size = sum(len(_der(c)) for c in key.chain) + len(_PLACEHOLDER_SIGNATURE) + _CONTENTS_MARGIN
    if dummy_token is not None:
        size += len(dummy_token.dump())  # real tokens differ by a few bytes (serial number, nonce): the margin
    return 2 * size


async def _sign(
    pdf: bytes,
    key: SigningKey,
    *,
    validation_context: ValidationContext,
    timestamper: TimeStamper,
    field: SignatureField,
    at: dt.datetime,
) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name=field.name,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=field.reason,
        location=field.location,
        embed_validation_info=True,
        validation_context=validation_context,
        signer_key_usage={"digital_signature", "non_repudiation"},
        # The DSS goes into the signature's own revision: the signature covers the entire file.
        dss_settings=DSSContentSettings(include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE),
    )
    box = field.box
    field_spec = fields.SigFieldSpec(
        field.name,
        on_page=box.page if box else 0,
        box=(box.x1, box.y1, box.x2, box.y2) if box else None,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        KeyStoreSigner(key),
        timestamper=timestamper,
        stamp_style=StaticStampStyle(border_width=1) if box else None,
        new_field_spec=field_spec,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as error:
        raise PdfNotSignable(f"The file is not a PDF that can be signed: {error}") from None
    # pyHanko's sign_pdf, step by step, to set the signing time (/M) from the platform's clock and the space
    # for the signature without a trial signature.
    session = pdf_signer.init_signing_session(writer)
    session.system_time = at
    try:
        validation = await session.perform_presign_validation(writer)
    except (SigningError, ValidationError) as error:
        raise SignerRefused(
            f"The signing certificate (or the time-stamping authority's) does not validate: {error}"
        ) from None
    dummy = await timestamper.async_dummy_response(DIGEST)
    prepared = session.prepare_tbs_document(validation_info=validation, bytes_reserved=_reservation(key, dummy))
    digested, output = prepared.digest_tbs_document()
    signed = await prepared.perform_signature(
        document_digest=digested.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(
            signing_time=at,
            adobe_revinfo_attr=None if validation is None else validation.adobe_revinfo_attr,
        ),
    )
    await signed.post_signature_processing(output)
    assert isinstance(output, io.BytesIO)
    return output.getvalue()


def sign_pdf(
    pdf: bytes,
    key: SigningKey,
    *,
    trust_roots: Sequence[x509.Certificate],
    timestamp: TsaExchange,
    revocation: RevocationInfo,
    at: dt.datetime,
    field: SignatureField = SignatureField(),
    tsa_certificate: x509.Certificate | None = None,
) -> bytes:
    """PAdES B-LT-sign ``pdf`` with ``key``; the signed file.

    ``trust_roots``: the root(s) the signer's chain must lead to (checked before signing, with ``revocation``
    and no fetching; :class:`SignerRefused` otherwise). ``timestamp``: the TSA request handler.
    ``at``: the signing time written to ``/M`` and the moment of the pre-signing validation.
    ``tsa_certificate``: lets the TSA's size-estimation token be reused across signatures.
    """
    context = ValidationContext(
        trust_roots=[_asn1(root) for root in trust_roots],
        other_certs=[_asn1(c) for c in key.chain[1:]],
        ocsps=list(revocation.ocsp_responses),
        crls=list(revocation.crls),
        allow_fetching=False,
        moment=at,
        revinfo_policy=REVOCATION_POLICY,
    )
    timestamper = InProcessTimeStamper(timestamp, tsa_certificate=tsa_certificate)
    return run_sync(_sign(pdf, key, validation_context=context, timestamper=timestamper, field=field, at=at))


# ---------------------------------------------------------------------------------------------- the platform's


def ocsp_request(certificates: Sequence[x509.Certificate], issuer: x509.Certificate) -> bytes:
    """A DER OCSP request for certificates of one issuer, answered in one response (SHA-1 CertIDs, as RFC 6960
    clients send; pyca/cryptography's builder takes one certificate per request). No nonce: the same request
    for the same certificates (memoised)."""
    return _ocsp_request(tuple(c.serial_number for c in certificates), _der(issuer))


@functools.lru_cache(maxsize=256)
def _ocsp_request(serial_numbers: tuple[int, ...], issuer_der: bytes) -> bytes:
    issuer_asn1 = asn1_x509.Certificate.load(issuer_der)
    name_hash = hashlib.sha1(issuer_asn1.subject.dump()).digest()  # noqa: S324 - the RFC 6960 CertID hash
    key_hash = hashlib.sha1(issuer_asn1.public_key["public_key"].contents[1:]).digest()  # noqa: S324
    request = asn1_ocsp.OCSPRequest(
        {
            "tbs_request": {
                "request_list": [
                    {
                        "req_cert": {
                            "hash_algorithm": {"algorithm": "sha1"},
                            "issuer_name_hash": name_hash,
                            "issuer_key_hash": key_hash,
                            "serial_number": serial_number,
                        }
                    }
                    for serial_number in serial_numbers
                ]
            }
        }
    )
    return bytes(request.dump())


def platform_revocation_info(pki: Pki, session: Session, key: SigningKey) -> RevocationInfo:
    """A fresh OCSP answer for the signer and the TSA from the platform's responder, and the root's newest CRL
    (for the issuing CA) while it is current — read in ``session``; nothing is written.

    The issuing CA's CRL is not embedded: the OCSP answer covers its end-entity certificates, and that CRL
    grows with every revocation (it would be parsed, validated and copied into every decision)."""
    hierarchy = pki.hierarchy(session)
    request = ocsp_request([key.certificate, hierarchy.tsa.certificate], hierarchy.issuing.certificate)
    answer = pki.ocsp_response(request)
    newest = session.execute(
        sa.select(RevocationList.der, RevocationList.next_update)
        .where(RevocationList.issuer_serial == hierarchy.root.serial)
        .order_by(RevocationList.number.desc())
        .limit(1)
    ).first()
    current = newest is not None and _aware(newest.next_update) > pki.clock()
    return RevocationInfo(ocsp_responses=(answer,), crls=(newest.der,) if newest is not None and current else ())


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def sign_with_platform(
    pki: Pki,
    session: Session,
    pdf: bytes,
    key: SigningKey,
    *,
    field: SignatureField = SignatureField(),
) -> bytes:
    """PAdES B-LT-sign ``pdf`` with a platform-held key: the platform's TSA timestamps it, its OCSP responder
    and root CRL provide the embedded revocation information, and its root is the trust anchor. Runs in the
    caller's transaction (``session``: the root CRL is read there); the OCSP and TSA answers are made as for
    ``POST /pki/ocsp`` and ``POST /pki/tsa``, in-process, each in a read session of its own."""
    hierarchy = pki.hierarchy(session)
    return sign_pdf(
        pdf,
        key,
        trust_roots=[root.certificate for root in hierarchy.known_roots] or [hierarchy.root.certificate],
        timestamp=pki.timestamp_response,
        revocation=platform_revocation_info(pki, session, key),
        at=pki.clock().astimezone(dt.UTC).replace(microsecond=0),
        field=field,
        tsa_certificate=hierarchy.tsa.certificate,
    )
