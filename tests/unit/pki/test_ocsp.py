"""RFC 6960: OCSP answers that ``openssl ocsp`` verifies, for good, revoked and unknown certificates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp as x509_ocsp

from shaffof.pki import ocsp
from shaffof.pki.interfaces import GOOD, RevocationState, RevocationStatus
from tests.unit.pki.conftest import MemoryCa, openssl, pem, signer


@pytest.fixture
def responder(ca: MemoryCa) -> ocsp.OcspResponder:
    return ocsp.OcspResponder(ca.ocsp, ca.issuing, signer(ca.keys["ocsp"]))


def _files(ca: MemoryCa, tmp_path: Path, leaf: x509.Certificate) -> Path:
    (tmp_path / "issuing.pem").write_bytes(pem(ca.issuing))
    (tmp_path / "root.pem").write_bytes(pem(ca.root))
    (tmp_path / "leaf.pem").write_bytes(pem(leaf))
    return tmp_path


def _openssl_request(files: Path) -> bytes:
    result = openssl(
        "ocsp", "-issuer", files / "issuing.pem", "-cert", files / "leaf.pem", "-reqout", files / "req.der"
    )
    assert result.returncode == 0, result.stderr
    return (files / "req.der").read_bytes()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (GOOD, "good"),
        (
            RevocationStatus(RevocationState.revoked, dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC), "key_compromise"),
            "revoked",
        ),
        (RevocationStatus(RevocationState.unknown), "unknown"),
    ],
)
def test_openssl_verifies_the_response_and_reads_the_status(
    ca: MemoryCa, responder: ocsp.OcspResponder, tmp_path: Path, status: RevocationStatus, expected: str
) -> None:
    files = _files(ca, tmp_path, ca.citizen().certificate)
    response = ocsp.respond(_openssl_request(files), responder, lambda serial: status, now=dt.datetime.now(dt.UTC))
    (files / "resp.der").write_bytes(response)
    # -reqin: openssl also checks that our response echoes the request's nonce.
    with_nonce = openssl(
        "ocsp",
        "-respin",
        files / "resp.der",
        "-reqin",
        files / "req.der",
        "-CAfile",
        files / "root.pem",
        "-verify_other",
        files / "issuing.pem",
    )
    assert with_nonce.returncode == 0 and "Response verify OK" in with_nonce.stderr, with_nonce.stderr
    result = openssl(
        "ocsp",
        "-respin",
        files / "resp.der",
        "-issuer",
        files / "issuing.pem",
        "-cert",
        files / "leaf.pem",
        "-CAfile",
        files / "root.pem",
        "-no_nonce",
    )
    assert result.returncode == 0 and "Response verify OK" in result.stderr, result.stderr
    assert f"leaf.pem: {expected}" in result.stdout
    if expected == "revoked":
        assert "Reason: keyCompromise" in result.stdout and "Revocation Time: Nov 20 08:00:00 2026 GMT" in result.stdout


def test_openssl_refuses_a_response_it_cannot_chain(
    ca: MemoryCa, foreign_ca: MemoryCa, responder: ocsp.OcspResponder, tmp_path: Path
) -> None:
    files = _files(ca, tmp_path, ca.citizen().certificate)
    response = ocsp.respond(_openssl_request(files), responder, lambda serial: GOOD, now=dt.datetime.now(dt.UTC))
    (files / "resp.der").write_bytes(response)
    (files / "foreign.pem").write_bytes(pem(foreign_ca.root))
    result = openssl(
        "ocsp",
        "-respin",
        files / "resp.der",
        "-CAfile",
        files / "foreign.pem",
        "-verify_other",
        files / "issuing.pem",
        "-no_nonce",
    )
    assert "Response Verify Failure" in result.stderr


def test_the_answer_names_the_certificate_asked_about_and_is_fresh(ca: MemoryCa, responder: ocsp.OcspResponder) -> None:
    leaf = ca.citizen().certificate
    request = x509_ocsp.OCSPRequestBuilder().add_certificate(leaf, ca.issuing, hashes.SHA256()).build()
    now = dt.datetime(2026, 11, 24, 12, 0, 0, 500, tzinfo=dt.UTC)
    asked = request.public_bytes(serialization.Encoding.DER)
    answer = x509_ocsp.load_der_ocsp_response(ocsp.respond(asked, responder, lambda serial: GOOD, now=now))
    assert answer.response_status is x509_ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.serial_number == leaf.serial_number
    assert answer.certificate_status is x509_ocsp.OCSPCertStatus.GOOD
    assert answer.this_update_utc == now.replace(microsecond=0)
    assert answer.next_update_utc == now.replace(microsecond=0) + ocsp.RESPONSE_VALIDITY
    assert answer.certificates == [ca.ocsp]
    public_key = ca.ocsp.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(answer.signature, answer.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))


def test_a_question_about_another_ca_is_unauthorized_and_garbage_is_malformed(
    ca: MemoryCa, foreign_ca: MemoryCa, responder: ocsp.OcspResponder
) -> None:
    stranger = foreign_ca.citizen().certificate
    request = x509_ocsp.OCSPRequestBuilder().add_certificate(stranger, foreign_ca.root, hashes.SHA1()).build()
    answer = ocsp.respond(request.public_bytes(serialization.Encoding.DER), responder, lambda s: GOOD, now=ca.now)
    assert x509_ocsp.load_der_ocsp_response(answer).response_status is x509_ocsp.OCSPResponseStatus.UNAUTHORIZED
    for garbage in (b"", b"\x30\x00", b"hello", b"\x30" * 9000):
        answer = ocsp.respond(garbage, responder, lambda s: GOOD, now=ca.now)
        assert (
            x509_ocsp.load_der_ocsp_response(answer).response_status is x509_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        )
