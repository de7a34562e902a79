"""`shaffof keys rotate|generate` and `shaffof mediator member-add|policies|seal`, and the /my-data page."""

from __future__ import annotations

import base64
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.cli.main import app as cli
from shaffof.db.engine import Database
from shaffof.mediator.models import MediatorMember
from shaffof.privacy.models import Consent
from shaffof.registries.models import PopulationRecord
from tests.conftest import TEST_SECRET
from tests.factories import APPEAL_FORM, World, token
from tests.integration import registry_data


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_keys_rotate_from_the_console_and_registry_data_still_reads(
    database: Database, world: World, tmp_path: Path
) -> None:
    registry_data.load(world)  # encrypted under the development key derived from the test secret
    index_key = base64.b64encode(world.platform.registries.cipher.index_key).decode()
    dev_key = base64.b64encode(world.platform.registries.cipher.keys[0][1]).decode()
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
        "SHAFFOF_BLIND_INDEX_KEY": index_key,
    }
    new = run(env, "keys", "generate").strip().splitlines()[-1]
    new_id = new.split(":", 1)[0]
    out = run({**env, "SHAFFOF_FIELD_KEYS": f"{new},dev:{dev_key}"}, "keys", "rotate")
    assert f"6 field(s) rewrapped under key {new_id!r}" in out
    assert "0 field(s)" in run({**env, "SHAFFOF_FIELD_KEYS": f"{new},dev:{dev_key}"}, "keys", "rotate")
    with database.reading() as session:
        tokens = session.scalars(sa.select(PopulationRecord.address_encrypted)).all()
    assert tokens and all(t.startswith(f"e1:{new_id}:") for t in tokens)


def test_members_and_policies_from_the_console(database: Database, world: World, tmp_path: Path) -> None:
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }
    public = tmp_path / "system.pub"
    public.write_bytes(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    key_id = run(env, "mediator", "member-add", "IJTIMOIY", str(public)).strip().splitlines()[-1]
    assert key_id.startswith("ijtimoiy-")
    with database.reading() as session:
        assert session.get(MediatorMember, key_id) is not None
    listed = run(env, "mediator", "policies", "--demo")
    assert "IJTIMOIY" in listed and "population/family" in listed and "child-allowance" in listed
    assert "consent" in listed  # the pension fund's policy rests on consent
    assert "Every message-log entry is already" in run(env, "mediator", "seal")


def test_a_refused_consent_changes_nothing(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    bad = client.post(
        "/api/v1/me/consents",
        json={"recipient": "PENSIYA", "purpose": "pension-statement", "categories": ["shoe-size"], "days": 30},
        headers=alice,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "categories"
    unknown = client.post(
        "/api/v1/me/consents",
        json={"recipient": "NOBODY", "purpose": "pension-statement", "categories": ["identity"], "days": 30},
        headers=alice,
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "recipient"
    officer = client.post(
        "/api/v1/me/consents",
        json={"recipient": "PENSIYA", "purpose": "pension-statement", "categories": ["identity"], "days": 30},
        headers=token(client, "toshhok.officer"),
    )
    assert officer.status_code == 403
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Consent)) == 0


def test_the_data_tracker_page_in_three_languages_and_signed_out(client: TestClient, world: World) -> None:
    signed_out = client.get("/my-data?lang=uz")
    assert signed_out.status_code == 401 and "tizimga kiring" in signed_out.text
    response = client.post(
        "/api/v1/auth/login", json={"login": "alice", "password": "correct horse battery staple", "mode": "session"}
    )
    client.cookies.set("shaffof_session", response.cookies["shaffof_session"])
    for lang, heading in (
        ("uz", "Mening maʼlumotlarim kimga koʻrindi"),
        ("ru", "Кто видел мои данные"),
        ("en", "Who saw my data"),
    ):
        page = client.get(f"/my-data?lang={lang}")
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in page.text and heading in page.text
        assert '<main id="main"' in page.text


def test_an_evidence_export_from_the_console_is_an_access_the_applicant_sees(
    client: TestClient, world: World, database: Database, tmp_path: Path
) -> None:
    alice = token(client, "alice")
    case = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM},
        headers=alice,
    )
    number = case.json()["registration_number"]
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }
    run(env, "export", number, "--out", str(tmp_path / "evidence.zip"))
    assert (tmp_path / "evidence.zip").exists()
    log = client.get("/api/v1/me/access-log", headers=alice).json()
    assert [(r["channel"], r["case"], r["purpose"]) for r in log] == [
        ("export", number, f"evidence package of case {number}")
    ]
