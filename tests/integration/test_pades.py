"""PAdES B-LT signing and PDF verification with in-memory CAs (no database).

pyHanko's own validator is the independent check of what ``pades.sign_pdf`` writes (intact, trusted with the
root CA, timestamped, revocation information in the DSS); ``pdf_verify.verify_pdf`` then gives the platform's
verdicts — for good files and for every kind of bad one.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers import pdf_signer as pdf_signer_module
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel

from shaffof.decisions.document import render
from shaffof.pki import authority, ocsp, tsa
from shaffof.pki.interfaces import GOOD, RevocationState, RevocationStatus
from shaffof.pki.pdf_verify import verify_pdf
from shaffof.pki.service import VerificationContext, verify_file
from shaffof.pki.signing import pades
from shaffof.pki.status import CrlStatusSource
from shaffof.pki.verify import CertificateStatus, FailureReason, VerificationFailure, VerificationSuccess
from tests.unit.decisions.test_document import decision
from tests.unit.pki.conftest import Issued, MemoryCa, signer

Status = Callable[[int], RevocationStatus | None]


@dataclass(frozen=True)
class MemoryKey:
    """An in-memory key shaped like ``PlatformKey`` (certificate, chain, sign)."""

    issued: Issued

    @property
    def certificate(self) -> x509.Certificate:
        return self.issued.certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self.issued.chain

    def sign(self, data: bytes) -> bytes:
        return signer(self.issued.key)(data)


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def crl(ca: MemoryCa, issuer: x509.Certificate, key: str, revoked: list[authority.RevokedEntry] | None = None) -> bytes:
    made = authority.revocation_list(
        authority.Issuer(issuer, signer(ca.keys[key])),
        revoked or [],
        number=1,
        this_update=ca.now - dt.timedelta(hours=1),
        next_update=ca.now + dt.timedelta(days=7),
    )
    return made.public_bytes(serialization.Encoding.DER)


def sign(
    ca: MemoryCa,
    issued: Issued,
    pdf: bytes,
    *,
    status_of: Status = lambda serial: GOOD,
    tsa_ca: MemoryCa | None = None,
    trust: list[x509.Certificate] | None = None,
    field: pades.SignatureField | None = None,
) -> bytes:
    stamping = tsa_ca or ca
    answers = []
    asked = [(ca, [issued.certificate, ca.tsa])] + ([(stamping, [stamping.tsa])] if tsa_ca else [])
    for authority_, certificates in asked:
        responder = ocsp.OcspResponder(authority_.ocsp, authority_.issuing, signer(authority_.keys["ocsp"]))
        request = pades.ocsp_request(certificates, authority_.issuing)
        answers.append(ocsp.respond(request, responder, status_of, now=ca.now))
    revocation = pades.RevocationInfo(
        ocsp_responses=tuple(answers),
        crls=(crl(ca, ca.root, "root"),),  # as the platform embeds: OCSP for end entities, the root's CRL
    )
    return pades.sign_pdf(
        pdf,
        MemoryKey(issued),
        trust_roots=trust or [ca.root],
        timestamp=lambda request: tsa.respond(request, stamping.tsa_signer, now=ca.now),
        revocation=revocation,
        at=ca.now,
        field=field or pades.SignatureField(),
        tsa_certificate=stamping.tsa,
    )


@pytest.fixture(scope="module")
def ca() -> MemoryCa:
    return MemoryCa()


@pytest.fixture(scope="module")
def foreign_ca() -> MemoryCa:
    """Another CA with the same names: only the trust anchor tells them apart."""
    return MemoryCa()


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render(decision()).pdf


@pytest.fixture(scope="module")
def officer(ca: MemoryCa) -> Issued:
    return ca.officer("TOSHHOK")


@pytest.fixture(scope="module")
def signed(ca: MemoryCa, officer: Issued, unsigned: bytes) -> bytes:
    return sign(ca, officer, unsigned)


def offline(ca: MemoryCa) -> VerificationContext:
    return VerificationContext(ca.trust, None)


def pyhanko_validation(
    pdf: bytes, root: x509.Certificate, moment: dt.datetime
) -> tuple[PdfSignatureStatus, DocumentSecurityStore]:
    """pyHanko's validator, hard-failing on revocation, with nothing but the root and what the file embeds."""
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_regular_signatures
    dss = DocumentSecurityStore.read_dss(reader)
    context = dss.as_validation_context(
        {
            "trust_roots": [asn1_x509.Certificate.load(_der(root))],
            "allow_fetching": False,
            "revocation_mode": "hard-fail",
            "moment": moment,
        }
    )
    return validate_pdf_signature(signature, context), dss


