"""Verifying PAdES-signed PDFs: pyHanko's validator, the platform's trust anchors, the verdicts of verify.py.

``verify_pdf(data, context, at)`` is registered as ``DOCUMENT_VERIFIERS["pdf"]`` (pki/service.py), so
``POST /api/v1/verify``, ``shaffof verify FILE`` (online, and offline with ``--ca``) and ``Pki.verify_document``
accept PDFs. It answers with the same :class:`VerificationSuccess` / falsy :class:`VerificationFailure` as
``verify_jws`` (``format="pdf"``), and applies the same rules (ZRU-793: authentic, certificate valid, used for
its purpose), in this order:

1. the file parses and carries at least one signature (``/Sig``) — otherwise ``malformed``;
2. **integrity** (pyHanko): the signed byte ranges hash to the signed digest and the signature verifies under
   the signer's certificate; the signature covers the entire file, or what was appended later is only
   validation data, document timestamps or further signatures (pyHanko's difference analysis) — otherwise
   ``signature_invalid`` with integrity *altered*;
3. the signature **timestamp** (RFC 3161, unsigned attribute) verifies and its TSA chains to a trusted root —
   otherwise ``timestamp_invalid``; its time is the *trusted time*, else the time of verification;
4. the signer's **chain** leads to a trusted root (``unknown_ca``, ``chain_invalid``), the certificate is a
   signing certificate with a Shaffof signer policy, it was valid at the claimed and the trusted time —
   verify.py's own checks, shared with JWS;
5. pyHanko validates the chain at the trusted time with the revocation information embedded in the file's DSS
   (B-LT; nothing is fetched): with a timestamp and embedded OCSP/CRLs, the signer must have been *proven*
   unrevoked then;
6. the **current status** from the verification context (the issuance register online, CRLs given offline):
   revoked before the trusted time is ``revoked``; revoked *after* a timestamped signature leaves it valid, and
   the result says when (``certificate_status=revoked``, ``revoked_at``). Offline without CRLs, a B-LT
   signature's embedded, validated evidence stands for ``good`` (at the signing time).

A file with several signatures is valid when every one is; the result describes the first (the decision's).
pyHanko (~0.4 s to import) is loaded with the first PDF, not with every ``shaffof`` command.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509

from shaffof.observability import get_logger
from shaffof.pki.chain import facts
from shaffof.pki.interfaces import GOOD, CertificateStatusSource, RevocationStatus
from shaffof.pki.verify import (
    PUBLIC_POLICY,
    CertificateStatus,
    FailureReason,
    Signer,
    VerificationFailure,
    VerificationResult,
    VerificationSuccess,
    _check_path,
    _check_purpose,
    _check_revocation,
    _check_time,
    _Refused,
)

if TYPE_CHECKING:
    from asn1crypto import cms
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import PdfSignatureStatus

    from shaffof.pki.service import VerificationContext

FORMAT = "pdf"
MAX_SIGNATURES = 8

log = get_logger("shaffof.pki.pdf")


class _Malformed(Exception):
    pass


@dataclass(frozen=True)
class _Embedded:
    """What the file's Document Security Store holds (DER)."""

    certificates: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()

    @property
    def has_revocation_info(self) -> bool:
        return bool(self.ocsp_responses or self.crls)


class _EvidenceOrRegister:
    """The verification context's status source first; where it has no answer (offline without CRLs), the
    revocation information embedded in the file, as pyHanko validated it: good at the signing time."""

    def __init__(self, status: CertificateStatusSource | None, *, embedded_good: bool) -> None:
        self._status = status
        self._embedded_good = embedded_good

    def status(self, issuer: x509.Certificate, serial_number: int) -> RevocationStatus | None:
        answer = self._status.status(issuer, serial_number) if self._status is not None else None
        if answer is None and self._embedded_good:
            return GOOD
        return answer


def verify_pdf(data: bytes, context: VerificationContext, at: dt.datetime) -> VerificationResult:
    """Verify every signature of a PDF at ``at`` against ``context``'s trust anchors and status source."""
    try:
        signatures, embedded = _read(data)
    except _Malformed as error:
        return VerificationFailure(FailureReason.malformed, f"Not a readable signed PDF: {error}.", format=FORMAT)
    except Exception as error:  # untrusted input: whatever the parsers choke on (zlib, decimal, asn1…) is malformed
        _unreadable("pdf", error)
        return VerificationFailure(FailureReason.malformed, f"Not a readable signed PDF: {error}.", format=FORMAT)
    if not signatures:
        return VerificationFailure(
            FailureReason.malformed, "The PDF carries no signature (no signed /Sig field).", format=FORMAT
        )
    results = [_verify_signature(data, signature, embedded, context, at) for signature in signatures]
    failed = next((r for r in results if not r), None)
    return failed if failed is not None else results[0]


