"""Deciding whether a signature is valid, and saying why not — the public, offline-capable verifier.

Results are explicit objects, as in sigstore-python: :class:`VerificationSuccess` (truthy) or
:class:`VerificationFailure` (falsy) with a :class:`FailureReason` and a sentence for people. Nothing here
touches the database: trust anchors and a revocation source are passed in, so the same code runs inside a
submission's transaction, behind ``POST /api/v1/verify`` and in ``shaffof verify FILE --ca ca.pem``.

What "valid" means (ZRU-793: authentic, certificate valid, used for the certificate's purpose):

1. the JWS parses and is ES256 with an ``x5c`` chain and a signing time (``sigT``);
2. the signature verifies with the leaf certificate's key — the payload is intact;
3. the leaf chains to a trusted root through the platform's issuing CA;
4. the leaf is a signing certificate: keyUsage digitalSignature + nonRepudiation, a Shaffof signer policy;
5. it was valid at the *trusted time*: an RFC 3161 timestamp's time when one is attached, otherwise the
   verification time (a claimed ``sigT`` proves nothing by itself, but must also fall in the validity);
6. it was not revoked at the trusted time. A certificate revoked *after* a timestamped signature leaves the
   signature valid, and the result says when it was revoked.

"Wrong key" and "altered payload" cannot be told apart by a verifier — both are a signature that does not
match the payload under the certificate's key — so both are ``signature_invalid``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from shaffof.pki import profiles
from shaffof.pki.chain import CertificateFacts, PathError, TrustAnchors, build_path, facts
from shaffof.pki.interfaces import CertificateStatusSource, RevocationState
from shaffof.pki.signing import jws
from shaffof.pki.tsa import TimestampInvalid, verify_token

# A signer's clock may run a little fast; a claimed signing time further ahead than this is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)


class FailureReason(StrEnum):
    malformed = "malformed"  # not a JWS this platform accepts
    unsupported_format = "unsupported_format"  # neither a JWS nor a format a verifier is registered for
    unsupported_algorithm = "unsupported_algorithm"
    signature_invalid = "signature_invalid"  # altered payload or another key
    unknown_ca = "unknown_ca"  # the chain leads to no trusted root
    chain_invalid = "chain_invalid"  # a CA certificate on the path is unfit
    not_a_signing_certificate = "not_a_signing_certificate"  # key usage or policy not for signatures
    not_yet_valid = "not_yet_valid"
    expired = "expired"
    revoked = "revoked"
    certificate_unknown = "certificate_unknown"  # the CA's register has no such certificate
    revocation_unchecked = "revocation_unchecked"  # a status was required and none could be had
    signing_time_invalid = "signing_time_invalid"
    timestamp_invalid = "timestamp_invalid"
    pinfl_mismatch = "pinfl_mismatch"
    payload_mismatch = "payload_mismatch"  # valid signature, but over other data than submitted


class CertificateStatus(StrEnum):
    good = "good"
    revoked = "revoked"
    expired = "expired"
    not_yet_valid = "not_yet_valid"
    unknown_ca = "unknown_ca"
    unknown = "unknown"  # not in the CA's register
    unchecked = "unchecked"  # offline without revocation information


@dataclass(frozen=True)
class Signer:
    name: str
    kind: profiles.CertificateKind | None  # citizen, officer, eseal
    pinfl: str | None
    organization: str | None
    agency: str | None  # the agency code (OU) of an officer or a seal
    certificate_serial: str
    certificate_sha256: str

    @classmethod
    def of(cls, leaf: CertificateFacts) -> Signer:
        kinds = [k for k in map(profiles.kind_of_policy, leaf.policies) if k is not None]
        kind = kinds[0] if len(kinds) == 1 else None
        return cls(
            name=leaf.common_name or leaf.subject_text,
            kind=kind,
            pinfl=leaf.pinfl,
            organization=leaf.organization,
            agency=leaf.unit if kind in (profiles.CertificateKind.officer, profiles.CertificateKind.eseal) else None,
            certificate_serial=leaf.serial_hex,
            certificate_sha256=leaf.sha256,
        )


@dataclass(frozen=True)
class VerificationSuccess:
    signer: Signer
    signing_time: dt.datetime  # claimed by the signer (sigT)
    timestamp: dt.datetime | None  # proven by an RFC 3161 token, if attached
    certificate_status: CertificateStatus  # good, unchecked, or revoked/expired *after* the trusted time
    revoked_at: dt.datetime | None
    payload: bytes
    chain: tuple[CertificateFacts, ...]
    format: str = "jws"

    def __bool__(self) -> Literal[True]:
        return True

    @property
    def integrity(self) -> bool:
        return True


@dataclass(frozen=True)
class VerificationFailure:
    reason: FailureReason
    detail: str
    signer: Signer | None = None
    signing_time: dt.datetime | None = None
    timestamp: dt.datetime | None = None
    certificate_status: CertificateStatus | None = None
    revoked_at: dt.datetime | None = None
    integrity: bool | None = None  # None: not reached
    format: str = "jws"

    def __bool__(self) -> Literal[False]:
        return False


VerificationResult = VerificationSuccess | VerificationFailure


@dataclass(frozen=True)
class SignaturePolicy:
    """What a verification requires beyond the always-checked rules.

    ``require_revocation_check``: a missing status answer is a failure (the platform itself always requires
    it; an offline verifier without a CRL does not). ``signer_kinds``: which certificate kinds may sign.
    ``max_age``: the claimed signing time may be at most this old at the trusted time (submissions).
    """

    require_revocation_check: bool = False
    signer_kinds: frozenset[profiles.CertificateKind] = profiles.SIGNER_KINDS
    expected_pinfl: str | None = None
    expected_payload: bytes | None = None
    max_age: dt.timedelta | None = None


PUBLIC_POLICY = SignaturePolicy()


class _Refused(Exception):
    def __init__(self, reason: FailureReason, detail: str, **context: object) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.context = context


def _fmt(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def verify_jws(
    token: str | bytes,
    *,
    trust: TrustAnchors,
    status: CertificateStatusSource | None,
    at: dt.datetime,
    policy: SignaturePolicy = PUBLIC_POLICY,
) -> VerificationResult:
    """Verify a compact or flattened-JSON JWS at time ``at`` (now, or a receipt time the caller trusts)."""
    try:
        parsed = jws.parse(token)
    except jws.UnsupportedAlgorithm as error:
        return VerificationFailure(FailureReason.unsupported_algorithm, f"Unsupported signature: {error}.")
    except jws.MalformedJws as error:
        return VerificationFailure(FailureReason.malformed, f"Not a valid signature file: {error}.")
    try:
        chain = [facts(der) for der in parsed.chain_der]
    except ValueError:
        return VerificationFailure(FailureReason.malformed, "An x5c entry is not a DER X.509 certificate.")
    leaf = chain[0]
    signer = Signer.of(leaf)
    context: dict[str, object] = {"signer": signer, "signing_time": parsed.signing_time}
    try:
        _check_signature(parsed, leaf)
        context["integrity"] = True
        timestamp = _check_timestamp(parsed, trust, chain)
        context["timestamp"] = timestamp
        trusted_time = timestamp or at
        path = _check_path(leaf, chain[1:], trust, trusted_time)
        _check_purpose(leaf, policy)
        _check_time(parsed.signing_time, leaf, trusted_time, has_timestamp=timestamp is not None, policy=policy)
        certificate_status, revoked_at = _check_revocation(
            leaf, path, status, trusted_time, at, has_timestamp=timestamp is not None, policy=policy
        )
        _check_authorities(path, status, trusted_time, has_timestamp=timestamp is not None)
        if policy.expected_pinfl is not None and leaf.pinfl != policy.expected_pinfl:
            raise _Refused(
                FailureReason.pinfl_mismatch,
                f"The signature is by {signer.name} (PINFL {leaf.pinfl or 'none'}), not by the applicant "
                f"(PINFL {policy.expected_pinfl}). Sign with your own certificate.",
            )
        if policy.expected_payload is not None and parsed.payload != policy.expected_payload:
            raise _Refused(
                FailureReason.payload_mismatch,
                "The signature is valid but covers other data than what was submitted: sign the RFC 8785 "
                "canonical JSON of this submission.",
            )
    except _Refused as refusal:
        context.update(refusal.context)
        return VerificationFailure(refusal.reason, refusal.detail, **context)  # type: ignore[arg-type]
    return VerificationSuccess(
        signer=signer,
        signing_time=parsed.signing_time,
        timestamp=timestamp,
        certificate_status=certificate_status,
        revoked_at=revoked_at,
        payload=parsed.payload,
        chain=path,
    )


def _check_signature(parsed: jws.ParsedJws, leaf: CertificateFacts) -> None:
    if leaf.public_key is None:
        raise _Refused(
            FailureReason.unsupported_algorithm, "The signer's certificate does not hold a P-256 key (ES256)."
        )
    try:
        leaf.public_key.verify(parsed.der_signature, parsed.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _Refused(
            FailureReason.signature_invalid,
            "The signature does not match the signed data under the signer's certificate: the data was altered "
            "after signing, or it was signed with another key.",
            integrity=False,
        ) from None


def _check_path(
    leaf: CertificateFacts, supplied: Sequence[CertificateFacts], trust: TrustAnchors, at: dt.datetime
) -> tuple[CertificateFacts, ...]:
    try:
        return build_path(leaf, supplied, trust, at)
    except PathError as error:
        if error.unknown_ca:
            raise _Refused(
                FailureReason.unknown_ca,
                f"The certificate was not issued by a certification authority this verifier trusts: {error.detail}.",
                certificate_status=CertificateStatus.unknown_ca,
            ) from None
        raise _Refused(
            FailureReason.chain_invalid, f"The certificate chain is not acceptable: {error.detail}."
        ) from None


def _check_purpose(leaf: CertificateFacts, policy: SignaturePolicy) -> None:
    usage = leaf.key_usage
    if leaf.is_ca or usage is None or not (usage.digital_signature and usage.content_commitment):
        raise _Refused(
            FailureReason.not_a_signing_certificate,
            "The certificate is not for signatures: it lacks keyUsage digitalSignature and nonRepudiation.",
        )
    kinds = {profiles.kind_of_policy(p) for p in leaf.policies} - {None}
    if len(kinds) != 1 or not kinds <= policy.signer_kinds:
        raise _Refused(
            FailureReason.not_a_signing_certificate,
            "The certificate's policy does not allow this kind of signature "
            f"(allowed: {', '.join(sorted(policy.signer_kinds))}).",
        )
    if leaf.unprocessed_critical:
        raise _Refused(
            FailureReason.not_a_signing_certificate,
            f"The certificate has critical extension(s) this verifier does not process: {leaf.unprocessed_critical}.",
        )


def _check_timestamp(
    parsed: jws.ParsedJws, trust: TrustAnchors, chain: Sequence[CertificateFacts]
) -> dt.datetime | None:
    if not parsed.timestamp_tokens:
        return None
    times = []
    for token in parsed.timestamp_tokens:
        try:
            verified = verify_token(
                token, jws.timestamp_imprint(parsed.signature_b64), trust, [c.der for c in chain[1:]]
            )
        except TimestampInvalid as error:
            raise _Refused(FailureReason.timestamp_invalid, f"The attached timestamp is not valid: {error}.") from None
        times.append(verified.time)
    return min(times)


def _check_time(
    signing_time: dt.datetime,
    leaf: CertificateFacts,
    trusted_time: dt.datetime,
    *,
    has_timestamp: bool,
    policy: SignaturePolicy,
) -> None:
    if signing_time > trusted_time + CLOCK_SKEW:
        raise _Refused(
            FailureReason.signing_time_invalid,
            f"The claimed signing time {_fmt(signing_time)} is later than "
            f"{'the timestamp' if has_timestamp else 'the time of verification'} ({_fmt(trusted_time)}).",
        )
    if policy.max_age is not None and signing_time < trusted_time - policy.max_age:
        raise _Refused(
            FailureReason.signing_time_invalid,
            f"The signature was made at {_fmt(signing_time)}, more than {policy.max_age} before it was received; "
            "sign the submission again.",
        )
    for moment in (signing_time, trusted_time):
        if moment < leaf.not_before:
            raise _Refused(
                FailureReason.not_yet_valid,
                f"The certificate is valid only from {_fmt(leaf.not_before)}; the signature is dated {_fmt(moment)}.",
                certificate_status=CertificateStatus.not_yet_valid,
            )
        if moment > leaf.not_after:
            raise _Refused(
                FailureReason.expired,
                f"The certificate expired at {_fmt(leaf.not_after)}; the signature is dated {_fmt(moment)}"
                f"{'' if has_timestamp else ' (no timestamp proves an earlier signing time)'}.",
                certificate_status=CertificateStatus.expired,
            )


def _check_authorities(
    path: Sequence[CertificateFacts],
    status: CertificateStatusSource | None,
    trusted_time: dt.datetime,
    *,
    has_timestamp: bool,
) -> None:
    """The CAs on the path, each against its own issuer's register (the root's CRL lists revoked issuing CAs):
    a CA revoked before the signature's trusted time takes the signature with it; one revoked later does not."""
    if status is None:
        return
    for ca, issuer in pairwise(path[1:]):  # (issuing CA, root), …
        answer = status.status(issuer.certificate, ca.certificate.serial_number)
        if answer is None or answer.state is not RevocationState.revoked or answer.revoked_at is None:
            continue
        if answer.revoked_at <= trusted_time:
            raise _Refused(
                FailureReason.revoked,
                f"The certification authority {ca.common_name or ca.subject_text} that issued the signer's "
                f"certificate was revoked at {_fmt(answer.revoked_at)}"
                f"{f' ({answer.reason})' if answer.reason else ''}, before the signature's "
                f"{'timestamp' if has_timestamp else 'verification'} at {_fmt(trusted_time)}.",
                certificate_status=CertificateStatus.revoked,
                revoked_at=answer.revoked_at,
            )


