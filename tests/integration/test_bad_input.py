"""Bad input gets a clear problem+json naming what is wrong, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.archive.models import Blob
from shaffof.cases.models import Case, CaseEvent, IdempotencyKey, RegistrationCounter, Upload
from shaffof.db.engine import Database
from shaffof.identity.models import Person
from tests.factories import APPEAL_FORM, JPEG, PDF, World, token

PROBLEM = "application/problem+json"


def counts(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {
            model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Case, CaseEvent, Upload, Blob, IdempotencyKey, RegistrationCounter, Person)
        }


def blob_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs").rglob("*") if p.is_file()] if (data_dir / "blobs").exists() else []


def test_malformed_json_is_a_400_problem(client: TestClient, world: World, database: Database) -> None:
    before = counts(database)
    response = client.post(
        "/api/v1/cases",
        content=b'{"service": "general-ariza", "form": {',
        headers={**token(client, "alice"), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Malformed JSON"
    assert counts(database) == before


def test_form_failing_its_schema_names_every_field(client: TestClient, world: World, database: Database) -> None:
    before = counts(database)
    form = {"topic": "weather", "subject": "Hi", "extra": 1}
    response = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": form},
        headers=token(client, "alice"),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"form/topic", "form/subject", "form/text"} <= paths
    assert any(e["path"] == "form" and "extra" in e["message"] for e in response.json()["errors"])
    assert counts(database) == before  # not even a registration counter moved


def test_unknown_service_and_agency_not_accepted_by_the_service(
    client: TestClient, world: World, database: Database
) -> None:
    alice = token(client, "alice")
    before = counts(database)
    unknown = client.post("/api/v1/cases", json={"service": "no-such-service", "form": {}}, headers=alice)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"path": "service", "message": "unknown service"}]
    wrong_agency = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "SOLIQ", "form": APPEAL_FORM},
        headers=alice,
    )
    assert wrong_agency.status_code == 422
    assert wrong_agency.json()["errors"][0]["path"] == "agency"
    assert counts(database) == before
    assert client.get("/api/v1/services/no-such-service").status_code == 404


def test_oversize_document_is_refused_and_leaves_no_file(
    client: TestClient, world: World, database: Database, settings
) -> None:
    before = counts(database)
    big = PDF + b"0" * settings.max_document_bytes
    response = client.post(
        "/api/v1/uploads", files={"file": ("big.pdf", big, "application/pdf")}, headers=token(client, "alice")
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert "limit" in response.json()["detail"]
    assert counts(database) == before
    assert blob_files(settings.data_dir) == []


def test_mislabelled_or_unknown_documents_are_refused(
    client: TestClient, world: World, database: Database, settings
) -> None:
    alice = token(client, "alice")
    before = counts(database)
    labelled_png = client.post("/api/v1/uploads", files={"file": ("scan.png", PDF, "image/png")}, headers=alice)
    assert labelled_png.status_code == 415
    assert "labelled image/png but its content is application/pdf" in labelled_png.json()["detail"]
    wrong_extension = client.post(
        "/api/v1/uploads", files={"file": ("photo.pdf", JPEG, "application/octet-stream")}, headers=alice
    )
    assert wrong_extension.status_code == 415
    executable = client.post(
        "/api/v1/uploads", files={"file": ("x.pdf", b"MZ\x90\x00binary", "application/pdf")}, headers=alice
    )
    assert executable.status_code == 415
    assert counts(database) == before
    assert blob_files(settings.data_dir) == []


def test_someone_elses_upload_cannot_be_attached(client: TestClient, world: World, database: Database) -> None:
    bob_upload = client.post(
        "/api/v1/uploads", files={"file": ("a.pdf", PDF, "application/pdf")}, headers=token(client, "bob")
    )
    before = counts(database)
    response = client.post(
        "/api/v1/cases",
        json={
            "service": "appeal-to-hokimiyat",
            "agency": "YUNUSHOK",
            "form": APPEAL_FORM,
            "documents": [{"upload_id": bob_upload.json()["id"], "document_type": "supporting_file"}],
        },
        headers=token(client, "alice"),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": "documents/0/upload_id", "message": "no such upload of yours"}]
    assert counts(database) == before


def test_idempotent_retry_returns_the_first_result(client: TestClient, world: World, database: Database) -> None:
    alice = {**token(client, "alice"), "Idempotency-Key": "b7a1c2d4-retry-0001"}
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    first = client.post("/api/v1/cases", json=body, headers=alice)
    retry = client.post("/api/v1/cases", json=body, headers=alice)
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["registration_number"] == first.json()["registration_number"]
    before = counts(database)
    changed = client.post("/api/v1/cases", json={**body, "form": {**APPEAL_FORM, "topic": "utilities"}}, headers=alice)
    assert changed.status_code == 422
    assert changed.json()["type"] == "/problems/idempotency-key-reused"
    assert counts(database) == before
    assert before["cases"] == 1


def test_invalid_pinfl_is_refused_with_the_reason(client: TestClient, world: World, database: Database) -> None:
    admin = token(client, "admin")
    before = counts(database)
    good = world.pinfls["alice"]
    wrong_check = good[:13] + str((int(good[13]) + 1) % 10)
    cases = {
        "1234": "14 digits",
        "3140390261017X": "digits only",
        "7140390261017" + "0": "first digit",
        "33102900261010": "not a date",
        wrong_check: "check digit",
    }
    for pinfl, reason in cases.items():
        response = client.post(
            "/api/v1/admin/persons",
            json={
                "pinfl": pinfl,
                "last_name": "Aliyev",
                "first_name": "Vali",
                "password": "a-long-password-1",
            },
            headers=admin,
        )
        assert response.status_code == 422, pinfl
        assert response.json()["errors"][0]["path"] == "pinfl"
        assert reason in response.json()["detail"], (pinfl, response.json()["detail"])
    assert counts(database) == before


def test_unknown_routes_and_methods_are_problems_too(client: TestClient, world: World) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    wrong_method = client.delete("/api/v1/services")
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"] == PROBLEM


def test_a_number_json_cannot_carry_faithfully_is_a_422_not_a_crash(
    client: TestClient, world: World, database: Database
) -> None:
    before = counts(database)
    form = {**APPEAL_FORM, "house": 2**53 + 1}
    response = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": form},
        headers=token(client, "alice"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "form"
    assert counts(database) == before