def test_pyhanko_validates_the_signed_pdf_as_intact_trusted_timestamped_and_b_lt(
    ca: MemoryCa, officer: Issued, signed: bytes, unsigned: bytes
) -> None:
    status, dss = pyhanko_validation(signed, ca.root, ca.now)
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid and status.trusted
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    timestamp = status.timestamp_validity
    assert timestamp is not None and timestamp.trusted and timestamp.timestamp == ca.now
    # B-LT: the Document Security Store holds the chain, an OCSP answer (signer and TSA) and the root's CRL.
    assert len(dss.ocsps) == 1 and len(dss.crls) == 1
    embedded = {asn1_x509.Certificate.load(c.dump()).sha256 for c in dss.load_certs()}
    assert {asn1_x509.Certificate.load(_der(c)).sha256 for c in (ca.issuing, ca.tsa, ca.ocsp)} <= embedded

    reader = PdfFileReader(io.BytesIO(signed))
    (signature,) = reader.embedded_regular_signatures
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    signed_attributes = {a["type"].native for a in signature.signer_info["signed_attrs"]}
    assert signed_attributes == {"content_type", "message_digest", "signing_certificate_v2"}  # no signingTime
    certificate_id = next(
        a for a in signature.signer_info["signed_attrs"] if a["type"].native == "signing_certificate_v2"
    )["values"][0]["certs"][0]
    assert certificate_id["cert_hash"].native == asn1_x509.Certificate.load(_der(officer.certificate)).sha256
    assert [a["type"].native for a in signature.signer_info["unsigned_attrs"]] == ["signature_time_stamp_token"]
    assert signed.startswith(unsigned)  # an incremental update: the rendered PDF/A is kept byte for byte


def test_our_verifier_names_the_signer_agency_timestamp_and_status(ca: MemoryCa, signed: bytes) -> None:
    result = verify_file(signed, offline(ca), ca.now + dt.timedelta(days=30))
    assert isinstance(result, VerificationSuccess), result
    assert result.format == "pdf" and result.integrity
    assert result.signer.agency == "TOSHHOK" and result.signer.kind == "officer"
    assert result.timestamp == ca.now and result.signing_time == ca.now
    # Offline without CRLs, the revocation information embedded at signing stands for the signing time.
    assert result.certificate_status is CertificateStatus.good and result.revoked_at is None


def test_a_byte_changed_in_the_signed_range_is_an_integrity_failure(ca: MemoryCa, signed: bytes) -> None:
    altered = bytearray(signed)
    position = signed.index(b"/Producer") + 12  # inside the producer's name, long before the signature
    altered[position] ^= 0x01
    result = verify_pdf(bytes(altered), offline(ca), ca.now)
    assert isinstance(result, VerificationFailure)
    assert result.reason is FailureReason.signature_invalid and result.integrity is False
    assert result.signer is not None and result.signer.agency == "TOSHHOK"


def test_content_added_after_signing_is_refused_but_a_document_timestamp_is_not(ca: MemoryCa, signed: bytes) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = generic.TextStringObject("en")  # a change to the document's catalog
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)
    result = verify_pdf(output.getvalue(), offline(ca), ca.now)
    assert isinstance(result, VerificationFailure)
    assert result.reason is FailureReason.signature_invalid and result.integrity is False
    assert "changed after it was signed" in result.detail

    # B-LTA-style maintenance (a document timestamp appended later) leaves the signature valid.
    stamper = signers.PdfTimeStamper(pades.InProcessTimeStamper(lambda r: tsa.respond(r, ca.tsa_signer, now=ca.now)))
    stamped = stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(signed)), "sha256").getvalue()
    assert len(stamped) > len(signed)
    assert verify_pdf(stamped, offline(ca), ca.now)


