"""Issue 3's main path end to end: a citizen signs and submits with a cloud key, the officer decides and signs
the decision with their own key (a fresh second factor for the act), the citizen downloads a PDF that pyHanko
validates and /verify accepts; revoking the officer's certificate afterwards shows in OCSP (checked by
``openssl ocsp``) and the verification still says the signature was made before the revocation."""

from __future__ import annotations

import io
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from shaffof.cases.models import Case, CaseSignature
from tests.factories import World, token
from tests.integration.test_pki import files, ocsp_status
from tests.integration.test_pki_cloud import Clock, enrol
from tests.integration.test_signed_submission import FORM, signing_world  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("signing_world")  # 'tax-id-certificate' takes only signed submissions

DECISION = {"outcome": "approved", "reason": "Soliq to'lovchining identifikatsiya raqami haqida ma'lumotnoma berilsin"}


def cloud_key(client: TestClient, headers: dict[str, str], clock: Clock) -> tuple[pyotp.TOTP, dict[str, str]]:
    totp = enrol(client, headers, clock)
    created = client.post("/api/v1/pki/cloud-keys", json={"totp": totp.at(clock.now)}, headers=headers)
    assert created.status_code == 201, created.text
    clock.step()
    return totp, created.json()


def submit_signed(client: TestClient, alice: dict[str, str], totp: pyotp.TOTP, clock: Clock) -> str:
    content = {"service": "tax-id-certificate", "form": FORM, "documents": [], "channel": "api"}
    signed = client.post("/api/v1/pki/cloud-sign", json={"payload": content, "totp": totp.at(clock.now)}, headers=alice)
    assert signed.status_code == 200, signed.text
    clock.step()
    submitted = client.post("/api/v1/cases", json={**content, "signature": signed.json()["jws"]}, headers=alice)
    assert submitted.status_code == 201, submitted.text
    return str(submitted.json()["registration_number"])


@pytest.fixture
def clock(client: TestClient, world: World) -> Clock:
    """One clock for the PKI and the cases, moved on by TOTP steps so that each act has a fresh code."""
    clock = Clock()
    platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.pki.clock = clock
    platform.cases.clock = clock
    return clock


def test_the_officer_signs_the_decision_and_it_survives_a_later_revocation(
    client: TestClient,
    world: World,
    clock: Clock,
    tmp_path: Path,
) -> None:
    alice = token(client, "alice")
    alice_totp, _ = cloud_key(client, alice, clock)
    number = submit_signed(client, alice, alice_totp, clock)

    officer = token(client, "soliq.officer")
    officer_totp, certificate = cloud_key(client, officer, clock)
    assert certificate["kind"] == "officer" and certificate["custody"] == "platform"
    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={**DECISION, "totp": officer_totp.at(clock.now)},
        headers=officer,
    )
    assert decided.status_code == 200, decided.text
    assert world.platform.issue_decisions() == 0  # signed already: the e-seal has nothing to do

    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    [document] = [d for d in case["documents"] if d["document_type"] == "decision"]
    [signature] = [s for s in case["signatures"] if s["purpose"] == "decision"]
    assert signature["certificate_serial"] == certificate["serial"]
    [submission] = [s for s in case["signatures"] if s["purpose"] == "submission"]
    assert submission["timestamp"] is not None
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert [e["kind"] for e in timeline][-2:] == ["decided", "decision_issued"]

    pdf = client.get(f"/api/v1/cases/{number}/documents/{document['sha256']}", headers=alice).content
    root = x509.load_pem_x509_certificate(client.get("/pki/ca.pem").content)
    context = ValidationContext(  # at the test clock's time: it runs minutes ahead for fresh TOTP steps
        trust_roots=[asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))],
        allow_fetching=False,
        moment=clock.now,
    )
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(embedded, context)
    assert status.intact and status.valid and status.trusted and status.timestamp_validity is not None
    signer_cert = x509.load_der_x509_certificate(embedded.signer_cert.dump())
    assert signer_cert.serial_number == int(certificate["serial"], 16)  # the officer's own certificate

    verdict = client.post("/api/v1/verify", files={"file": ("qaror.pdf", pdf, "application/pdf")}).json()
    assert verdict["verdict"] == "valid" and verdict["signer"]["agency"] == "SOLIQ", verdict
    assert verdict["revoked_at"] is None

    # The officer's certificate is revoked afterwards (say the officer left the body).
    clock.step()
    folder = files(client, tmp_path)
    assert "good" in ocsp_status(client, folder, certificate["certificate_pem"])
    revoked = client.post(f"/api/v1/pki/certificates/{certificate['serial']}/revoke", headers=officer)
    assert revoked.status_code == 200, revoked.text
    assert "revoked" in ocsp_status(client, folder, certificate["certificate_pem"]).lower()

    after = client.post("/verify", data={"lang": "en"}, files={"file": ("qaror.pdf", pdf, "application/pdf")})
    assert "The signature is valid" in after.text and "made before the certificate was revoked" in after.text

    # A revoked key signs nothing more: the next decision is refused, and nothing of it is stored.
    second = submit_signed(client, alice, alice_totp, clock)
    client.post(f"/api/v1/officer/cases/{second}/take", headers=officer)
    clock.step()
    refused = client.post(
        f"/api/v1/officer/cases/{second}/decide",
        json={**DECISION, "totp": officer_totp.at(clock.now)},
        headers=officer,
    )
    assert refused.status_code == 404 and "no valid cloud key" in refused.json()["detail"]
    with world.platform.db.reading() as session:
        case_row = session.scalar(sa.select(Case).where(Case.registration_number == second))
        assert case_row is not None and case_row.outcome is None
        assert not session.scalar(
            sa.select(sa.func.count()).where(CaseSignature.case_id == case_row.id, CaseSignature.purpose == "decision")
        )


def test_a_decision_is_signed_only_with_a_fresh_code_and_by_the_deciding_body(
    client: TestClient,
    world: World,
    clock: Clock,
) -> None:
    alice = token(client, "alice")
    alice_totp, _ = cloud_key(client, alice, clock)
    number = submit_signed(client, alice, alice_totp, clock)
    officer = token(client, "soliq.officer")
    totp, _ = cloud_key(client, officer, clock)
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)

    wrong = client.post(f"/api/v1/officer/cases/{number}/decide", json={**DECISION, "totp": "000000"}, headers=officer)
    assert wrong.status_code == 401 and wrong.json()["type"] == "/problems/step-up-required"
    malformed = client.post(
        f"/api/v1/officer/cases/{number}/decide", json={**DECISION, "totp": "12ab"}, headers=officer
    )
    assert malformed.status_code == 422 and "totp" in malformed.text

    # An officer of another body holds a key too, but cannot decide (nor sign for) this body's case.
    other = token(client, "yunushok.officer")
    other_totp, _ = cloud_key(client, other, clock)
    foreign = client.post(
        f"/api/v1/officer/cases/{number}/decide", json={**DECISION, "totp": other_totp.at(clock.now)}, headers=other
    )
    assert foreign.status_code in (403, 404), foreign.text
    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert case["state"] == "in_review" and not [d for d in case["documents"] if d["document_type"] == "decision"]

    # A citizen's cloud key signs submissions, never decisions.
    clock.step()
    citizen = client.post(
        f"/api/v1/officer/cases/{number}/decide", json={**DECISION, "totp": alice_totp.at(clock.now)}, headers=alice
    )
    assert citizen.status_code == 403

    signed = client.post(
        f"/api/v1/officer/cases/{number}/decide", json={**DECISION, "totp": totp.at(clock.now)}, headers=officer
    )
    assert signed.status_code == 200, signed.text
