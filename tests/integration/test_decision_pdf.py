"""Signed decision PDFs on SQLite and PostgreSQL: ``issue_decision_pdf`` seals (or an officer signs) a rendered
decision with the platform's CA, TSA and OCSP responder; pyHanko validates it with nothing but ``/pki/ca.pem``;
``POST /api/v1/verify`` and ``shaffof verify`` (online and offline) give the verdict — also after the
signer's certificate is revoked."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp as x509_ocsp
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel
from typer.testing import CliRunner

from shaffof.cli.main import app as cli
from shaffof.decisions.errors import SignerNotOfAgency
from shaffof.decisions.service import issue_decision_pdf
from shaffof.pki.errors import CertificateNotFound
from shaffof.pki.models import RevocationReason
from shaffof.pki.signing import pades
from tests.conftest import TEST_SECRET
from tests.factories import World, token
from tests.unit.decisions.test_document import decision

AGENCY = "TOSHHOK"


@dataclass(frozen=True)
class ClientKey:
    """An officer's own key (a CSR was certified), usable where a ``PlatformKey`` is."""

    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


@pytest.fixture
def sealed(world: World) -> World:
    world.platform.pki.initialise()
    world.platform.pki.issue_eseal(None, AGENCY)
    return world


def issue(world: World, *, signer: pades.SigningKey | None = None, agency_code: str = AGENCY) -> bytes:
    platform = world.platform
    with platform.db.uow() as uow:
        pdf = issue_decision_pdf(uow.session, platform.pki, document=decision(), agency_code=agency_code, signer=signer)
        uow.commit()
    return pdf


def verify(client: TestClient, pdf: bytes) -> dict[str, object]:
    response = client.post("/api/v1/verify", files={"file": ("decision.pdf", pdf, "application/pdf")})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def pyhanko_trusts(pdf: bytes, root_pem: bytes) -> None:
    """pyHanko's validator, revocation hard-fail, with the root CA and what the file embeds (B-LT) — no fetching."""
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_regular_signatures
    root = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(root_pem).public_bytes(serialization.Encoding.DER))
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
    )
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted


def ocsp_status(
    client: TestClient, certificate: x509.Certificate, issuer: x509.Certificate
) -> x509_ocsp.OCSPCertStatus:
    request = pades.ocsp_request([certificate], issuer)
    answer = client.post("/pki/ocsp", content=request, headers={"content-type": "application/ocsp-request"})
    return x509_ocsp.load_der_ocsp_response(answer.content).certificate_status


def test_an_automated_decision_is_sealed_and_trusted_with_only_the_root_ca(client: TestClient, sealed: World) -> None:
    pdf = issue(sealed)
    assert pdf.startswith(b"%PDF-") and b"/ETSI.CAdES.detached" in pdf
    pyhanko_trusts(pdf, client.get("/pki/ca.pem").content)

    body = verify(client, pdf)
    assert body["verdict"] == "valid", body
    assert body["format"] == "pdf" and body["integrity"] == "intact" and body["certificate_status"] == "good"
    signer = body["signer"]
    assert isinstance(signer, dict) and signer["kind"] == "eseal" and signer["agency"] == AGENCY
    assert body["timestamp"] is not None and str(body["summary"]).startswith("Valid signature by")