def test_a_pdf_signed_under_a_foreign_ca_is_unknown_ca(foreign_ca: MemoryCa, ca: MemoryCa, unsigned: bytes) -> None:
    forged = sign(foreign_ca, foreign_ca.officer("TOSHHOK"), unsigned)  # same names, another key
    assert verify_pdf(forged, VerificationContext(foreign_ca.trust, None), foreign_ca.now)
    result = verify_pdf(forged, offline(ca), ca.now)
    assert isinstance(result, VerificationFailure) and result.reason is FailureReason.unknown_ca
    assert result.certificate_status is CertificateStatus.unknown_ca


def test_a_timestamp_from_an_untrusted_tsa_is_refused(
    ca: MemoryCa, foreign_ca: MemoryCa, officer: Issued, unsigned: bytes
) -> None:
    stamped_elsewhere = sign(ca, officer, unsigned, tsa_ca=foreign_ca, trust=[ca.root, foreign_ca.root])
    result = verify_pdf(stamped_elsewhere, offline(ca), ca.now)
    assert isinstance(result, VerificationFailure) and result.reason is FailureReason.timestamp_invalid


def test_a_revocation_after_the_timestamp_leaves_the_signature_valid_and_says_when(
    ca: MemoryCa, officer: Issued, signed: bytes
) -> None:
    later = ca.now + dt.timedelta(days=3)
    register = VerificationContext(ca.trust, ca.revocations([(officer.certificate, later)]))
    result = verify_pdf(signed, register, later + dt.timedelta(days=1))
    assert isinstance(result, VerificationSuccess), result
    assert result.certificate_status is CertificateStatus.revoked and result.revoked_at == later
    assert result.timestamp == ca.now

    # The same from a CRL file (offline verification with --crl).
    entry = authority.RevokedEntry(officer.certificate.serial_number, later, x509.ReasonFlags.key_compromise)
    revocation_list = x509.load_der_x509_crl(crl(ca, ca.issuing, "issuing", [entry]))
    from_crl = verify_pdf(signed, VerificationContext(ca.trust, CrlStatusSource([revocation_list])), later)
    assert isinstance(from_crl, VerificationSuccess) and from_crl.revoked_at == later

    # Revoked before the timestamp: not valid.
    earlier = VerificationContext(ca.trust, ca.revocations([(officer.certificate, ca.now - dt.timedelta(minutes=5))]))
    refused = verify_pdf(signed, earlier, later)
    assert isinstance(refused, VerificationFailure) and refused.reason is FailureReason.revoked
    assert refused.integrity is True and refused.certificate_status is CertificateStatus.revoked


def test_a_revoked_signer_is_refused_before_anything_is_signed(ca: MemoryCa, unsigned: bytes) -> None:
    revoked = ca.officer()
    status = RevocationStatus(RevocationState.revoked, ca.now - dt.timedelta(hours=1), "key_compromise")
    with pytest.raises(pades.SignerRefused, match="does not validate"):
        sign(
            ca,
            revoked,
            unsigned,
            status_of=lambda serial: status if serial == revoked.certificate.serial_number else GOOD,
        )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda pdf, signed: b"%PDF-1.7\n",
        lambda pdf, signed: b"%PDF-1.7\n" + bytes(range(256)) * 8,
        lambda pdf, signed: signed[: len(signed) // 2],
        lambda pdf, signed: pdf,  # a PDF without a signature
    ],
    ids=["header-only", "garbage", "truncated", "unsigned"],
)
def test_malformed_or_unsigned_pdfs_are_malformed(
    ca: MemoryCa, unsigned: bytes, signed: bytes, mangle: Callable[[bytes, bytes], bytes]
) -> None:
    result = verify_file(mangle(unsigned, signed), offline(ca), ca.now)
    assert isinstance(result, VerificationFailure) and result.reason is FailureReason.malformed
    assert result.format == "pdf" and result.integrity is None


