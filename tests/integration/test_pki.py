"""The PKI through HTTP, on SQLite and PostgreSQL, with the openssl command line as the independent verifier:
the CA, CSR issuance, CRL and OCSP after revocation, RFC 3161 timestamps, signed submissions and /verify."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from shaffof.canonical_json import canonicalize
from shaffof.pki.errors import PkiAlreadyInitialised
from shaffof.pki.models import IssuedCertificate, RevocationList
from shaffof.pki.service import verify_submission_jws
from shaffof.pki.signing import jws
from shaffof.pki.verify import CertificateStatus, FailureReason, VerificationFailure, VerificationSuccess
from tests.factories import World, token

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
PROBLEM = "application/problem+json"
SUBMISSION = {
    "service": "general-ariza",
    "agency": "YUNUSHOK",
    "form": {"subject": "Sinov", "text": "Imzolangan ariza"},
}


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPENSSL, *map(str, args)], capture_output=True, text=True, check=False, timeout=60)


def csr(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, common_name: str = "Someone Else") -> str:
    """A CSR whose subject claims to be someone else (a forged PINFL too): the platform must ignore it."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "PNOUZ-50211012610173"),
        ]
    )
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def pki_ready(world: World) -> World:
    world.platform.pki.initialise()
    return world


def issue(client: TestClient, login: str, key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    response = client.post("/api/v1/pki/certificates", json={"csr": csr(key)}, headers=token(client, login))
    assert response.status_code == 201, response.text
    return response.json()


def chain_of(issued: dict[str, str]) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(issued["chain_pem"].encode())


def files(client: TestClient, tmp_path: Path) -> Path:
    (tmp_path / "root.pem").write_bytes(client.get("/pki/ca.pem").content)
    (tmp_path / "chain.pem").write_bytes(client.get("/pki/chain.pem").content)
    issuing = x509.load_der_x509_certificate(client.get("/pki/issuing-ca.der").content)
    (tmp_path / "issuing.pem").write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    return tmp_path


def ocsp_status(client: TestClient, folder: Path, certificate_pem: str) -> str:
    (folder / "leaf.pem").write_text(certificate_pem)
    made = openssl(
        "ocsp", "-issuer", folder / "issuing.pem", "-cert", folder / "leaf.pem", "-reqout", folder / "req.der"
    )
    assert made.returncode == 0, made.stderr
    response = client.post(
        "/pki/ocsp", content=(folder / "req.der").read_bytes(), headers={"content-type": "application/ocsp-request"}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/ocsp-response"
    (folder / "resp.der").write_bytes(response.content)
    checked = openssl(
        "ocsp",
        "-respin",
        folder / "resp.der",
        "-reqin",
        folder / "req.der",
        "-CAfile",
        folder / "root.pem",
        "-verify_other",
        folder / "issuing.pem",
    )
    assert checked.returncode == 0 and "Response verify OK" in checked.stderr, checked.stderr
    status = openssl(
        "ocsp",
        "-respin",
        folder / "resp.der",
        "-issuer",
        folder / "issuing.pem",
        "-cert",
        folder / "leaf.pem",
        "-CAfile",
        folder / "root.pem",
        "-no_nonce",
    )
    assert status.returncode == 0, status.stderr
    return status.stdout


def crl_text(client: TestClient, folder: Path) -> str:
    (folder / "crl.der").write_bytes(client.get("/pki/crl.der").content)
    result = openssl(
        "crl", "-inform", "DER", "-in", folder / "crl.der", "-CAfile", folder / "chain.pem", "-noout", "-text"
    )
    assert result.returncode == 0 and "verify OK" in result.stderr + result.stdout, result.stderr
    return result.stdout


def test_a_citizen_gets_a_certificate_from_a_csr_that_openssl_verifies_and_revocation_reaches_crl_and_ocsp(
    client: TestClient, pki_ready: World, tmp_path: Path
) -> None:
    folder = files(client, tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    issued = issue(client, "alice", key)
    leaf = chain_of(issued)[0]

    # The subject comes from the person's record, never from the forged CSR.
    alice_pinfl = pki_ready.pinfls["alice"]
    assert leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == f"PNOUZ-{alice_pinfl}"
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Karimova Aziza"
    assert "Someone Else" not in issued["subject"] and "50211012610173" not in issued["subject"]
    assert leaf.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    assert issued["kind"] == "citizen" and issued["custody"] == "client" and issued["renewals"] == 0
    validity = dt.datetime.fromisoformat(issued["not_after"]) - dt.datetime.fromisoformat(issued["not_before"])
    assert dt.timedelta(days=364) < validity < dt.timedelta(days=367)  # the default 12 months (ZRU-793 cap: 24)

    (folder / "leaf.pem").write_text(issued["certificate_pem"])
    verified = openssl(
        "verify", "-CAfile", folder / "root.pem", "-untrusted", folder / "issuing.pem", folder / "leaf.pem"
    )
    assert verified.returncode == 0 and verified.stdout.strip().endswith("OK"), verified.stderr

    assert "leaf.pem: good" in ocsp_status(client, folder, issued["certificate_pem"])
    assert "No Revoked Certificates" in crl_text(client, folder)

    revoked = client.post(
        f"/api/v1/pki/certificates/{issued['serial']}/revoke",
        json={"reason": "key_compromise"},
        headers=token(client, "alice"),
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    text = crl_text(client, folder)
    assert issued["serial"].upper() in text.replace(":", "").upper() and "Key Compromise" in text
    status = ocsp_status(client, folder, issued["certificate_pem"])
    assert "leaf.pem: revoked" in status and "Reason: keyCompromise" in status
    with pki_ready.platform.db.reading() as session:  # a new CRL number per revocation
        numbers = session.scalars(sa.select(RevocationList.number).order_by(RevocationList.number)).all()
        assert numbers[-1] >= 2


def test_the_tsa_answers_rfc_3161_queries_that_openssl_verifies(
    client: TestClient, pki_ready: World, tmp_path: Path
) -> None:
    folder = files(client, tmp_path)
    (folder / "decision.txt").write_text("Qaror: ariza qanoatlantirildi.\n")
    assert (
        openssl(
            "ts", "-query", "-data", folder / "decision.txt", "-sha256", "-cert", "-out", folder / "q.tsq"
        ).returncode
        == 0
    )
    reply = client.post(
        "/pki/tsa", content=(folder / "q.tsq").read_bytes(), headers={"content-type": "application/timestamp-query"}
    )
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/timestamp-reply"
    (folder / "r.tsr").write_bytes(reply.content)
    result = openssl(
        "ts", "-verify", "-in", folder / "r.tsr", "-queryfile", folder / "q.tsq", "-CAfile", folder / "root.pem"
    )
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
    result = openssl(
        "ts", "-verify", "-in", folder / "r.tsr", "-data", folder / "decision.txt", "-CAfile", folder / "root.pem"
    )
    assert result.returncode == 0, result.stderr
    wrong = client.post("/pki/tsa", content=b"x", headers={"content-type": "application/octet-stream"})
    assert wrong.status_code == 415 and wrong.headers["content-type"] == PROBLEM
    assert "application/timestamp-query" in wrong.json()["detail"]


def test_a_signed_submission_verifies_in_the_transaction_and_on_the_verify_page(
    client: TestClient, pki_ready: World
) -> None:
    platform = pki_ready.platform
    key = ec.generate_private_key(ec.SECP256R1())
    issued = issue(client, "alice", key)
    now = dt.datetime.now(dt.UTC)
    token_ = jws.sign_submission(SUBMISSION, key, chain_of(issued), now)
    alice, bob = pki_ready.pinfls["alice"], pki_ready.pinfls["bob"]

    with platform.db.reading() as session:
        good = verify_submission_jws(session, token_, alice, now, expected_payload=canonicalize(SUBMISSION))
        assert isinstance(good, VerificationSuccess) and good.signer.pinfl == alice
        mismatch = verify_submission_jws(session, token_, bob, now)
        assert isinstance(mismatch, VerificationFailure) and mismatch.reason is FailureReason.pinfl_mismatch
        expired = verify_submission_jws(session, token_, alice, now + dt.timedelta(days=800))
        assert isinstance(expired, VerificationFailure)
        assert expired.reason in (FailureReason.expired, FailureReason.signing_time_invalid)

    report = client.post("/api/v1/verify", files={"file": ("submission.jws", token_.encode(), "application/jose")})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["verdict"] == "valid" and body["integrity"] == "intact" and body["certificate_status"] == "good"
    assert body["signer"]["pinfl"] == alice and body["signer"]["name"] == "Karimova Aziza"
    assert body["summary"].startswith("Valid signature by Karimova Aziza")

    stamped = platform.pki.timestamp_jws(token_)  # what the platform stores with a case
    client.post(f"/api/v1/pki/certificates/{issued['serial']}/revoke", headers=token(client, "alice"))

    with platform.db.reading() as session:
        refused = verify_submission_jws(session, token_, alice, dt.datetime.now(dt.UTC))
        assert isinstance(refused, VerificationFailure) and refused.reason is FailureReason.revoked
    after = client.post("/api/v1/verify", files={"file": ("s.jws", token_.encode(), "application/jose")}).json()
    assert after["verdict"] == "invalid" and after["reason"] == "revoked" and after["certificate_status"] == "revoked"
    # The timestamped copy proves the signature came before the revocation: still valid, and it says so.
    kept = client.post("/api/v1/verify", files={"file": ("s.json", stamped.encode(), "application/jose+json")}).json()
    assert kept["verdict"] == "valid", kept
    assert kept["certificate_status"] == "revoked" and kept["revoked_at"] is not None and kept["timestamp"] is not None
    assert "revoked later" in kept["summary"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"eyJhbGciOiJub25lIn0.e30.", "unsupported_algorithm"),
        (b"eyJhbGciOiJFUzI1NiJ9.e30.AAAA", "malformed"),
        (b'{"protected": 1}', "malformed"),
        (b"%PDF-1.7\n", "malformed"),  # PDFs have a verifier (PAdES, pki/pdf_verify.py)
        (b"GIF89a", "unsupported_format"),
    ],
)
def test_the_verify_endpoint_gives_one_verdict_for_bad_files(
    client: TestClient, pki_ready: World, content: bytes, reason: str
) -> None:
    body = client.post("/api/v1/verify", files={"file": ("x", content, "application/octet-stream")}).json()
    assert body["verdict"] == "invalid" and body["reason"] == reason and body["integrity"] == "not checked"


def test_an_oversize_upload_to_verify_is_refused(client: TestClient, pki_ready: World) -> None:
    limit = pki_ready.platform.settings.max_document_bytes
    response = client.post("/api/v1/verify", files={"file": ("big.jws", b"e" * (limit + 1), "application/jose")})
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM


def test_renewal_keeps_the_key_and_stops_after_two_extensions(client: TestClient, pki_ready: World) -> None:
    alice = token(client, "alice")
    key = ec.generate_private_key(ec.SECP256R1())
    first = issue(client, "alice", key)
    serials = [first["serial"]]
    for expected in (1, 2):
        renewed = client.post(f"/api/v1/pki/certificates/{serials[-1]}/renew", headers=alice)
        assert renewed.status_code == 201, renewed.text
        body = renewed.json()
        assert body["renewals"] == expected and body["renewed_from"] == serials[-1]
        assert chain_of(body)[0].public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
        serials.append(body["serial"])
    third = client.post(f"/api/v1/pki/certificates/{serials[-1]}/renew", headers=alice)
    assert third.status_code == 409 and third.headers["content-type"] == PROBLEM
    assert "ZRU-793" in third.json()["detail"] and third.json()["citation"]["law"] == "ZRU-793"
    again = client.post(f"/api/v1/pki/certificates/{serials[0]}/renew", headers=alice)
    assert again.status_code == 409 and serials[1] in again.json()["detail"]
    # A fresh CSR for the same key would be an endless extension: refused.
    same_key = client.post("/api/v1/pki/certificates", json={"csr": csr(key)}, headers=alice)
    assert same_key.status_code == 409 and "already certified" in same_key.json()["detail"]
    with pki_ready.platform.db.reading() as session:
        rows = session.scalars(sa.select(IssuedCertificate).where(IssuedCertificate.serial.in_(serials))).all()
        assert sorted(r.renewals for r in rows) == [0, 1, 2]


def test_officers_get_their_agency_in_the_subject_and_others_get_no_certificate(
    client: TestClient, pki_ready: World
) -> None:
    officer = issue(client, "toshhok.officer", ec.generate_private_key(ec.SECP256R1()))
    leaf = chain_of(officer)[0]
    assert officer["kind"] == "officer"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "TOSHHOK"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert not leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    for login in ("admin", "auditor"):
        refused = client.post(
            "/api/v1/pki/certificates",
            json={"csr": csr(ec.generate_private_key(ec.SECP256R1()))},
            headers=token(client, login),
        )
        assert refused.status_code == 403 and refused.json()["type"] == "/problems/signing-not-allowed"
    anonymous = client.post("/api/v1/pki/certificates", json={"csr": csr(ec.generate_private_key(ec.SECP256R1()))})
    assert anonymous.status_code == 401


def _tampered_csr() -> str:
    pem = csr(ec.generate_private_key(ec.SECP256R1()))
    der = x509.load_pem_x509_csr(pem.encode()).public_bytes(serialization.Encoding.DER)
    at = der.index(b"Someone Else")
    der = der[:at] + b"Someone Elsf" + der[at + 12 :]  # the signed subject no longer matches its signature
    return x509.load_der_x509_csr(der).public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize(
    ("make_csr", "message"),
    [
        (lambda: "not a certificate request", "PEM PKCS#10"),
        (lambda: csr(rsa.generate_private_key(public_exponent=65537, key_size=2048)), "P-256"),
        (lambda: csr(ec.generate_private_key(ec.SECP384R1())), "P-256"),
        (_tampered_csr, "proof of possession"),
    ],
    ids=["garbage", "rsa", "p384", "bad-signature"],
)
def test_bad_csrs_are_refused_and_nothing_is_issued(
    client: TestClient, pki_ready: World, make_csr: object, message: str
) -> None:
    response = client.post("/api/v1/pki/certificates", json={"csr": make_csr()}, headers=token(client, "alice"))  # type: ignore[operator]
    assert response.status_code == 422 and response.json()["type"] == "/problems/csr-invalid"
    assert message in response.json()["detail"]
    with pki_ready.platform.db.reading() as session:
        kinds = session.scalars(sa.select(IssuedCertificate.kind)).all()
        assert "citizen" not in kinds


def test_holders_manage_only_their_own_certificates(client: TestClient, pki_ready: World) -> None:
    issued = issue(client, "alice", ec.generate_private_key(ec.SECP256R1()))
    bob = token(client, "bob")
    assert client.get(f"/api/v1/pki/certificates/{issued['serial']}", headers=bob).status_code == 404
    assert client.post(f"/api/v1/pki/certificates/{issued['serial']}/revoke", headers=bob).status_code == 403
    assert client.post(f"/api/v1/pki/certificates/{issued['serial']}/renew", headers=bob).status_code == 403
    assert [c["serial"] for c in client.get("/api/v1/pki/certificates", headers=bob).json()] == []
    mine = client.get("/api/v1/pki/certificates", headers=token(client, "alice")).json()
    assert [c["serial"] for c in mine] == [issued["serial"]]
    as_openssl_prints_it = ":".join(f"{int(issued['serial'], 16):040X}"[i : i + 2] for i in range(0, 40, 2))
    found = client.get(f"/api/v1/pki/certificates/{as_openssl_prints_it}", headers=token(client, "alice"))
    assert found.status_code == 200 and found.json()["serial"] == issued["serial"]
    admin = token(client, "admin")
    everything = client.get("/api/v1/pki/certificates", headers=admin).json()
    assert {"root_ca", "issuing_ca", "tsa", "ocsp_responder", "citizen"} <= {c["kind"] for c in everything}
    issuing = next(c for c in everything if c["kind"] == "issuing_ca")
    assert client.post(f"/api/v1/pki/certificates/{issuing['serial']}/revoke", headers=admin).status_code == 403
    done = client.post(f"/api/v1/pki/certificates/{issued['serial']}/revoke", headers=admin)
    assert done.status_code == 200
    twice = client.post(f"/api/v1/pki/certificates/{issued['serial']}/revoke", headers=admin)
    assert twice.status_code == 409 and "already revoked" in twice.json()["detail"]


def test_the_public_endpoints_say_when_the_ca_is_not_set_up(client: TestClient, world: World) -> None:
    for path in ("/pki/ca.pem", "/pki/crl.der"):
        response = client.get(path)
        assert response.status_code == 503 and "shaffof pki init" in response.json()["detail"]
    world.platform.pki.initialise()
    with pytest.raises(PkiAlreadyInitialised, match="already set up"):
        world.platform.pki.initialise()
    assert client.get("/pki/ca.pem").status_code == 200


def test_an_agency_e_seal_signs_with_a_platform_key_and_verifies_with_the_agency(
    client: TestClient, pki_ready: World
) -> None:
    pki = pki_ready.platform.pki
    seal = pki.issue_eseal(None, "TOSHHOK")
    assert seal.kind == "eseal" and seal.custody == "platform" and "OU=TOSHHOK" in seal.subject
    with pki_ready.platform.db.reading() as session:
        key = pki.eseal(session, "TOSHHOK")
        decision = jws.sign_submission({"decision": "approved"}, key, key.chain, dt.datetime.now(dt.UTC))
    body = client.post("/api/v1/verify", files={"file": ("d.jws", decision.encode(), "application/jose")}).json()
    assert body["verdict"] == "valid" and body["signer"]["kind"] == "eseal" and body["signer"]["agency"] == "TOSHHOK"
    assert client.post("/api/v1/pki/certificates", headers=token(client, "admin"), json={"csr": "x"}).status_code == 403
    assert pki.list_certificates(pki_ready.actors["admin"], kind=None)[0].certificate_pem  # newest first


def test_verify_at_a_time_reports_expiry_of_the_certificate(pki_ready: World, client: TestClient) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    issued = issue(client, "alice", key)
    signed_at = dt.datetime.now(dt.UTC)
    token_ = jws.sign_submission(SUBMISSION, key, chain_of(issued), signed_at)
    later = dt.datetime.fromisoformat(issued["not_after"]) + dt.timedelta(days=1)
    result = pki_ready.platform.pki.verify_document(token_.encode(), at=later)
    assert isinstance(result, VerificationFailure) and result.reason is FailureReason.expired
    assert result.certificate_status is CertificateStatus.expired