def _read(data: bytes) -> tuple[list[EmbeddedPdfSignature], _Embedded]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    if not data.startswith(b"%PDF-"):
        raise _Malformed("it does not start with %PDF-")
    reader = PdfFileReader(io.BytesIO(data))
    signatures = list(reader.embedded_regular_signatures)
    if len(signatures) > MAX_SIGNATURES:
        raise _Malformed(f"more than {MAX_SIGNATURES} signatures")
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return signatures, _Embedded()
    return (
        signatures,
        _Embedded(
            certificates=tuple(c.dump() for c in dss.load_certs()),
            ocsp_responses=tuple(ref.get_object().data for ref in dss.ocsps),
            crls=tuple(ref.get_object().data for ref in dss.crls),
        ),
    )


def _unreadable(stage: str, error: Exception) -> None:
    # A verdict for the user (malformed); the exception's type is kept for whoever debugs a parser gap.
    log.debug("unreadable pdf", stage=stage, error=type(error).__name__)


def _timestamp_times(signer_info: cms.SignerInfo) -> list[dt.datetime]:
    """The genTime of each signature timestamp token, unverified (pyHanko verifies them next)."""
    times = []
    for attribute in signer_info["unsigned_attrs"] or []:
        if attribute["type"].native != "signature_time_stamp_token":
            continue
        for token in attribute["values"]:
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            times.append(tst_info["gen_time"].native)
    return times


def _verify_signature(
    data: bytes,
    signature: EmbeddedPdfSignature,
    embedded: _Embedded,
    context: VerificationContext,
    at: dt.datetime,
) -> VerificationResult:
    try:
        leaf = facts(signature.signer_cert.dump())
        carried = [c.dump() for c in signature.other_embedded_certs]  # the CMS's certificates besides the signer's
        supplied = [facts(der) for der in (*carried, *embedded.certificates)]
        claimed_times = _timestamp_times(signature.signer_info)
    except Exception as error:  # untrusted input, as above
        _unreadable("signature", error)
        return VerificationFailure(FailureReason.malformed, f"The signature cannot be read: {error}.", format=FORMAT)
    signer = Signer.of(leaf)
    # A timestamp (once pyHanko has verified it) fixes the moment the chain and the embedded revocation
    # information are judged at; without one, only the time of verification is known.
    moment = min(claimed_times) if claimed_times else at
    # With a timestamp and embedded revocation data, pyHanko must find the signer unrevoked at that moment in
    # the file itself (B-LT). If that alone fails the chain, the data do not cover the signer: judge the rest
    # without them, and leave the status to the context (the register, or --crl), as for a B-T signature.
    evidence = bool(claimed_times) and embedded.has_revocation_info
    try:
        status = _validate(signature, context, embedded, moment, strict=evidence)
        if evidence and _revocation_data_insufficient(status):
            status, evidence = _validate(signature, context, embedded, moment, strict=False), False
    except Exception as error:  # untrusted input: a structure pyHanko cannot process
        _unreadable("validation", error)
        return VerificationFailure(
            FailureReason.malformed, f"The signature cannot be validated: {error}.", signer=signer, format=FORMAT
        )
    signing_time = status.signer_reported_dt or moment
    result: dict[str, Any] = {"signer": signer, "signing_time": signing_time, "format": FORMAT}
    try:
        _check_integrity(status)
        result["integrity"] = True
        if status.timestamp_validity is not None and not status.timestamp_validity.trusted:
            _check_path(leaf, supplied, context.trust, at)  # a foreign signer is the first thing to say
        timestamp = _check_timestamp(status)
        result["timestamp"] = timestamp
        trusted_time = timestamp or at
        path = _check_path(leaf, supplied, context.trust, trusted_time)
        _check_purpose(leaf, PUBLIC_POLICY)
        _check_time(signing_time, leaf, trusted_time, has_timestamp=timestamp is not None, policy=PUBLIC_POLICY)
        _check_chain_as_validated(status)
        certificate_status, revoked_at = _check_revocation(
            leaf,
            path,
            _EvidenceOrRegister(context.status, embedded_good=timestamp is not None and evidence),
            trusted_time,
            at,
            has_timestamp=timestamp is not None,
            policy=PUBLIC_POLICY,
        )
    except _Refused as refusal:
        result.update(refusal.context)
        return VerificationFailure(refusal.reason, refusal.detail, **result)
    start, length = signature.byte_range[2], signature.byte_range[3]
    return VerificationSuccess(
        signer=signer,
        signing_time=signing_time,
        timestamp=timestamp,
        certificate_status=certificate_status,
        revoked_at=revoked_at,
        payload=data[: start + length],  # the file as it was signed (the signed revision)
        chain=path,
        format=FORMAT,
    )


