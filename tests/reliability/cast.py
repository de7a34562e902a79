"""Everyone who may call the platform, signed in, and the resources they act on: shared by the fuzzer and the
authorization matrix so both reach real cases, documents and certificates rather than 404s."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient

from tests.factories import APPEAL_FORM, PDF, World, token
from tests.integration.test_archive import archivist

# The roles of design.md's "Who uses it", split where ownership matters (issue 11, part 2.2).
ROLES = (
    "anonymous",
    "citizen",  # alice: the applicant of the seeded cases
    "other_citizen",  # bob
    "officer",  # the officer the case was routed to, at the owning body (TOSHHOK)
    "other_officer",  # an officer of another body (YUNUSHOK)
    "head",  # the head of the owning body
    "auditor",
    "admin",
    "archivist",
    "agency_system",  # an agency's OAuth client (client credentials, scope catalog.read)
)


@dataclass
class Cast:
    client: TestClient
    world: World
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    number: str = ""  # alice's appeal at TOSHHOK, with a PDF
    sha256: str = ""  # that PDF
    serial: str = ""  # alice's certificate
    logins: dict[str, str] = field(default_factory=dict)  # role → login (staff and citizens)

    def submit(self, login: str = "alice", agency: str = "TOSHHOK") -> str:
        """A fresh appeal: the matrix spends one per state-changing call so cells do not depend on order."""
        response = self.client.post(
            "/api/v1/cases",
            json={"service": "appeal-to-hokimiyat", "agency": agency, "form": APPEAL_FORM, "documents": []},
            headers=self.headers["citizen"] if login == "alice" else token(self.client, login),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["registration_number"])


def csr() -> str:
    """A fresh certificate signing request in alice's name."""
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Aziza Karimova")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )


def assemble(client: TestClient, world: World) -> Cast:
    """Sign everyone in and seed a case with a document and a certificate."""
    world.platform.pki.initialise()
    world.actors["archivist"] = archivist(world)
    cast = Cast(client, world)
    alice = token(client, "alice")
    upload = client.post("/api/v1/uploads", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=alice)
    assert upload.status_code == 201, upload.text
    case = client.post(
        "/api/v1/cases",
        json={
            "service": "appeal-to-hokimiyat",
            "agency": "TOSHHOK",
            "form": APPEAL_FORM,
            "documents": [{"upload_id": upload.json()["id"], "document_type": "supporting_file"}],
        },
        headers=alice,
    )
    assert case.status_code == 201, case.text
    cast.number = case.json()["registration_number"]
    cast.sha256 = case.json()["documents"][0]["sha256"]
    certificate = client.post("/api/v1/pki/certificates", json={"csr": csr()}, headers=alice)
    assert certificate.status_code == 201, certificate.text
    cast.serial = certificate.json()["serial"]
    cast.logins = {
        "citizen": "alice",
        "other_citizen": "bob",
        "officer": world.assignee(cast.number),
        "other_officer": "yunushok.officer",
        "head": "toshhok.head",
        "auditor": "auditor",
        "admin": "admin",
        "archivist": "archivist",
    }
    cast.headers = {role: token(client, login) for role, login in cast.logins.items()}
    cast.headers["anonymous"] = {}
    cast.headers["agency_system"] = agency_system_headers(client, cast.headers["admin"])
    return cast


def agency_system_headers(client: TestClient, admin: dict[str, str]) -> dict[str, str]:
    """An agency's service client (docs/oidc.md) and its client-credentials access token."""
    registered = client.post(
        "/api/v1/admin/oidc/clients",
        json={
            "name": "Ariza tizimi",
            "agency": "TOSHHOK",
            "kind": "service",
            "redirect_uris": [],
            "post_logout_redirect_uris": [],
            "scopes": ["catalog.read"],
        },
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    system = registered.json()
    granted = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(system["client_id"], system["client_secret"]),
    )
    assert granted.status_code == 200, granted.text
    return {"Authorization": f"Bearer {granted.json()['access_token']}"}