def test_a_visible_signature_sits_over_the_signature_block(ca: MemoryCa, officer: Issued) -> None:
    rendered = render(decision())
    block = rendered.signature_block
    assert block is not None
    box = pades.SignatureBox(block.page, block.x1, block.y1, block.x2, block.y2)
    signed = sign(ca, officer, rendered.pdf, field=pades.SignatureField(box=box, reason="Qaror TOSHHOK-2026-000123"))
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    assert [int(v) for v in signature.sig_field["/Rect"]] == [block.x1, block.y1, block.x2, block.y2]
    assert "/AP" in signature.sig_field  # PDF/A: a visible widget has an appearance (no font in it)
    assert signature.sig_object["/Reason"] == "Qaror TOSHHOK-2026-000123"
    assert verify_pdf(signed, offline(ca), ca.now)


def test_validation_problems_are_verdicts_not_tracebacks_in_the_log(
    ca: MemoryCa, foreign_ca: MemoryCa, unsigned: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    forged = sign(foreign_ca, foreign_ca.officer(), unsigned)
    with caplog.at_level(logging.DEBUG):
        assert not verify_pdf(forged, offline(ca), ca.now)
    noisy = [r for r in caplog.records if r.name.startswith("pyhanko") and (r.exc_info or r.levelno >= logging.WARNING)]
    assert noisy == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_change_to_the_signed_bytes_verifies_and_none_raises(
    ca: MemoryCa, signed: bytes, data: st.DataObject
) -> None:
    """Any byte of the signed ranges changed (or the file cut short): never valid, always a verdict."""
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    offset, length, second_offset, second_length = signature.byte_range  # everything but /Contents
    signed_positions = st.one_of(
        st.integers(offset, offset + length - 1), st.integers(second_offset, second_offset + second_length - 1)
    )
    mutated = bytearray(signed)
    if data.draw(st.booleans(), label="truncate"):
        mutated = mutated[: data.draw(st.integers(0, len(signed) - 1), label="length")]
    else:
        position = data.draw(signed_positions, label="position")
        mutated[position] = data.draw(st.integers(0, 255).filter(lambda b: b != signed[position]), label="byte")
    result = verify_pdf(bytes(mutated), offline(ca), ca.now)
    assert isinstance(result, VerificationFailure)
    assert result.reason in (FailureReason.malformed, FailureReason.signature_invalid), result


def test_embedded_revocation_data_that_miss_the_signer_leave_the_status_to_the_register(
    ca: MemoryCa, officer: Issued, unsigned: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A B-T signature (timestamp, no DSS) that gained a DSS later with only the root's CRL: the file proves
    nothing about the signer's status, so offline it is unchecked, and online the register decides."""

    class AtCaTime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> AtCaTime:  # type: ignore[override]
            return cls.fromtimestamp(ca.now.timestamp(), tz)

    monkeypatch.setattr(pdf_signer_module, "datetime", AtCaTime)  # pyHanko's /M, from its own clock
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    stamper = pades.InProcessTimeStamper(lambda r: tsa.respond(r, ca.tsa_signer, now=ca.now))
    pdf_signer = signers.PdfSigner(meta, pades.KeyStoreSigner(MemoryKey(officer)), timestamper=stamper)
    output = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(unsigned)))
    root_crl = asn1_crl.CertificateList.load(crl(ca, ca.root, "root"))
    DocumentSecurityStore.add_dss(output, None, crls=[root_crl])
    late_dss = output.getvalue()

    offline_result = verify_pdf(late_dss, offline(ca), ca.now)
    assert isinstance(offline_result, VerificationSuccess), offline_result
    assert offline_result.certificate_status is CertificateStatus.unchecked and offline_result.timestamp == ca.now
    online = verify_pdf(late_dss, VerificationContext(ca.trust, ca.revocations([])), ca.now)
    assert isinstance(online, VerificationSuccess) and online.certificate_status is CertificateStatus.good
