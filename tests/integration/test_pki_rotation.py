"""Rotating the issuing CA and the TSA, and revoking a retired issuing CA: what was signed before stays
verifiable, each CA answers for its own certificates (CRL, OCSP — checked with openssl), and a CA revoked before a
signature's trusted time takes the signature with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from fastapi.testclient import TestClient

from shaffof.pki.models import RevocationReason
from shaffof.pki.service import Pki, verify_submission_jws
from shaffof.pki.signing import jws
from shaffof.pki.verify import FailureReason, VerificationFailure, VerificationSuccess
from tests.factories import World, token
from tests.integration.test_pki import chain_of, issue, openssl

PAYLOAD = {"service": "general-ariza", "form": {"subject": "Aylanish", "text": "Kalit almashtirildi"}}


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def app_pki(client: TestClient) -> Pki:
    pki: Pki = client.app.state.platform.pki  # type: ignore[attr-defined]
    return pki


def ocsp(client: TestClient, folder: Path, leaf: x509.Certificate, issuer: x509.Certificate, root: Path) -> str:
    """Ask /pki/ocsp about ``leaf`` as openssl does, verify the signed answer with openssl; its status line."""
    (folder / "leaf.pem").write_bytes(pem(leaf))
    (folder / "issuer.pem").write_bytes(pem(issuer))
    made = openssl("ocsp", "-issuer", folder / "issuer.pem", "-cert", folder / "leaf.pem", "-reqout", folder / "q.der")
    assert made.returncode == 0, made.stderr
    answer = client.post(
        "/pki/ocsp", content=(folder / "q.der").read_bytes(), headers={"content-type": "application/ocsp-request"}
    )
    (folder / "r.der").write_bytes(answer.content)
    checked = openssl(
        "ocsp",
        "-respin",
        folder / "r.der",
        "-issuer",
        folder / "issuer.pem",
        "-cert",
        folder / "leaf.pem",
        "-CAfile",
        root,
        "-verify_other",
        folder / "issuer.pem",
        "-no_nonce",
    )
    assert checked.returncode == 0 and "Response verify OK" in checked.stderr, checked.stderr
    return checked.stdout


def test_a_rotated_issuing_ca_keeps_answering_for_what_it_issued(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    world.platform.pki.initialise()
    root_file = tmp_path / "root.pem"
    root_file.write_bytes(client.get("/pki/ca.pem").content)
    alice_key = ec.generate_private_key(ec.SECP256R1())
    alice_leaf, first_ca = chain_of(issue(client, "alice", alice_key))[:2]
    before = jws.sign_submission(PAYLOAD, alice_key, [alice_leaf, first_ca], dt.datetime.now(dt.UTC))
    stamped_before = app_pki(client).timestamp_jws(before)

    officer = token(client, "toshhok.officer")
    refused = client.post("/api/v1/pki/rotations", json={"kind": "issuing_ca"}, headers=officer)
    assert refused.status_code == 403
    bad = client.post("/api/v1/pki/rotations", json={"kind": "root_ca"}, headers=token(client, "admin"))
    assert bad.status_code == 422 and "kind" in bad.text
    rotated = client.post("/api/v1/pki/rotations", json={"kind": "issuing_ca"}, headers=token(client, "admin"))
    assert rotated.status_code == 201, rotated.text
    assert "Issuing CA 2" in rotated.json()["subject"]
    second_ca = x509.load_der_x509_certificate(client.get("/pki/issuing-ca.der").content)
    assert second_ca.subject != first_ca.subject and second_ca.serial_number != first_ca.serial_number

    # New certificates come from the new CA, and point at its own CRL; openssl builds both paths.
    bob_leaf = chain_of(issue(client, "bob", ec.generate_private_key(ec.SECP256R1())))[0]
    assert bob_leaf.issuer == second_ca.subject
    first_serial, second_serial = format(first_ca.serial_number, "x"), format(second_ca.serial_number, "x")
    points = bob_leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value.endswith(f"/pki/issuing/{second_serial}/crl.der")
    for leaf, ca_serial in ((alice_leaf, first_serial), (bob_leaf, second_serial)):
        (tmp_path / "ca.pem").write_bytes(
            pem(x509.load_der_x509_certificate(client.get(f"/pki/issuing/{ca_serial}/ca.der").content))
        )
        (tmp_path / "leaf.pem").write_bytes(pem(leaf))
        checked = openssl("verify", "-CAfile", root_file, "-untrusted", tmp_path / "ca.pem", tmp_path / "leaf.pem")
        assert checked.returncode == 0 and "OK" in checked.stdout, checked.stderr

    # The old CA's certificates still verify, and their revocation reaches the old CA's CRL and OCSP.
    verdict = client.post("/api/v1/verify", files={"file": ("a.jws", before.encode(), "application/jose")}).json()
    assert verdict["verdict"] == "valid", verdict
    assert "good" in ocsp(client, tmp_path, alice_leaf, first_ca, root_file)
    assert "good" in ocsp(client, tmp_path, bob_leaf, second_ca, root_file)
    alice_serial = format(alice_leaf.serial_number, "x")
    revoked = client.post(f"/api/v1/pki/certificates/{alice_serial}/revoke", headers=token(client, "alice"))
    assert revoked.status_code == 200, revoked.text
    assert "revoked" in ocsp(client, tmp_path, alice_leaf, first_ca, root_file).lower()
    assert "good" in ocsp(client, tmp_path, bob_leaf, second_ca, root_file)
    (tmp_path / "crl.der").write_bytes(client.get(f"/pki/issuing/{first_serial}/crl.der").content)
    (tmp_path / "both.pem").write_bytes(pem(first_ca) + root_file.read_bytes())
    crl = openssl("crl", "-inform", "DER", "-in", tmp_path / "crl.der", "-CAfile", tmp_path / "both.pem", "-text")
    assert crl.returncode == 0 and "verify OK" in crl.stderr + crl.stdout, crl.stderr
    assert alice_serial.upper() in crl.stdout.upper()
    assert client.get("/pki/issuing/00ff/crl.der").status_code == 404

    # The issuing CA in use cannot be revoked; a retired one can, from the console (root CRL, openssl).
    pki = app_pki(client)
    in_use = client.get("/pki/issuing-ca.der").content
    assert x509.load_der_x509_certificate(in_use).serial_number == second_ca.serial_number
    refusal = None
    try:
        pki.revoke(None, second_serial, RevocationReason.key_compromise)
    except Exception as error:
        refusal = str(error)
    assert refusal is not None and "rotate first" in refusal
    pki.revoke(None, first_serial, RevocationReason.key_compromise)
    (tmp_path / "root-crl.der").write_bytes(client.get("/pki/root-crl.der").content)
    root_crl = openssl("crl", "-inform", "DER", "-in", tmp_path / "root-crl.der", "-CAfile", root_file, "-text")
    assert root_crl.returncode == 0 and first_serial.upper() in root_crl.stdout.upper()

    # A signature timestamped before the CA's revocation stands; one that only a later time vouches for falls.
    with world.platform.db.reading() as session:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        untimed = verify_submission_jws(session, before, world.pinfls["alice"], later)
        assert isinstance(untimed, VerificationFailure) and untimed.reason is FailureReason.revoked
        timed = verify_submission_jws(session, stamped_before, world.pinfls["alice"], later)
    # alice's own certificate was revoked after the timestamp too: still valid as made before both revocations
    assert isinstance(timed, VerificationSuccess), timed


def test_a_retired_issuing_ca_that_is_revoked_takes_its_untimestamped_signatures_with_it(
    client: TestClient, world: World
) -> None:
    world.platform.pki.initialise()
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, first_ca = chain_of(issue(client, "alice", key))[:2]
    token_ = jws.sign_submission(PAYLOAD, key, [leaf, first_ca], dt.datetime.now(dt.UTC))
    pki = app_pki(client)
    rotated = client.post("/api/v1/pki/rotations", json={"kind": "issuing_ca"}, headers=token(client, "admin"))
    assert rotated.status_code == 201, rotated.text
    pki.revoke(None, format(first_ca.serial_number, "x"), RevocationReason.key_compromise)
    with world.platform.db.reading() as session:
        result = verify_submission_jws(session, token_, world.pinfls["alice"], dt.datetime.now(dt.UTC))
    assert isinstance(result, VerificationFailure) and result.reason is FailureReason.revoked
    assert "certification authority" in result.detail and "Issuing CA 1" in result.detail


def test_a_rotated_tsa_stamps_with_its_new_key_and_old_tokens_still_verify(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    world.platform.pki.initialise()
    (tmp_path / "root.pem").write_bytes(client.get("/pki/ca.pem").content)
    (tmp_path / "data.txt").write_bytes(b"Qaror matni")
    query = openssl("ts", "-query", "-data", tmp_path / "data.txt", "-sha256", "-cert", "-out", tmp_path / "q.tsq")
    assert query.returncode == 0, query.stderr

    def stamp(name: str) -> int:
        """A reply from /pki/tsa that openssl verifies with the root alone; the serial of the TSA that signed."""
        answer = client.post(
            "/pki/tsa",
            content=(tmp_path / "q.tsq").read_bytes(),
            headers={"content-type": "application/timestamp-query"},
        )
        (tmp_path / name).write_bytes(answer.content)
        return verify(name)

    def verify(name: str) -> int:
        checked = openssl(
            "ts", "-verify", "-in", tmp_path / name, "-data", tmp_path / "data.txt", "-CAfile", tmp_path / "root.pem"
        )
        assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
        out = openssl("ts", "-reply", "-in", tmp_path / name, "-token_out", "-out", tmp_path / f"{name}.token")
        assert out.returncode == 0, out.stderr
        certificates = pkcs7.load_der_pkcs7_certificates((tmp_path / f"{name}.token").read_bytes())
        [tsa] = [c for c in certificates if not c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca]
        return tsa.serial_number

    old_tsa = stamp("old.tsr")
    rotated = client.post("/api/v1/pki/rotations", json={"kind": "tsa"}, headers=token(client, "admin"))
    assert rotated.status_code == 201, rotated.text
    new_tsa = stamp("new.tsr")
    assert new_tsa != old_tsa and format(new_tsa, "x") == rotated.json()["serial"]
    assert verify("old.tsr") == old_tsa  # the earlier reply still verifies: its TSA certificate stands
