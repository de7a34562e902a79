"""Signed submissions (issue 3 part 3): the applicant's JWS is verified in the submission's transaction,
timestamped and kept with the case; any flaw refuses the submission and files nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from shaffof.cases.models import Case, CaseSignature
from shaffof.catalog.service import import_packages
from shaffof.pki.signing.jws import sign_submission
from tests.conftest import SERVICES
from tests.factories import World, token

FORM = {"purpose": "employer", "language": "uz"}


@pytest.fixture
def signing_world(world: World, tmp_path: Path) -> World:
    """The PKI set up, and 'tax-id-certificate' declared as taking only signed submissions."""
    world.platform.pki.initialise()
    services = tmp_path / "services"
    shutil.copytree(SERVICES, services)
    file = services / "tax-id-certificate" / "service.yaml"
    package = yaml.safe_load(file.read_text())
    package["signature_required"] = True
    file.write_text(yaml.safe_dump(package, allow_unicode=True))
    with world.platform.db.uow() as uow:
        import_packages(uow, services)
    return world


def certify(client: TestClient, headers: dict[str, str]) -> tuple[ec.EllipticCurvePrivateKey, list[x509.Certificate]]:
    """A client-held key: the citizen sends a CSR and gets a certificate whose subject comes from their record."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "anything")]))
        .sign(key, hashes.SHA256())
    )
    response = client.post(
        "/api/v1/pki/certificates",
        json={"csr": csr.public_bytes(Encoding.PEM).decode()},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    chain = x509.load_pem_x509_certificates(response.json()["chain_pem"].encode())
    return key, chain


def body(signature: str | None = None, form: dict[str, str] = FORM) -> dict[str, Any]:
    submission: dict[str, Any] = {"service": "tax-id-certificate", "form": form, "documents": [], "channel": "api"}
    if signature is not None:
        submission["signature"] = signature
    return submission


def sign(key: ec.EllipticCurvePrivateKey, chain: list[x509.Certificate], content: dict[str, Any]) -> str:
    return sign_submission(content, key, chain, dt.datetime.now(dt.UTC))


def case_count(world: World) -> int:
    with world.platform.db.reading() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0


def test_a_signed_submission_is_verified_timestamped_and_kept(client: TestClient, signing_world: World) -> None:
    alice = token(client, "alice")
    key, chain = certify(client, alice)
    filed = client.post("/api/v1/cases", json=body(sign(key, chain, body())), headers=alice)
    assert filed.status_code == 201, filed.text
    case = filed.json()
    [signature] = case["signatures"]
    assert signature["purpose"] == "submission" and signature["format"] == "jws"
    assert signature["signer"] == "Karimova Aziza"  # the certificate CN, from the person record
    assert signature["timestamp"] is not None
    timeline = client.get(f"/api/v1/cases/{case['registration_number']}/timeline", headers=alice).json()
    assert timeline[0]["data"]["signature"]["sha256"] == signature["sha256"]  # the event (and its leaf) names it
    with signing_world.platform.db.reading() as session:
        stored = session.scalars(sa.select(CaseSignature.token)).one()
    # Anyone can verify the stored signature (with its timestamp) through the public verification endpoint.
    verdict = client.post("/api/v1/verify", files={"file": ("signature.json", stored.encode(), "application/json")})
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["verdict"] == "valid", verdict.json()
    assert verdict.json()["timestamp"] is not None


def test_a_service_with_legal_effect_refuses_unsigned_submissions(client: TestClient, signing_world: World) -> None:
    response = client.post("/api/v1/cases", json=body(), headers=token(client, "alice"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "signature", "message": "this service takes only signed submissions (ZRU-793 electronic signature)"}
    ]
    assert case_count(signing_world) == 0


def test_an_altered_payload_is_refused(client: TestClient, signing_world: World) -> None:
    alice = token(client, "alice")
    key, chain = certify(client, alice)
    signed = sign(key, chain, body())
    response = client.post("/api/v1/cases", json=body(signed, form={**FORM, "purpose": "bank"}), headers=alice)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/signature-rejected"
    assert response.json()["errors"] == [{"path": "signature", "message": "payload_mismatch"}]
    assert case_count(signing_world) == 0


def test_someone_elses_certificate_is_refused(client: TestClient, signing_world: World) -> None:
    bob_key, bob_chain = certify(client, token(client, "bob"))
    response = client.post("/api/v1/cases", json=body(sign(bob_key, bob_chain, body())), headers=token(client, "alice"))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "signature", "message": "pinfl_mismatch"}]
    assert case_count(signing_world) == 0


def test_a_key_from_a_foreign_ca_or_a_wrong_key_is_refused(client: TestClient, signing_world: World) -> None:
    alice = token(client, "alice")
    _, chain = certify(client, alice)
    stranger = ec.generate_private_key(ec.SECP256R1())
    response = client.post("/api/v1/cases", json=body(sign(stranger, chain, body())), headers=alice)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "signature", "message": "signature_invalid"}]
    malformed = client.post("/api/v1/cases", json=body("not-a-jws"), headers=alice)
    assert malformed.status_code == 422
    assert malformed.json()["errors"] == [{"path": "signature", "message": "malformed"}]
    assert case_count(signing_world) == 0


def test_a_revoked_certificate_is_refused(client: TestClient, signing_world: World) -> None:
    alice = token(client, "alice")
    key, chain = certify(client, alice)
    listed = client.get("/api/v1/pki/certificates", headers=alice).json()
    serial = next(c["serial"] for c in listed if c["status"] == "active")
    assert client.post(f"/api/v1/pki/certificates/{serial}/revoke", headers=alice).status_code == 200
    response = client.post("/api/v1/cases", json=body(sign(key, chain, body())), headers=alice)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "signature", "message": "revoked"}]
    assert case_count(signing_world) == 0
