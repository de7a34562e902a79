"""A decided case gets its decision document: rendered, sealed by the body (PAdES B-LT, timestamped),
archived, attached and recorded; the citizen downloads it and anyone verifies it — also after the seal's
certificate is revoked, as made before the revocation."""

from __future__ import annotations

import io

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.factories import APPEAL_FORM, World, token


def test_the_citizen_receives_a_sealed_decision_that_verifies(client: TestClient, world: World) -> None:
    platform = world.platform
    platform.pki.initialise()
    platform.pki.issue_eseal(None, "YUNUSHOK")
    alice = token(client, "alice")
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    number = client.post("/api/v1/cases", json=body, headers=alice).json()["registration_number"]
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "approved", "reason": "Ko'cha chiroqlari 5 kun ichida almashtiriladi"},
        headers=officer,
    )
    assert decided.status_code == 200

    assert platform.issue_decisions() == 1
    assert platform.issue_decisions() == 0  # once per decision

    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    [document] = [d for d in case["documents"] if d["document_type"] == "decision"]
    [seal] = [s for s in case["signatures"] if s["purpose"] == "decision"]
    assert seal["format"] == "pades" and seal["timestamp"] is not None
    assert seal["sha256"] == document["sha256"]
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert timeline[-1]["kind"] == "decision_issued" and timeline[-1]["data"]["sha256"] == document["sha256"]

    pdf = client.get(f"/api/v1/cases/{number}/documents/{document['sha256']}", headers=alice).content
    assert pdf.startswith(b"%PDF-")
    # pyHanko's own validator, trusting only the platform's root: intact and trusted.
    root = x509.load_pem_x509_certificate(client.get("/pki/ca.pem").content)
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root.public_bytes(Encoding.DER))], allow_fetching=False
    )
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(signature, context)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None

    verdict = client.post("/api/v1/verify", files={"file": ("qaror.pdf", pdf, "application/pdf")}).json()
    assert verdict["verdict"] == "valid", verdict

    # The body's seal is revoked afterwards: the decision was sealed (and timestamped) before, so it stands.
    admin = token(client, "admin")
    assert (
        client.post(f"/api/v1/pki/certificates/{seal['certificate_serial']}/revoke", headers=admin).status_code == 200
    )
    after = client.post("/api/v1/verify", files={"file": ("qaror.pdf", pdf, "application/pdf")}).json()
    assert after["verdict"] == "valid", after
    assert after["revoked_at"] is not None


def test_the_verify_page_gives_one_clear_verdict(client: TestClient, world: World) -> None:
    platform = world.platform
    platform.pki.initialise()
    platform.pki.issue_eseal(None, "YUNUSHOK")
    alice = token(client, "alice")
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    number = client.post("/api/v1/cases", json=body, headers=alice).json()["registration_number"]
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "rejected", "reason": "Murojaatda ko'rsatilgan holat tasdiqlanmadi"},
        headers=officer,
    )
    platform.issue_decisions()
    case = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    sha = next(d["sha256"] for d in case["documents"] if d["document_type"] == "decision")
    pdf = client.get(f"/api/v1/cases/{number}/documents/{sha}", headers=alice).content

    form = client.get("/verify", params={"case": number, "lang": "en"})  # where the QR code leads
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text and number in form.text
    valid = client.post("/verify", data={"lang": "en"}, files={"file": ("qaror.pdf", pdf, "application/pdf")})
    assert valid.status_code == 200
    assert 'role="status"' in valid.text and "The signature is valid" in valid.text
    assert "YUNUSHOK" in valid.text
    altered = bytearray(pdf)
    index = altered.index(b"/Type /Page") if b"/Type /Page" in altered else len(altered) // 3
    altered[index + 1] ^= 0x01
    tampered = client.post(
        "/verify", data={"lang": "uz"}, files={"file": ("qaror.pdf", bytes(altered), "application/pdf")}
    )
    assert "Imzo haqiqiy emas" in tampered.text
    missing = client.post("/verify", data={"lang": "ru"})
    assert missing.status_code == 422 and "Выберите файл" in missing.text and 'aria-invalid="true"' in missing.text
