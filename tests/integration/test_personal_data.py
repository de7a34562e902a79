"""Personal data end to end (issue 6): the mediator, the data tracker, consents, encryption at rest.

Each test runs on SQLite and on PostgreSQL; the platform TSA's tokens are also checked by OpenSSL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from pydantic import SecretStr

from shaffof.ledger.models import LeafKind, LedgerEntry
from shaffof.mediator import signing
from shaffof.mediator.models import MessageLogEntry, MessageOutcome
from shaffof.privacy import receipts
from shaffof.privacy.errors import FieldKeysUnavailable
from shaffof.privacy.models import AccessRecord
from shaffof.registries.models import IdentityDocument, PopulationRecord
from shaffof.registries.service import registry_service
from tests.factories import APPEAL_FORM, World, token
from tests.integration import registry_data
from tests.integration.registry_data import ALICE_ID_CARD, HUSBAND, agency_system


@pytest.fixture
def people(world: World) -> dict[str, str]:
    return registry_data.load(world)


def signed_query(
    client: TestClient,
    headers: dict[str, str],
    key: Ed25519PrivateKey,
    key_id: str,
    registry: str,
    service: str,
    body: dict[str, Any],
    *,
    signature: str | None = None,
) -> Any:
    raw = json.dumps(body).encode()
    return client.post(
        f"/api/v1/mediator/{registry}/{service}",
        content=raw,
        headers={
            **headers,
            "content-type": "application/json",
            "X-Mediator-Key-Id": key_id,
            "X-Mediator-Signature": signature or signing.sign(key, registry, service, raw),
        },
    )


def request_body(subject: str, **overrides: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "purpose": "child-allowance",
        "categories": ["identity", "family"],
        "request_id": uuid.uuid4().hex,
        "issued_at": dt.datetime.now(dt.UTC).isoformat(),
        **overrides,
    }


def counts(world: World) -> tuple[int, int, int]:
    with world.platform.db.reading() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(MessageLogEntry)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(AccessRecord)) or 0,
            session.scalar(
                sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LeafKind.access_record)
            )
            or 0,
        )


def test_an_agency_system_queries_the_population_registry_and_the_signed_log_entry_verifies(
    client: TestClient, world: World, people: dict[str, str], tmp_path: Path
) -> None:
    _, key, key_id = agency_system(world, "IJTIMOIY")
    headers = token(client, "ijtimoiy.system")
    response = signed_query(client, headers, key, key_id, "population", "family", request_body(people["alice"]))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["data"]["identity"]["last_name"] == "Karimova"
    relatives = {r["pinfl"]: r["relation"] for r in answer["data"]["family"]}
    assert relatives == {HUSBAND: "spouse", registry_data.DAUGHTER: "child"}
    assert answer["legal_ground"] == "legal_obligation"

    # The person sees who asked, why, on which ground — and the record is a leaf of the ledger.
    log = client.get("/api/v1/me/access-log", headers=token(client, "alice")).json()
    assert len(log) == 1
    entry = log[0]
    assert (entry["agency"], entry["channel"], entry["purpose"]) == ("IJTIMOIY", "mediator", "child-allowance")
    assert entry["categories"] == ["family", "identity"]
    assert entry["citation"]["law"] == "ZRU-395"
    assert entry["outcome"] == "allowed" and entry["outside_case"] is True
    auditor = token(client, "auditor")
    verified = client.get(f"/api/v1/access-records/{entry['id']}/verify", headers=auditor).json()
    assert verified["matches_record"] and verified["in_ledger"]

    # The message log keeps digests (and, at level "full", the content); a sealed batch verifies …
    world.platform.pki.initialise()
    batch = world.platform.mediator.seal()
    assert batch.size == 1
    proof = client.get(f"/api/v1/mediator/messages/{answer['message_id']}/verify", headers=auditor).json()
    assert proof["verified"], proof["problem"]
    messages = client.get("/api/v1/mediator/messages", headers=auditor).json()
    assert messages[0]["response_sha256"] == answer["response_sha256"]
    assert messages[0]["content"]["response"] == answer["data"]

    # … and OpenSSL agrees that the platform TSA signed and timestamped the batch root.
    ca = tmp_path / "ca.pem"
    root_cert, issuing = world.platform.pki.ca_certificates()
    ca.write_bytes(root_cert.public_bytes(Encoding.PEM))
    untrusted = tmp_path / "issuing.pem"
    untrusted.write_bytes(issuing.public_bytes(Encoding.PEM))
    token_file = tmp_path / "batch.tst"
    token_file.write_bytes(base64.b64decode(proof["timestamp_token"]))
    result = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-digest",
            proof["root_hash"],
            "-in",
            str(token_file),
            "-token_in",
            "-CAfile",
            str(ca),
            "-untrusted",
            str(untrusted),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stdout + result.stderr

    # Tampering with the logged entry breaks its proof.
    with world.platform.db.uow() as uow:
        uow.session.execute(
            sa.update(MessageLogEntry)
            .where(MessageLogEntry.id == answer["message_id"])
            .values(purpose="something-else")
        )
        uow.commit()
    tampered = client.get(f"/api/v1/mediator/messages/{answer['message_id']}/verify", headers=auditor).json()
    assert not tampered["verified"] and "altered" in tampered["problem"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"purpose": None}, 422, "purpose-missing"),
        ({"purpose": "curiosity"}, 403, "no-access-policy"),
        ({"categories": ["identity", "family", "documents"]}, 403, "categories-not-allowed"),
        ({"issued_at": "2020-01-01T00:00:00+00:00"}, 403, "mediator-request-replayed"),
        ({"case": "IJTIMOIY-2026-999999"}, 403, "mediator-refused"),
    ],
)
def test_a_query_outside_its_policy_is_refused_and_logged_as_a_refused_access(
    client: TestClient, world: World, people: dict[str, str], change: dict[str, Any], status: int, code: str
) -> None:
    _, key, key_id = agency_system(world, "IJTIMOIY")
    headers = token(client, "ijtimoiy.system")
    before = counts(world)
    response = signed_query(
        client, headers, key, key_id, "population", "family", request_body(people["alice"], **change)
    )
    assert response.status_code == status, response.text
    assert response.json()["type"] == "/problems/" + code
    assert "data" not in response.json()
    assert counts(world) == (before[0] + 1, before[1] + 1, before[2] + 1)
    with world.platform.db.reading() as session:
        logged = session.scalars(sa.select(MessageLogEntry)).one()
        assert logged.outcome is MessageOutcome.refused and logged.response_digest is None
    refused = client.get("/api/v1/me/access-log", headers=token(client, "alice")).json()
    assert [r["outcome"] for r in refused] == ["refused"]


def test_a_forged_or_replayed_request_is_refused(client: TestClient, world: World, people: dict[str, str]) -> None:
    _, key, key_id = agency_system(world, "IJTIMOIY")
    headers = token(client, "ijtimoiy.system")
    body = request_body(people["alice"])
    forged = signed_query(
        client,
        headers,
        key,
        key_id,
        "population",
        "family",
        body,
        signature=signing.sign(Ed25519PrivateKey.generate(), "population", "family", json.dumps(body).encode()),
    )
    assert forged.status_code == 401 and forged.json()["type"] == "/problems/" + "mediator-request-forged"
    # A signature for one service does not open another.
    raw = json.dumps(body).encode()
    moved = signed_query(
        client,
        headers,
        key,
        key_id,
        "population",
        "family",
        body,
        signature=signing.sign(key, "population", "documents", raw),
    )
    assert moved.status_code == 401
    first = signed_query(
        client, headers, key, key_id, "population", "family", request_body(people["alice"], request_id="r-000000001")
    )
    assert first.status_code == 200
    replay = signed_query(
        client, headers, key, key_id, "population", "family", request_body(people["alice"], request_id="r-000000001")
    )
    assert replay.status_code == 403 and replay.json()["type"] == "/problems/" + "mediator-request-replayed"
    with world.platform.db.reading() as session:
        outcomes = session.scalars(sa.select(MessageLogEntry.outcome).order_by(MessageLogEntry.id)).all()
    assert outcomes == [MessageOutcome.refused, MessageOutcome.refused, MessageOutcome.served, MessageOutcome.refused]


def test_a_consent_withdrawal_blocks_the_next_query_that_relied_on_it(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    world.platform.pki.initialise()
    _, key, key_id = agency_system(world, "PENSIYA")
    headers = token(client, "pensiya.system")
    body = {"purpose": "pension-statement", "categories": ["identity", "documents"]}
    without = signed_query(
        client, headers, key, key_id, "population", "documents", request_body(people["alice"], **body)
    )
    assert without.status_code == 403 and without.json()["type"] == "/problems/" + "consent-missing"

    alice = token(client, "alice")
    given = client.post(
        "/api/v1/me/consents",
        json={
            "recipient": "PENSIYA",
            "purpose": "pension-statement",
            "categories": ["identity", "documents"],
            "days": 30,
        },
        headers=alice,
    )
    assert given.status_code == 201, given.text
    consent = given.json()
    # The receipt is the platform TSA's signature over the canonical consent.
    stamp = receipts.verify(
        world.platform.pki, base64.b64decode(consent["receipt_token"]), bytes.fromhex(consent["receipt_sha256"])
    )
    assert stamp.time <= dt.datetime.now(dt.UTC)

    served = signed_query(
        client, headers, key, key_id, "population", "documents", request_body(people["alice"], **body)
    )
    assert served.status_code == 200, served.text
    assert served.json()["data"]["documents"][0]["number"] == ALICE_ID_CARD
    assert served.json()["legal_ground"] == "consent"

    withdrawn = client.post(f"/api/v1/me/consents/{consent['id']}/withdraw", headers=alice)
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    after = signed_query(client, headers, key, key_id, "population", "documents", request_body(people["alice"], **body))
    assert after.status_code == 403 and after.json()["type"] == "/problems/" + "consent-missing"
    grounds = [(r["outcome"], r["legal_ground"]) for r in client.get("/api/v1/me/access-log", headers=alice).json()]
    assert grounds == [("refused", "legal_obligation"), ("allowed", "consent"), ("refused", "legal_obligation")]

    # ZRU-547 Art. 17: the content logged under the consent is destroyed, a tombstone says what, when, why.
    with world.platform.db.reading() as session:
        kept = session.get(MessageLogEntry, served.json()["message_id"])
        assert kept is not None and kept.content_encrypted is None and kept.response_digest is not None
    destroyed = client.get("/api/v1/me/destroyed", headers=alice).json()
    assert len(destroyed) == 1
    assert destroyed[0]["what"] == f"mediator_messages.content_encrypted id={served.json()['message_id']}"
    assert destroyed[0]["reason"] == f"consent {consent['id']} withdrawn"
    assert destroyed[0]["citation"]["article"] == "17"
    assert ALICE_ID_CARD not in json.dumps(destroyed)
    with world.platform.db.reading() as session:
        leaves = session.scalar(
            sa.select(sa.func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == LeafKind.personal_data_tombstone)
        )
    assert leaves == 1


def test_a_demo_officers_work_on_a_case_produces_access_records_the_citizen_reads(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    alice, officer = token(client, "alice"), token(client, "toshhok.officer")
    case = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM},
        headers=alice,
    ).json()
    number = case["registration_number"]
    client.get(f"/api/v1/cases/{number}", headers=alice)  # the applicant's own reads are not "access by others"
    assert client.get("/api/v1/me/access-log", headers=alice).json() == []

    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=officer, json={}).status_code == 200
    assert client.get(f"/api/v1/cases/{number}", headers=officer).status_code == 200
    assert client.get(f"/api/v1/cases/{number}/timeline", headers=officer).status_code == 200
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide", headers=officer, json={"outcome": "approved", "reason": "Bajarildi."}
    )
    assert decided.status_code == 200, decided.text
    log = client.get("/api/v1/me/access-log", headers=alice).json()
    assert len(log) == 4
    for record in log:
        assert record["case"] == number and record["agency"] == "TOSHHOK" and record["channel"] == "officer"
        assert record["legal_ground"] == "legal_obligation"
        assert record["citation"] == {
            "law": "ZRU-445",
            "article": "28",
            "title": "The body considers the application within the statutory term (legal obligation, ZRU-547 Art. 18)",
            "url": "https://lex.uz/docs/3336171",
        }
        assert record["purpose"] == f"consideration of case {number}"
    assert {tuple(r["categories"]) for r in log} == {("case_documents", "case_form"), ("case_events",)}
    client.cookies.update(_session(client, "alice"))
    page = client.get("/my-data?lang=en")
    assert page.status_code == 200 and number in page.text and "legal obligation" in page.text


def _session(client: TestClient, login: str) -> dict[str, str]:
    from tests.factories import PASSWORD

    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD, "mode": "session"})
    assert response.status_code == 200
    return {"shaffof_session": response.cookies["shaffof_session"]}


def test_an_officer_reading_a_person_outside_their_cases_must_state_a_reason_shown_to_the_person(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    officer = token(client, "toshhok.officer")
    lookup = {"subject": people["bob"], "purpose": "appeal-handling", "categories": ["identity", "address"]}
    refused = client.post("/api/v1/registries/population/address/lookup", json=lookup, headers=officer)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/" + "reason-required"
    assert refused.json()["errors"] == [{"path": "reason", "message": "required outside your cases"}]
    allowed = client.post(
        "/api/v1/registries/population/address/lookup",
        json={**lookup, "reason": "Checking the address named in a neighbour's complaint"},
        headers=officer,
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["data"]["address"]["house"] == "7"
    records = client.get("/api/v1/me/access-log", headers=token(client, "bob")).json()
    assert [(r["outcome"], r["outside_case"]) for r in records] == [("allowed", True), ("refused", False)]
    assert records[0]["stated_reason"] == "Checking the address named in a neighbour's complaint"
    # Outside any case of his, bob is told (in-app; e-mail and SMS where he gave an address or number).
    notices = [
        n
        for n in client.get("/api/v1/inbox", headers=token(client, "bob")).json()
        if n["template"] == "privacy.accessed"
    ]
    assert len(notices) == 1 and notices[0]["link"] == "/my-data"
    assert "Checking the address named in a neighbour's complaint" in notices[0]["body"]


def test_a_service_form_is_prefilled_from_the_registries(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    bob = token(client, "bob")
    building = client.get("/api/v1/services/building-permit/prefill", headers=bob).json()
    assert building["form"] == {
        "cadastre_number": registry_data.BOB_CADASTRE,
        "object_address": "Yunusobod tumani, Bodomzor yoʻli, 7",
    }
    assert building["fields"]["cadastre_number"]["source"] == "property/by-owner"
    child = client.get("/api/v1/services/child-allowance/prefill", headers=token(client, "alice")).json()
    assert child["form"] == {"household_size": 3}  # alice, her husband, their daughter
    business = client.get("/api/v1/services/business-registration/prefill", headers=bob).json()
    assert business["form"]["region"] == "UZ-TK" and business["form"]["district"] == "Yunusobod tumani"
    channels = {(r["channel"], r["purpose"]) for r in client.get("/api/v1/me/access-log", headers=bob).json()}
    assert channels == {("prefill", "pre-fill of building-permit"), ("prefill", "pre-fill of business-registration")}


def test_sensitive_fields_are_encrypted_at_rest_found_by_keyed_hash_and_survive_key_rotation(
    world: World, people: dict[str, str], settings: Any
) -> None:
    registries = world.platform.registries
    with world.platform.db.reading() as session:
        stored = session.get(PopulationRecord, people["alice"])
        assert stored is not None
        assert "Amir Temur" not in stored.address_encrypted and stored.address_encrypted.startswith("e1:dev:")
        numbers = session.scalars(sa.select(IdentityDocument.number_encrypted)).all()
        assert all(ALICE_ID_CARD not in n for n in numbers)
        assert registries.find_document(session, "ad 1234567") == people["alice"]
        assert registries.find_document(session, "AD7654321") is None

    from shaffof.platform import Platform

    new_key = base64.b64encode(bytes(range(32))).decode()
    dev_key = base64.b64encode(registries.cipher.keys[0][1]).decode()
    index_key = base64.b64encode(registries.cipher.index_key).decode()
    rotated = Platform.build(
        settings.model_copy(
            update={"field_keys": SecretStr(f"k2:{new_key},dev:{dev_key}"), "blind_index_key": SecretStr(index_key)}
        ),
        world.platform.db,
    )
    assert rotated.registries.rotate_keys() == 4 + 1 + 1  # four addresses, bob's property, alice's id card
    only_new = Platform.build(
        settings.model_copy(update={"field_keys": SecretStr(f"k2:{new_key}"), "blind_index_key": SecretStr(index_key)}),
        world.platform.db,
    )
    with world.platform.db.reading() as session:
        stored = session.get(PopulationRecord, people["alice"])
        assert stored is not None and stored.address_encrypted.startswith("e1:k2:")
        service = registry_service("population", "documents")
        data = only_new.registries.read(session, service, people["alice"], {"identity", "documents"})
        assert data["documents"][0]["number"] == ALICE_ID_CARD
        with pytest.raises(FieldKeysUnavailable, match="not in SHAFFOF_FIELD_KEYS"):
            world.platform.registries.read(session, service, people["alice"], {"documents"})


def test_the_person_exports_all_their_data_and_the_export_is_recorded(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    bob = token(client, "bob")
    export = client.get("/api/v1/me/data-export", headers=bob)
    assert export.status_code == 200, export.text
    data = export.json()
    assert data["pinfl"] == people["bob"]
    assert data["registries"]["population"]["identity"]["first_name"] == "Bobur"
    assert data["registries"]["population"]["address"]["house"] == "7"
    assert data["registries"]["property"]["property"][0]["cadastre_number"] == registry_data.BOB_CADASTRE
    assert data["registries"]["business"]["business"][0]["tin"] == "300000017"
    log = client.get("/api/v1/me/access-log", headers=bob).json()
    assert {r["channel"] for r in log} == {"export"} and len(log) == 6  # one per registry service read


def test_a_rectification_request_becomes_a_case_at_the_registry_owner_with_a_deadline(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    alice = token(client, "alice")
    response = client.post(
        "/api/v1/me/rectification-requests",
        json={
            "registry": "population",
            "field": "address.apartment",
            "current_value": "45",
            "correct_value": "54",
            "reason": "Xonadon raqami reestrda xato yozilgan.",
        },
        headers=alice,
    )
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["agency"]["code"] == "MIGRATSIYA" and case["service"]["code"] == "registry-rectification"
    assert case["deadline"]["due_at"] is not None and case["deadline"]["citation"]["law"] == "ZRU-445"
    wrong = client.post(
        "/api/v1/me/rectification-requests",
        json={"registry": "weather", "field": "xy", "correct_value": "y", "reason": "Nothing to do with registries."},
        headers=alice,
    )
    assert wrong.status_code == 404
    assert wrong.json()["errors"] == [{"path": "registry", "message": "unknown registry"}]
