"""RFC 3161: tokens that ``openssl ts -verify`` accepts, refusals with the right PKIFailureInfo, our own checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from asn1crypto import core, tsp

from shaffof.pki import profiles, tsa
from tests.unit.pki.conftest import MemoryCa, openssl, pem


@pytest.fixture
def files(ca: MemoryCa, tmp_path: Path) -> Path:
    (tmp_path / "data.txt").write_bytes(b"Qaror: ariza qanoatlantirildi.\n")
    (tmp_path / "root.pem").write_bytes(pem(ca.root))
    return tmp_path


@pytest.mark.parametrize("digest", ["-sha256", "-sha384", "-sha512"])
@pytest.mark.parametrize("with_certificate", [True, False])
def test_openssl_verifies_the_reply_against_the_query_and_the_data(
    ca: MemoryCa, files: Path, digest: str, with_certificate: bool
) -> None:
    query = ["ts", "-query", "-data", files / "data.txt", digest, "-out", files / "q.tsq"]
    assert openssl(*query, *(["-cert"] if with_certificate else [])).returncode == 0
    (files / "r.tsr").write_bytes(tsa.respond((files / "q.tsq").read_bytes(), ca.tsa_signer, now=ca.now))
    untrusted = [] if with_certificate else ["-untrusted", files / "tsa.pem"]
    (files / "tsa.pem").write_bytes(pem(ca.tsa, ca.issuing))
    for against in (["-queryfile", files / "q.tsq"], ["-data", files / "data.txt"]):
        result = openssl("ts", "-verify", "-in", files / "r.tsr", *against, "-CAfile", files / "root.pem", *untrusted)
        assert result.returncode == 0, result.stderr
        assert "Verification: OK" in result.stdout
    text = openssl("ts", "-reply", "-in", files / "r.tsr", "-text").stdout
    assert "Status: Granted." in text
    assert f"Policy OID: {profiles.TSA_POLICY.dotted_string}" in text
    assert "Time stamp: Nov 24 10:00:00 2026 GMT" in text
    assert "Nonce: 0x" in text


def test_openssl_refuses_a_token_for_other_data(ca: MemoryCa, files: Path) -> None:
    assert (
        openssl("ts", "-query", "-data", files / "data.txt", "-sha256", "-cert", "-out", files / "q.tsq").returncode
        == 0
    )
    (files / "r.tsr").write_bytes(tsa.respond((files / "q.tsq").read_bytes(), ca.tsa_signer, now=ca.now))
    (files / "other.txt").write_bytes(b"another decision\n")
    result = openssl(
        "ts", "-verify", "-in", files / "r.tsr", "-data", files / "other.txt", "-CAfile", files / "root.pem"
    )
    assert result.returncode != 0 and "message imprint mismatch" in result.stderr


def _request(**fields: object) -> bytes:
    base: dict[str, object] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(b"x").digest()},
        "cert_req": True,
    }
    return bytes(tsp.TimeStampReq({**base, **fields}).dump())


@pytest.mark.parametrize(
    ("request_der", "failure"),
    [
        (b"not DER at all", "bad_data_format"),
        (b"\x30" + b"\x82\x20\x00" + b"\x00" * 8192, "bad_data_format"),
        (_request(message_imprint={"hash_algorithm": {"algorithm": "md5"}, "hashed_message": b"\x00" * 16}), "bad_alg"),
        (
            _request(message_imprint={"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": b"\x00" * 20}),
            "bad_data_format",
        ),
        (_request(req_policy="1.2.3.4"), "unaccepted_policy"),
        (
            _request(extensions=[{"extn_id": "2.5.29.99", "critical": False, "extn_value": b"\x05\x00"}]),
            "unaccepted_extensions",
        ),
    ],
    ids=["garbage", "oversize", "md5", "short-imprint", "other-policy", "extensions"],
)
def test_bad_requests_are_rejected_with_the_failure_info_of_rfc_3161(
    ca: MemoryCa, request_der: bytes, failure: str
) -> None:
    # TimeStampResp ::= SEQUENCE { status, token OPTIONAL }: a rejection holds only the status.
    reply = tsp.PKIStatusInfo.load(core.Sequence.load(tsa.respond(request_der, ca.tsa_signer, now=ca.now)).contents)
    assert reply["status"].native == "rejection"
    assert reply["fail_info"].native == {failure}
    assert reply["status_string"].native[0]


def test_a_request_under_our_policy_is_granted(ca: MemoryCa) -> None:
    reply = tsp.TimeStampResp.load(
        tsa.respond(_request(req_policy=profiles.TSA_POLICY.dotted_string, nonce=42), ca.tsa_signer, now=ca.now)
    )
    assert reply["status"]["status"].native == "granted"
    tst_info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert tst_info["nonce"].native == 42


def test_our_verifier_reads_the_time_and_refuses_tampering(ca: MemoryCa) -> None:
    digest = hashlib.sha256(b"signature value").digest()
    token = tsa.stamp(digest, ca.tsa_signer, now=ca.now)
    verified = tsa.verify_token(token, digest, ca.trust)
    assert verified.time == ca.now and verified.tsa_name == "Shaffof TSA"
    with pytest.raises(tsa.TimestampInvalid, match="imprint"):
        tsa.verify_token(token, hashlib.sha256(b"other").digest(), ca.trust)
    # Flip one byte of the signed TSTInfo (inside its genTime): the message digest no longer matches.
    at = token.index(b"20261124100000Z")
    tampered = token[:at] + b"20261124100001Z" + token[at + 15 :]
    with pytest.raises(tsa.TimestampInvalid, match="altered"):
        tsa.verify_token(tampered, digest, ca.trust)
    with pytest.raises(tsa.TimestampInvalid, match="malformed"):
        tsa.verify_token(b"\x30\x00", digest, ca.trust)


def test_serial_numbers_are_unique(ca: MemoryCa) -> None:
    digest = hashlib.sha256(b"x").digest()
    serials = {
        tsa.verify_token(tsa.stamp(digest, ca.tsa_signer, now=ca.now), digest, ca.trust).serial_number
        for _ in range(50)
    }
    assert len(serials) == 50
