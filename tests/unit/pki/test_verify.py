"""The verifier: every way a signature can be bad gives its own reason; a good one says who, when and what."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shaffof.canonical_json import canonicalize
from shaffof.pki import authority, profiles, tsa
from shaffof.pki.chain import TrustAnchors
from shaffof.pki.interfaces import RevocationState, RevocationStatus
from shaffof.pki.service import VerificationContext, verify_submission_jws
from shaffof.pki.signing import jws
from shaffof.pki.status import FixedStatusSource
from shaffof.pki.verify import (
    CertificateStatus,
    FailureReason,
    SignaturePolicy,
    VerificationFailure,
    VerificationSuccess,
    verify_jws,
)
from tests.unit.pki.conftest import OTHER_PINFL, PINFL, Issued, MemoryCa

SUBMISSION = {"service": "general-ariza", "agency": "YUNUSHOK", "form": {"subject": "Sinov", "text": "Matn"}}
GOOD = FixedStatusSource()


def sign(issued: Issued, at: dt.datetime, payload: object = SUBMISSION) -> str:
    return jws.sign_submission(payload, issued.key, issued.chain, at)


def context(ca: MemoryCa, status: FixedStatusSource = GOOD) -> VerificationContext:
    return VerificationContext(ca.trust, status)


def refused(result: object, reason: FailureReason) -> VerificationFailure:
    assert isinstance(result, VerificationFailure), result
    assert not result
    assert result.reason is reason, (result.reason, result.detail)
    return result


def test_a_valid_submission_names_the_signer_time_and_status(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    result = verify_submission_jws(
        context(ca),
        sign(citizen, ca.now),
        PINFL,
        ca.now + dt.timedelta(minutes=2),
        expected_payload=canonicalize(SUBMISSION),
    )
    assert isinstance(result, VerificationSuccess) and result
    assert result.signer.pinfl == PINFL
    assert result.signer.kind is profiles.CertificateKind.citizen
    assert result.signer.name == "Karimova Aziza"
    assert result.signing_time == ca.now
    assert result.timestamp is None
    assert result.certificate_status is CertificateStatus.good
    assert result.payload == canonicalize(SUBMISSION)
    assert [c.certificate for c in result.chain] == [citizen.certificate, ca.issuing, ca.root]


def test_wrong_key_is_a_signature_that_does_not_verify(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    impostor = Issued(ec.generate_private_key(ec.SECP256R1()), citizen.certificate, citizen.chain)
    result = refused(
        verify_submission_jws(context(ca), sign(impostor, ca.now), PINFL, ca.now), FailureReason.signature_invalid
    )
    assert result.integrity is False
    assert "altered" in result.detail and "another key" in result.detail


def test_an_altered_payload_breaks_the_signature(ca: MemoryCa) -> None:
    token = sign(ca.citizen(), ca.now)
    header, _, signature = token.split(".")
    altered = jws.b64url(canonicalize({**SUBMISSION, "agency": "TOSHHOK"}))
    refused(
        verify_submission_jws(context(ca), f"{header}.{altered}.{signature}", PINFL, ca.now),
        FailureReason.signature_invalid,
    )


def test_a_valid_signature_over_other_data_than_submitted_is_refused(ca: MemoryCa) -> None:
    token = sign(ca.citizen(), ca.now)
    result = verify_submission_jws(
        context(ca), token, PINFL, ca.now, expected_payload=canonicalize({**SUBMISSION, "agency": "TOSHHOK"})
    )
    assert refused(result, FailureReason.payload_mismatch).integrity is True


def test_an_expired_certificate_is_refused(ca: MemoryCa) -> None:
    old = ca.citizen(not_before=ca.now - dt.timedelta(days=400), months=12)
    signed_at = ca.now - dt.timedelta(minutes=1)
    result = refused(verify_submission_jws(context(ca), sign(old, signed_at), PINFL, ca.now), FailureReason.expired)
    assert result.certificate_status is CertificateStatus.expired


def test_a_not_yet_valid_certificate_is_refused(ca: MemoryCa) -> None:
    future = ca.citizen(not_before=ca.now + dt.timedelta(days=1))
    result = refused(
        verify_submission_jws(context(ca), sign(future, ca.now), PINFL, ca.now), FailureReason.not_yet_valid
    )
    assert result.certificate_status is CertificateStatus.not_yet_valid


def test_a_revoked_certificate_is_refused_with_the_time_of_revocation(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    revoked_at = ca.now - dt.timedelta(hours=1)
    status = ca.revocations([(citizen.certificate, revoked_at)])
    result = refused(
        verify_submission_jws(context(ca, status), sign(citizen, ca.now), PINFL, ca.now), FailureReason.revoked
    )
    assert result.certificate_status is CertificateStatus.revoked and result.revoked_at == revoked_at


def test_a_certificate_from_a_foreign_ca_is_refused_even_with_the_same_names(
    ca: MemoryCa, foreign_ca: MemoryCa
) -> None:
    stranger = foreign_ca.citizen()
    assert stranger.certificate.issuer == ca.issuing.subject
    result = refused(
        verify_submission_jws(context(ca), sign(stranger, ca.now), PINFL, ca.now), FailureReason.unknown_ca
    )
    assert result.certificate_status is CertificateStatus.unknown_ca and result.integrity is True


def test_a_foreign_leaf_carrying_our_issuing_ca_in_x5c_is_still_refused(ca: MemoryCa, foreign_ca: MemoryCa) -> None:
    stranger = foreign_ca.citizen()
    smuggled = Issued(stranger.key, stranger.certificate, (stranger.certificate, ca.issuing))
    refused(verify_submission_jws(context(ca), sign(smuggled, ca.now), PINFL, ca.now), FailureReason.unknown_ca)


def test_someone_elses_certificate_is_a_pinfl_mismatch(ca: MemoryCa) -> None:
    bob = ca.citizen(OTHER_PINFL)
    result = refused(verify_submission_jws(context(ca), sign(bob, ca.now), PINFL, ca.now), FailureReason.pinfl_mismatch)
    assert OTHER_PINFL in result.detail and PINFL in result.detail


def test_an_officer_certificate_cannot_sign_a_citizens_submission(ca: MemoryCa) -> None:
    refused(
        verify_submission_jws(context(ca), sign(ca.officer(), ca.now), PINFL, ca.now),
        FailureReason.not_a_signing_certificate,
    )


def test_a_certificate_without_non_repudiation_is_not_for_signatures(ca: MemoryCa) -> None:
    no_commitment = authority.EndEntityProfile(policy=profiles.POLICY_CITIZEN_CLIENT_KEY, non_repudiation=False)
    result = verify_submission_jws(context(ca), sign(ca.citizen(profile=no_commitment), ca.now), PINFL, ca.now)
    assert "nonRepudiation" in refused(result, FailureReason.not_a_signing_certificate).detail


def test_the_tsa_certificate_cannot_sign_submissions(ca: MemoryCa) -> None:
    tsa_as_signer = Issued(ca.keys["tsa"], ca.tsa, (ca.tsa, ca.issuing))
    refused(
        verify_submission_jws(context(ca), sign(tsa_as_signer, ca.now), PINFL, ca.now),
        FailureReason.not_a_signing_certificate,
    )


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30", "{}", "\x00\xff"])
def test_malformed_input_is_refused_as_malformed(ca: MemoryCa, token: str) -> None:
    result = refused(verify_submission_jws(context(ca), token, PINFL, ca.now), FailureReason.malformed)
    assert result.integrity is None


def test_an_x5c_that_is_not_a_certificate_is_malformed(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    token = sign(citizen, ca.now)
    header = jws.parse(token).header
    forged = jws.b64url(canonicalize({**header, "x5c": ["AAAA"]})) + token[token.index(".") :]
    refused(verify_submission_jws(context(ca), forged, PINFL, ca.now), FailureReason.malformed)


def test_another_algorithm_is_unsupported(ca: MemoryCa) -> None:
    token = sign(ca.citizen(), ca.now)
    header = jws.parse(token).header
    forged = jws.b64url(canonicalize({**header, "alg": "none"})) + token[token.index(".") :]
    refused(verify_submission_jws(context(ca), forged, PINFL, ca.now), FailureReason.unsupported_algorithm)


def test_a_signing_time_in_the_future_or_too_old_is_refused(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    ahead = refused(
        verify_submission_jws(context(ca), sign(citizen, ca.now + dt.timedelta(minutes=10)), PINFL, ca.now),
        FailureReason.signing_time_invalid,
    )
    assert "later than" in ahead.detail
    stale = refused(
        verify_submission_jws(context(ca), sign(citizen, ca.now - dt.timedelta(days=2)), PINFL, ca.now),
        FailureReason.signing_time_invalid,
    )
    assert "sign the submission again" in stale.detail
    # A few minutes of clock skew are tolerated.
    assert verify_submission_jws(context(ca), sign(citizen, ca.now + dt.timedelta(minutes=3)), PINFL, ca.now)


def test_submissions_require_a_revocation_answer_and_a_register_entry(ca: MemoryCa) -> None:
    token = sign(ca.citizen(), ca.now)
    refused(
        verify_submission_jws(VerificationContext(ca.trust, None), token, PINFL, ca.now),
        FailureReason.revocation_unchecked,
    )

    class NeverIssued:
        def status(self, issuer: object, serial_number: int) -> RevocationStatus:
            return RevocationStatus(RevocationState.unknown)

    result = verify_submission_jws(VerificationContext(ca.trust, NeverIssued()), token, PINFL, ca.now)
    assert refused(result, FailureReason.certificate_unknown).certificate_status is CertificateStatus.unknown


def test_offline_verification_without_revocation_information_says_so(ca: MemoryCa) -> None:
    result = verify_jws(sign(ca.citizen(), ca.now), trust=ca.trust, status=None, at=ca.now)
    assert isinstance(result, VerificationSuccess)
    assert result.certificate_status is CertificateStatus.unchecked


def test_the_root_alone_is_enough_trust_and_an_empty_trust_store_trusts_nothing(ca: MemoryCa) -> None:
    token = sign(ca.citizen(), ca.now)
    assert verify_jws(token, trust=TrustAnchors.of([ca.root]), status=GOOD, at=ca.now)
    refused(verify_jws(token, trust=TrustAnchors(roots=()), status=GOOD, at=ca.now), FailureReason.unknown_ca)


def _stamped(ca: MemoryCa, token: str, at: dt.datetime) -> str:
    parsed = jws.parse(token)
    return jws.attach_timestamp(token, tsa.stamp(jws.timestamp_imprint(parsed.signature_b64), ca.tsa_signer, now=at))


def test_a_timestamped_signature_stays_valid_after_the_certificate_is_revoked(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    token = _stamped(ca, sign(citizen, ca.now), ca.now + dt.timedelta(seconds=5))
    revoked_at = ca.now + dt.timedelta(days=3)
    later = ca.now + dt.timedelta(days=10)
    result = verify_jws(token, trust=ca.trust, status=ca.revocations([(citizen.certificate, revoked_at)]), at=later)
    assert isinstance(result, VerificationSuccess), result
    assert result.timestamp == ca.now + dt.timedelta(seconds=5)
    assert result.certificate_status is CertificateStatus.revoked and result.revoked_at == revoked_at
    # Without the timestamp nothing proves the signature came first.
    plain = verify_jws(
        sign(citizen, ca.now), trust=ca.trust, status=ca.revocations([(citizen.certificate, revoked_at)]), at=later
    )
    refused(plain, FailureReason.revoked)


def test_a_timestamped_signature_stays_valid_after_the_certificate_expires(ca: MemoryCa) -> None:
    citizen = ca.citizen(months=1)
    token = _stamped(ca, sign(citizen, ca.now), ca.now)
    result = verify_jws(token, trust=ca.trust, status=GOOD, at=ca.now + dt.timedelta(days=90))
    assert isinstance(result, VerificationSuccess)
    assert result.certificate_status is CertificateStatus.expired


def test_a_revocation_before_the_timestamp_invalidates(ca: MemoryCa) -> None:
    citizen = ca.citizen()
    token = _stamped(ca, sign(citizen, ca.now), ca.now)
    status = ca.revocations([(citizen.certificate, ca.now - dt.timedelta(seconds=1))])
    refused(verify_jws(token, trust=ca.trust, status=status, at=ca.now + dt.timedelta(days=1)), FailureReason.revoked)


def test_a_timestamp_over_another_signature_or_from_a_foreign_tsa_is_refused(
    ca: MemoryCa, foreign_ca: MemoryCa
) -> None:
    citizen = ca.citizen()
    token = sign(citizen, ca.now)
    other = tsa.stamp(hashlib.sha256(b"something else").digest(), ca.tsa_signer, now=ca.now)
    result = refused(
        verify_jws(jws.attach_timestamp(token, other), trust=ca.trust, status=GOOD, at=ca.now),
        FailureReason.timestamp_invalid,
    )
    assert "imprint" in result.detail
    foreign = tsa.stamp(jws.timestamp_imprint(jws.parse(token).signature_b64), foreign_ca.tsa_signer, now=ca.now)
    result = refused(
        verify_jws(jws.attach_timestamp(token, foreign), trust=ca.trust, status=GOOD, at=ca.now),
        FailureReason.timestamp_invalid,
    )
    assert "not trusted" in result.detail


def test_officers_and_seals_verify_publicly_with_their_agency(ca: MemoryCa) -> None:
    result = verify_jws(sign(ca.officer("TOSHHOK"), ca.now), trust=ca.trust, status=GOOD, at=ca.now)
    assert isinstance(result, VerificationSuccess)
    assert result.signer.kind is profiles.CertificateKind.officer
    assert result.signer.agency == "TOSHHOK" and result.signer.pinfl is None


def test_a_policy_can_limit_signer_kinds(ca: MemoryCa) -> None:
    citizens_only = SignaturePolicy(signer_kinds=frozenset({profiles.CertificateKind.citizen}))
    refused(
        verify_jws(sign(ca.officer(), ca.now), trust=ca.trust, status=GOOD, at=ca.now, policy=citizens_only),
        FailureReason.not_a_signing_certificate,
    )
