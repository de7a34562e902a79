"""Health, readiness, the OpenAPI description, the migrations and the minimal portal page."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from shaffof.db.engine import Database
from shaffof.db.schema import metadata
from tests.factories import World


def test_migrations_are_the_schema_the_models_declare(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata())
    assert differences == []


def test_health_and_readiness(client: TestClient, database: Database) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    with database.engine.begin() as connection:
        current = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        stale = client.get("/readyz")
        assert stale.status_code == 503 and "shaffof init" in stale.json()["reason"]
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_openapi_31_describes_the_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path in (
        "/api/v1/services",
        "/api/v1/cases",
        "/api/v1/cases/{registration_number}/timeline",
        "/api/v1/officer/queue",
        "/api/v1/officer/cases/{registration_number}/forward",
    ):
        assert path in spec["paths"], path
    assert client.get("/api/v1/docs").status_code == 200


def test_portal_lists_services_in_the_chosen_language(client: TestClient, world: World) -> None:
    uz = client.get("/")
    assert uz.status_code == 200 and '<html lang="uz">' in uz.text
    assert "Hokimlikka murojaat" in uz.text
    assert 'href="/api/v1/docs"' in uz.text
    ru = client.get("/", params={"lang": "ru"})
    assert '<html lang="ru">' in ru.text and "Обращение в хокимият" in ru.text
    assert client.get("/").text.startswith('<!doctype html>\n<html lang="ru">')  # the choice is remembered
    client.cookies.clear()  # a new visitor: the browser's language applies
    en = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.text
    assert uz.headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in uz.headers["Content-Security-Policy"]