def _validate(
    signature: EmbeddedPdfSignature,
    context: VerificationContext,
    embedded: _Embedded,
    moment: dt.datetime,
    *,
    strict: bool,
) -> PdfSignatureStatus:
    """pyHanko's validation of one signature at ``moment``, trusting exactly the context's roots and with the
    file's own revocation information (required for the signer when ``strict``); nothing is fetched."""
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule

    from shaffof.pki.signing.pades import REVOCATION_POLICY, quiet_pyhanko_logs, run_sync

    quiet_pyhanko_logs()  # covers the validation modules imported since

    soft = CertRevTrustPolicy(
        RevocationCheckingPolicy(
            ee_certificate_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
            intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
        ),
        retroactive_revinfo=True,
    )
    validation_context = ValidationContext(
        trust_roots=[_asn1(root.der) for root in context.trust.roots],
        other_certs=[_asn1(c.der) for c in context.trust.intermediates] + [_asn1(d) for d in embedded.certificates],
        ocsps=list(embedded.ocsp_responses),
        crls=list(embedded.crls),
        allow_fetching=False,
        moment=moment,
        revinfo_policy=REVOCATION_POLICY if strict else soft,
    )
    return run_sync(async_validate_pdf_signature(signature, validation_context))


def _revocation_data_insufficient(status: PdfSignatureStatus) -> bool:
    """pyHanko reports missing or stale revocation data as a general chain failure (InsufficientRevinfoError)."""
    from pyhanko.sign.ades.report import AdESIndeterminate

    return status.trust_problem_indic in (
        AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        AdESIndeterminate.TRY_LATER,
        AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
    )


def _asn1(der: bytes) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(der)


def _check_integrity(status: PdfSignatureStatus) -> None:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not status.intact:
        raise _Refused(
            FailureReason.signature_invalid,
            "The document was altered after it was signed: its signed bytes no longer match the signature.",
            integrity=False,
        )
    if not status.valid:
        raise _Refused(
            FailureReason.signature_invalid,
            "The signature does not verify under the signer's certificate: it was made with another key, or "
            "the signed attributes were altered.",
            integrity=False,
        )
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return
    level = status.modification_level
    permitted = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and level in permitted and status.docmdp_ok:
        return
    raise _Refused(
        FailureReason.signature_invalid,
        "The document was changed after it was signed: content was added beyond validation data and further "
        f"signatures (modification level: {level.name.lower() if level else 'unknown'}).",
        integrity=False,
    )


def _check_timestamp(status: PdfSignatureStatus) -> dt.datetime | None:
    token = status.timestamp_validity
    if token is None:
        return None
    if not (token.intact and token.valid):
        raise _Refused(
            FailureReason.timestamp_invalid,
            "The signature's timestamp does not verify: it covers another signature, or it was altered.",
        )
    if not token.trusted:
        raise _Refused(
            FailureReason.timestamp_invalid,
            "The signature's timestamp is not from a time-stamping authority this verifier trusts "
            f"({token.signing_cert.subject.human_friendly}).",
        )
    moment: dt.datetime = token.timestamp
    return moment


def _check_chain_as_validated(status: PdfSignatureStatus) -> None:
    """What pyHanko found beyond verify.py's own path, time and purpose checks: above all, revocation evidence
    embedded in the file that shows the signer revoked at the trusted time."""
    from pyhanko.sign.ades.report import AdESIndeterminate

    problem = status.trust_problem_indic
    if problem is None and status.validation_path is not None:
        return
    details = status.revocation_details
    if problem in (AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE) and details is not None:
        whose = "a CA certificate of the signer's chain" if details.ca_revoked else "the signer's certificate"
        raise _Refused(
            FailureReason.revoked,
            f"The revocation information in the file shows {whose} revoked at "
            f"{details.revocation_date:%Y-%m-%d %H:%M:%S} UTC, before the signature's timestamp.",
            certificate_status=CertificateStatus.revoked,
            revoked_at=details.revocation_date,
        )
    if problem is AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        raise _Refused(
            FailureReason.unknown_ca,
            "The certificate was not issued by a certification authority this verifier trusts.",
            certificate_status=CertificateStatus.unknown_ca,
        )
    if problem in (AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE, AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE):
        raise _Refused(FailureReason.unsupported_algorithm, "The signature uses an algorithm that is not accepted.")
    if problem is AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        raise _Refused(
            FailureReason.not_a_signing_certificate,
            "The certificate is not for signatures (key usage or constraints on its chain).",
        )
    raise _Refused(
        FailureReason.chain_invalid,
        f"The certificate chain does not validate ({getattr(problem, 'name', 'no path').lower()}).",
    )
