"""`shaffof pki init|issue|renew|revoke|list|ca` and `shaffof verify FILE`, online and offline (CA file + CRL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from shaffof.cli.main import app as cli
from shaffof.config import Environment, Settings
from shaffof.db.engine import Database
from shaffof.pki.errors import PkiPassphraseRefused
from shaffof.pki.service import Pki
from shaffof.pki.signing import jws
from tests.conftest import TEST_SECRET
from tests.factories import World


@pytest.fixture
def env(database: Database, world: World, tmp_path: Path) -> dict[str, str]:
    return {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.stdout if "--json" in args else result.output


def test_the_console_sets_up_the_ca_issues_revokes_and_verifies(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    out = run(env, "pki", "init")
    assert "root CA: serial" in out and "time-stamping authority" in out
    assert "already set up" in run(env, "pki", "init", code=1)
    (tmp_path / "ca.pem").write_text(run(env, "pki", "ca"))
    root = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    assert root.subject == root.issuer

    key = ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    (tmp_path / "alice.csr").write_bytes(request.public_bytes(serialization.Encoding.PEM))
    out = run(
        env,
        "pki",
        "issue",
        "--csr",
        str(tmp_path / "alice.csr"),
        "--for",
        world.pinfls["alice"],
        "--out",
        str(tmp_path / "alice.pem"),
    )
    assert "Issued citizen certificate" in out
    chain = x509.load_pem_x509_certificates((tmp_path / "alice.pem").read_bytes())
    serial = format(chain[0].serial_number, "x")
    assert run(env, "pki", "issue", "--eseal", "TOSHHOK").count("BEGIN CERTIFICATE") == 2
    assert "exactly" not in run(env, "pki", "issue", "--eseal", "NOPE", code=1)
    assert "Give either" in run(env, "pki", "issue", code=2)

    listing = run(env, "pki", "list", "--kind", "citizen")
    assert serial in listing and "1 certificate(s)" in listing
    renewed = run(env, "pki", "renew", serial)
    assert "extension 1 of 2" in renewed

    signed = jws.sign_submission({"ariza": "matn"}, key, chain, dt.datetime.now(dt.UTC))
    (tmp_path / "s.jws").write_text(signed)
    online = run(env, "verify", str(tmp_path / "s.jws"))
    assert "VALID" in online and world.pinfls["alice"] in online and "certificate status: good" in online
    offline = json.loads(run(env, "verify", str(tmp_path / "s.jws"), "--ca", str(tmp_path / "ca.pem"), "--json"))
    assert offline["verdict"] == "valid" and offline["certificate_status"] == "unchecked"

    assert "Revoked" in run(env, "pki", "revoke", serial, "--reason", "key_compromise")
    assert "Unknown reason" in run(env, "pki", "revoke", serial, "--reason", "bored", code=2)
    assert "INVALID" in run(env, "verify", str(tmp_path / "s.jws"), code=1)
    # Offline with the CRL as it was published: the revocation is seen without the database.
    crl = world.platform.pki.crl()
    (tmp_path / "crl.der").write_bytes(crl)
    offline = json.loads(
        run(
            env,
            "verify",
            str(tmp_path / "s.jws"),
            "--ca",
            str(tmp_path / "ca.pem"),
            "--crl",
            str(tmp_path / "crl.der"),
            "--json",
            code=1,
        )
    )
    assert offline["reason"] == "revoked" and offline["certificate_status"] == "revoked"


def test_verify_reports_unreadable_files_and_foreign_signatures(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    run(env, "pki", "init")
    assert "Cannot read" in run(env, "verify", str(tmp_path / "missing.jws"), code=2)
    (tmp_path / "not-a-ca.pem").write_text("nothing")
    (tmp_path / "x.jws").write_text("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")
    assert "Cannot read the CA" in run(
        env, "verify", str(tmp_path / "x.jws"), "--ca", str(tmp_path / "not-a-ca.pem"), code=2
    )
    report = json.loads(run(env, "verify", str(tmp_path / "x.jws"), "--json", code=1))
    assert report["reason"] == "malformed"


def test_production_refuses_the_development_passphrase(database: Database, tmp_path: Path) -> None:
    settings = Settings(env=Environment.production, secret_key=TEST_SECRET, data_dir=tmp_path)
    pki = Pki.from_settings(settings, database)
    with pytest.raises(PkiPassphraseRefused, match="SHAFFOF_PKI_PASSPHRASE"):
        pki.initialise()
    strong = Settings(
        env=Environment.production,
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        pki_passphrase="p" * 16 + "-strong-and-long-0123",
    )
    assert Pki.from_settings(strong, database).config.refusal is None


def test_the_validity_setting_is_capped_by_zru_793() -> None:
    with pytest.raises(ValueError, match="less than or equal to 24"):
        Settings(pki_certificate_months=25)