def _check_revocation(
    leaf: CertificateFacts,
    path: Sequence[CertificateFacts],
    status: CertificateStatusSource | None,
    trusted_time: dt.datetime,
    at: dt.datetime,
    *,
    has_timestamp: bool,
    policy: SignaturePolicy,
) -> tuple[CertificateStatus, dt.datetime | None]:
    later = CertificateStatus.expired if at > leaf.not_after else CertificateStatus.good
    answer = status.status(path[1].certificate, leaf.certificate.serial_number) if status and len(path) > 1 else None
    if answer is None:
        if policy.require_revocation_check:
            raise _Refused(
                FailureReason.revocation_unchecked,
                "The certificate's revocation status could not be determined.",
                certificate_status=CertificateStatus.unchecked,
            )
        return (CertificateStatus.unchecked if later is CertificateStatus.good else later), None
    if answer.state is RevocationState.unknown:
        raise _Refused(
            FailureReason.certificate_unknown,
            "The certification authority has no record of this certificate.",
            certificate_status=CertificateStatus.unknown,
        )
    if answer.state is RevocationState.revoked:
        assert answer.revoked_at is not None
        if answer.revoked_at <= trusted_time:
            raise _Refused(
                FailureReason.revoked,
                f"The certificate was revoked at {_fmt(answer.revoked_at)}"
                f"{f' ({answer.reason})' if answer.reason else ''}, before the signature's "
                f"{'timestamp' if has_timestamp else 'verification'} at {_fmt(trusted_time)}.",
                certificate_status=CertificateStatus.revoked,
                revoked_at=answer.revoked_at,
            )
        return CertificateStatus.revoked, answer.revoked_at
    return later, None