def test_revoking_the_seal_afterwards_shows_in_ocsp_and_the_decision_stays_valid(
    client: TestClient, sealed: World
) -> None:
    pki = sealed.platform.pki
    pdf = issue(sealed)
    with sealed.platform.db.reading() as session:
        seal = pki.eseal(session, AGENCY)
    issuing = pki.hierarchy().issuing.certificate
    assert ocsp_status(client, seal.certificate, issuing) is x509_ocsp.OCSPCertStatus.GOOD

    pki.revoke(None, format(seal.certificate.serial_number, "x"), RevocationReason.key_compromise)
    assert ocsp_status(client, seal.certificate, issuing) is x509_ocsp.OCSPCertStatus.REVOKED

    body = verify(client, pdf)
    assert body["verdict"] == "valid", body  # timestamped before the revocation
    assert body["certificate_status"] == "revoked" and body["revoked_at"] is not None
    assert "revoked later" in str(body["summary"])

    with pytest.raises(CertificateNotFound, match="no valid e-seal"):
        issue(sealed)  # nothing seals for the agency any more
    platform = sealed.platform
    with platform.db.uow() as uow, pytest.raises(pades.SignerRefused):
        # A key obtained before the revocation: the fresh OCSP answer stops it before anything is signed.
        issue_decision_pdf(uow.session, pki, document=decision(), agency_code=AGENCY, signer=seal)


def test_an_officer_signs_with_their_own_key_for_their_agency_only(client: TestClient, sealed: World) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    issued = client.post(
        "/api/v1/pki/certificates",
        json={"csr": csr.public_bytes(serialization.Encoding.PEM).decode()},
        headers=token(client, "toshhok.officer"),
    )
    assert issued.status_code == 201, issued.text
    officer = ClientKey(key, tuple(x509.load_pem_x509_certificates(issued.json()["chain_pem"].encode())))

    body = verify(client, issue(sealed, signer=officer))
    signer = body["signer"]
    assert body["verdict"] == "valid" and isinstance(signer, dict)
    assert signer["kind"] == "officer" and signer["agency"] == AGENCY and signer["name"] == "Toshhok Officer"

    with pytest.raises(SignerNotOfAgency, match="signs for TOSHHOK, not for YUNUSHOK"):
        issue(sealed, signer=officer, agency_code="YUNUSHOK")


def test_the_verify_endpoint_refuses_altered_and_malformed_pdfs(client: TestClient, sealed: World) -> None:
    pdf = bytearray(issue(sealed))
    pdf[pdf.index(b"/Producer") + 12] ^= 0x01
    altered = verify(client, bytes(pdf))
    assert altered["verdict"] == "invalid" and altered["reason"] == "signature_invalid"
    assert altered["integrity"] == "altered"

    for bad in (b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"):
        malformed = verify(client, bad)
        assert malformed["verdict"] == "invalid" and malformed["reason"] == "malformed"
        assert malformed["integrity"] == "not checked"


def test_shaffof_verify_checks_a_decision_online_and_offline_with_only_the_ca_file(
    client: TestClient, sealed: World, tmp_path: Path
) -> None:
    (tmp_path / "decision.pdf").write_bytes(issue(sealed))
    (tmp_path / "ca.pem").write_bytes(client.get("/pki/ca.pem").content)
    altered = bytearray((tmp_path / "decision.pdf").read_bytes())
    altered[altered.index(b"/Producer") + 12] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    database = sealed.platform.db.engine.url.render_as_string(hide_password=False)
    env = {
        "SHAFFOF_DATABASE_URL": database,
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }
    runner = CliRunner()

    offline = runner.invoke(
        cli, ["verify", str(tmp_path / "decision.pdf"), "--ca", str(tmp_path / "ca.pem"), "--json"], env=env
    )
    assert offline.exit_code == 0, offline.output
    report = json.loads(offline.stdout[offline.stdout.index("{") :])  # after any start-up warning line
    assert report["verdict"] == "valid" and report["format"] == "pdf" and report["signer"]["agency"] == AGENCY
    assert report["certificate_status"] == "good"  # the OCSP answer embedded at signing (B-LT)

    online = runner.invoke(cli, ["verify", str(tmp_path / "decision.pdf")], env=env)
    assert online.exit_code == 0 and "VALID" in online.output, online.output

    refused = runner.invoke(cli, ["verify", str(tmp_path / "altered.pdf"), "--ca", str(tmp_path / "ca.pem")], env=env)
    assert refused.exit_code == 1 and "signature_invalid" in refused.output, refused.output
