"""Test harness: every database test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from SHAFFOF_TEST_POSTGRES_URL or a throwaway cluster started once per session. If it
cannot start, the PostgreSQL half of the suite fails (never skips): a missing database is a red build.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.config import Settings
from shaffof.db import migrate
from shaffof.db.engine import Database
from shaffof.db.schema import metadata
from shaffof.platform import Platform
from shaffof.web.app import create_app
from tests.factories import World
from tests.postgres import PostgresUnavailable, ThrowawayCluster

REPO = Path(__file__).resolve().parent.parent
SERVICES = REPO / "services"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("SHAFFOF_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    cluster = ThrowawayCluster()
    try:
        url = cluster.start()
    except PostgresUnavailable as error:
        cluster.stop()
        pytest.fail(f"PostgreSQL is required for the test suite and could not start: {error}", pytrace=False)
    try:
        yield url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'shaffof.db'}"


@pytest.fixture(scope="session")
def migrated() -> dict[str, Database]:
    """Databases migrated once per session, by backend."""
    return {}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, migrated: dict[str, Database]) -> Iterator[Database]:
    """A migrated database on each backend, emptied after each test."""
    backend = request.param
    if backend not in migrated:
        url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
        migrate.upgrade(url)
        migrated[backend] = Database(url)
    db = migrated[backend]
    yield db
    tables = list(reversed(metadata().sorted_tables))
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(sa.delete(table))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        secret_key=TEST_SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=8 * 1024,
        max_document_bytes=64 * 1024,
        services_dir=SERVICES,
        # Other areas' tests sign in with a password only; tests/integration/test_service_assurance.py turns
        # the services' assurance levels on (the default outside tests).
        enforce_service_assurance=False,
    )


@pytest.fixture
def platform(settings: Settings, database: Database) -> Platform:
    return Platform.build(settings, database)


@pytest.fixture
def world(platform: Platform) -> World:
    """The shipped catalogue imported, plus a few citizens and officers."""
    return World.build(platform, SERVICES)


@pytest.fixture
def client(settings: Settings, database: Database, world: World) -> Iterator[TestClient]:
    app = create_app(settings, db=database)
    # Share the world's platform objects' database; the app builds its own services over it.
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


__all__ = ["PostgresUnavailable"]
