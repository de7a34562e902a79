"""A decided case exported as an evidence package (ZIP) verifies offline with nothing but the CA certificate
and the log's public key; a changed document, leaf, checkpoint signature or timeline entry is found and
named by its location (issue 8 part 4)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_public_key
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.archive.evidence import export_case
from shaffof.archive.evidence_verify import EvidenceReport, verify_evidence
from shaffof.cases.models import Case, CaseState
from shaffof.cli.main import app as cli
from shaffof.db.engine import Database
from shaffof.ledger.keys import development_key_path, read_key_file
from shaffof.platform import Platform
from tests.conftest import SERVICES, TEST_SECRET
from tests.factories import APPEAL_FORM, PDF, World, token
from tests.unit.ledger import rfc9162


def decided_case(client: TestClient, world: World) -> str:
    """A citizen's appeal with a PDF attached, taken, decided and sealed; a checkpoint covers its events."""
    platform = world.platform
    platform.pki.initialise()
    platform.pki.issue_eseal(None, "YUNUSHOK")
    alice = token(client, "alice")
    upload = client.post("/api/v1/uploads", files={"file": ("street.pdf", PDF, "application/pdf")}, headers=alice)
    body = {
        "service": "appeal-to-hokimiyat",
        "agency": "YUNUSHOK",
        "form": APPEAL_FORM,
        "documents": [{"upload_id": upload.json()["id"], "document_type": "supporting_file"}],
    }
    created = client.post("/api/v1/cases", json=body, headers=alice)
    assert created.status_code == 201, created.text
    number: str = created.json()["registration_number"]
    platform.ledger.sequence()  # the submission receipt's checkpoint, before the case goes on
    officer = token(client, "yunushok.officer")
    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "approved", "reason": "Ko'cha chiroqlari 5 kun ichida almashtiriladi"},
        headers=officer,
    )
    assert decided.status_code == 200, decided.text
    assert platform.issue_decisions() == 1
    platform.ledger.sequence()  # the app's own sequencer thread may have done it already
    return number


def trust(platform: Platform) -> tuple[bytes, Ed25519PublicKey]:
    root, _ = platform.pki.ca_certificates()
    key = load_pem_public_key(platform.ledger.public_key_pem().encode())
    assert isinstance(key, Ed25519PublicKey)
    return root.public_bytes(Encoding.PEM), key


def entries(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_byte_changed(package: bytes, name: str, position: int = -1) -> bytes:
    """The package as someone who edited one byte of one file (and re-zipped it) would hand it over."""
    files = entries(package)
    data = bytearray(files[name])
    data[position] ^= 0x01
    files[name] = bytes(data)
    return rezip(files)


def locations(report: EvidenceReport) -> set[str]:
    return {problem.location for problem in report.problems}


def cli_env(database: Database, tmp_path: Path) -> dict[str, str]:
    return {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),  # the platform's data dir (settings fixture): same blobs, key
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }


def test_the_package_of_a_decided_case_holds_its_evidence_and_verifies_offline(
    client: TestClient, world: World, database: Database, tmp_path: Path
) -> None:
    number = decided_case(client, world)
    env = cli_env(database, tmp_path)
    runner = CliRunner()
    target = tmp_path / "evidence.zip"
    exported = runner.invoke(cli, ["export", number, "--out", str(target)], env=env)
    assert exported.exit_code == 0, exported.output
    ca_pem, key = trust(world.platform)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    (tmp_path / "log.pub").write_text(world.platform.ledger.public_key_pem())

    files = entries(target.read_bytes())
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["case"]["registration_number"] == number
    assert manifest["case"]["agency"]["code"] == "YUNUSHOK"
    assert manifest["case"]["service"]["code"] == "appeal-to-hokimiyat"
    assert manifest["case"]["outcome"] == "approved"
    kinds = [event["kind"] for event in manifest["events"]]
    assert kinds[:2] == ["submitted", "registered"] and "decided" in kinds and "decision_issued" in kinds
    assert manifest["files"] == {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    documents = {d["document_type"]: d for d in manifest["documents"]}
    assert files[documents["supporting_file"]["path"]] == PDF
    decision = files[documents["decision"]["path"]]
    assert decision.startswith(b"%PDF-") and hashlib.sha256(decision).hexdigest() == documents["decision"]["sha256"]
    [seal] = manifest["signatures"]
    assert seal["format"] == "pades" and seal["sha256"] == documents["decision"]["sha256"] and seal["timestamp"]

    # The ledger part checks with an independent RFC 9162 verifier (tests/unit/ledger/rfc9162.py) too.
    text = files["ledger/checkpoint.txt"]
    key.verify(files["ledger/checkpoint.sig"], text)
    origin, size, root, _ = text.decode().split("\n", 3)
    assert origin and files["ledger/checkpoint.note"].startswith(text)
    for event in manifest["events"]:
        receipt = json.loads(files[event["proof"]])
        leaf = base64.b64decode(receipt["leaf_hash"])
        assert hashlib.sha256(b"\x00" + files[event["leaf"]]).digest() == leaf
        path = [base64.b64decode(p) for p in receipt["inclusion"]["audit_path"]]
        assert rfc9162.verify_inclusion(leaf, receipt["leaf_index"], int(size), path, base64.b64decode(root))

    # The checkpoint's RFC 3161 token is over its signed note: openssl checks it with the CA alone.
    assert manifest["ledger"]["checkpoint"]["timestamp_token"] == "ledger/checkpoint.tsr"
    (tmp_path / "checkpoint.note").write_bytes(files["ledger/checkpoint.note"])
    (tmp_path / "checkpoint.tsr").write_bytes(files["ledger/checkpoint.tsr"])
    stamped = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(tmp_path / "checkpoint.note"),
         "-in", str(tmp_path / "checkpoint.tsr"), "-token_in", "-CAfile", str(tmp_path / "ca.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert stamped.returncode == 0 and "Verification: OK" in stamped.stdout, stamped.stderr
    # The first checkpoint that covered the case (its submission receipt's) and the proof that the package's
    # checkpoint extends it, checked by the independent verifier.
    first = manifest["ledger"]["first_checkpoint"]
    key.verify(files[first["signature"]], files[first["text"]])
    receipt = json.loads(files[manifest["events"][0]["proof"]])
    assert receipt["leaf_index"] < first["tree_size"] <= int(size)
    proof = json.loads(files[first["consistency"]])
    assert (proof["first"], proof["second"]) == (first["tree_size"], int(size))
    assert proof["first"] < proof["second"]
    assert rfc9162.verify_consistency(
        proof["first"],
        proof["second"],
        base64.b64decode(first["root_hash"]),
        base64.b64decode(root),
        [base64.b64decode(p) for p in proof["consistency"]],
    )

    report = verify_evidence(target.read_bytes(), ca_pem=ca_pem, log_key=key)
    assert report.ok, [str(p) for p in report.problems]
    assert report.events == len(manifest["events"]) == report.proofs and report.seals == 1
    assert report.timestamps >= 1 and report.consistency

    verified = runner.invoke(
        cli,
        ["verify-evidence", str(target), "--ca", str(tmp_path / "ca.pem"), "--log-key", str(tmp_path / "log.pub")],
        env=env,
    )
    assert verified.exit_code == 0, verified.output
    assert "OK" in verified.output and number in verified.output


def test_a_changed_document_leaf_checkpoint_signature_or_timeline_is_found_where_it_is(
    client: TestClient, world: World, database: Database, tmp_path: Path
) -> None:
    number = decided_case(client, world)
    platform = world.platform
    package = export_case(platform.db, platform.blobs, number, log_public_pem=platform.ledger.public_key_pem()).data
    ca_pem, key = trust(platform)
    manifest = json.loads(entries(package)["manifest.json"])
    documents = {d["document_type"]: d["path"] for d in manifest["documents"]}
    decided = next(e for e in manifest["events"] if e["kind"] == "decided")

    # One byte of the citizen's attachment.
    report = verify_evidence(with_byte_changed(package, documents["supporting_file"], 10), ca_pem=ca_pem, log_key=key)
    assert documents["supporting_file"] in locations(report) and not report.ok
    assert any("differs from the manifest" in p.problem for p in report.problems)

    # One byte of the sealed decision: the hash and the seal both fail, at the document.
    report = verify_evidence(with_byte_changed(package, documents["decision"], 2000), ca_pem=ca_pem, log_key=key)
    problems = [p.problem for p in report.problems if p.location == documents["decision"]]
    assert any("seal does not verify" in p for p in problems), [str(p) for p in report.problems]

    # One byte of a leaf: it no longer hashes to its leaf hash.
    report = verify_evidence(with_byte_changed(package, decided["leaf"], 30), ca_pem=ca_pem, log_key=key)
    assert any(
        p.location == decided["leaf"] and "does not hash to its leaf hash" in p.problem for p in report.problems
    ), [str(p) for p in report.problems]

    # One byte of the checkpoint signature.
    report = verify_evidence(with_byte_changed(package, "ledger/checkpoint.sig", 5), ca_pem=ca_pem, log_key=key)
    assert any(
        p.location == "ledger/checkpoint.sig" and "does not verify with the given log key" in p.problem
        for p in report.problems
    ), [str(p) for p in report.problems]

    # The manifest's timeline rewritten (the files' hashes untouched): it no longer says what the leaf says.
    files = entries(package)
    changed = json.loads(files["manifest.json"])
    position = next(i for i, e in enumerate(changed["events"]) if e["kind"] == "decided")
    changed["events"][position]["reason"] = "Rad etildi"
    files["manifest.json"] = json.dumps(changed).encode()
    report = verify_evidence(rezip(files), ca_pem=ca_pem, log_key=key)
    assert locations(report) == {f"manifest.json events[{position}].reason"}, [str(p) for p in report.problems]

    # Another log's key: neither checkpoint is the platform's (nor are the notes the tokens stamp).
    other = Ed25519PrivateKey.generate().public_key()
    report = verify_evidence(package, ca_pem=ca_pem, log_key=other)
    assert {"ledger/checkpoint.sig", "ledger/first-checkpoint.sig", "ledger/checkpoint.tsr"} <= locations(report)
    assert locations(report) <= {"ledger/checkpoint.sig", "ledger/first-checkpoint.sig"} | {
        "ledger/checkpoint.tsr",
        "ledger/first-checkpoint.tsr",
    }

    # One byte of the checkpoint's timestamp token.
    report = verify_evidence(with_byte_changed(package, "ledger/checkpoint.tsr", -5), ca_pem=ca_pem, log_key=key)
    assert locations(report) == {"ledger/checkpoint.tsr"}, [str(p) for p in report.problems]

    # A consistency proof that does not lead from the first checkpoint to the package's.
    files = entries(package)
    proof = json.loads(files["ledger/consistency.json"])
    proof["consistency"][0] = base64.b64encode(bytes(32)).decode()
    files["ledger/consistency.json"] = json.dumps(proof).encode()
    changed = json.loads(files["manifest.json"])
    changed["files"]["ledger/consistency.json"] = hashlib.sha256(files["ledger/consistency.json"]).hexdigest()
    files["manifest.json"] = json.dumps(changed).encode()
    report = verify_evidence(rezip(files), ca_pem=ca_pem, log_key=key)
    assert locations(report) == {"ledger/consistency.json"}, [str(p) for p in report.problems]
    assert "not an extension of the first checkpoint" in report.problems[0].problem

    # The console says where and exits 1.
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(with_byte_changed(package, decided["leaf"], 30))
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    (tmp_path / "log.pub").write_text(platform.ledger.public_key_pem())
    result = CliRunner().invoke(
        cli,
        ["verify-evidence", str(tampered), "--ca", str(tmp_path / "ca.pem"), "--log-key", str(tmp_path / "log.pub")],
        env=cli_env(database, tmp_path),
    )
    assert result.exit_code == 1, result.output
    assert f"{decided['leaf']}: the leaf data does not hash to its leaf hash" in result.output


def test_the_evidence_package_of_a_demo_case_verifies_offline(database: Database, tmp_path: Path) -> None:
    """Issue 8's "done when": `shaffof init`, `shaffof demo`, the sequencer, then any demo case exported
    verifies with nothing but the CA certificate and the log's public key."""
    env = {
        **cli_env(database, tmp_path),
        "SHAFFOF_SERVICES_DIR": str(SERVICES),
        "SHAFFOF_ARGON2_TIME_COST": "1",
        "SHAFFOF_ARGON2_MEMORY_KIB": "8192",
    }
    runner = CliRunner()
    for command in (["demo", "--scale", "0.01"], ["init"], ["ledger", "sequence"]):  # as make serve: demo, then init
        result = runner.invoke(cli, command, env=env)
        assert result.exit_code == 0, (command, result.output)
    with database.reading() as session:
        number = session.scalars(
            sa.select(Case.registration_number).where(Case.state == CaseState.closed).limit(1)
        ).one()
    assert runner.invoke(cli, ["export", number, "--out", str(tmp_path / "demo.zip")], env=env).exit_code == 0
    ca = runner.invoke(cli, ["pki", "ca"], env=env)
    assert ca.exit_code == 0 and "BEGIN CERTIFICATE" in ca.stdout, ca.output
    (tmp_path / "ca.pem").write_text(ca.stdout)
    log_key = read_key_file(development_key_path(tmp_path / "var"))  # the log key the platform signs with
    (tmp_path / "log.pub").write_text(log_key.public_pem)
    verified = runner.invoke(
        cli,
        ["verify-evidence", str(tmp_path / "demo.zip"), "--ca", str(tmp_path / "ca.pem"), "--log-key",
         str(tmp_path / "log.pub")],
        env=env,
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output
    assert f"OK: {number}" in verified.output and "0 checkpoint timestamps" not in verified.output
    assert "checkpoint timestamps" in verified.output
