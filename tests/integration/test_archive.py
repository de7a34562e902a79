"""The archive's retention, legal holds and disposal (issue 8 part 4) on SQLite and PostgreSQL: content past
its retention goes, leaving a tombstone whose own leaf is in the log; a hold keeps it; refusals change
nothing; `shaffof verify-log` accepts a tombstoned blob, still reports a blob missing without one, and
finds a changed or deleted tombstone."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.archive.errors import ArchiveInputInvalid, BlobDisposed, HoldAlreadyReleased
from shaffof.archive.models import Blob, LegalHold, Tombstone
from shaffof.archive.policy import ArchivistsOnly
from shaffof.archive.records import tombstone_payload
from shaffof.cases.errors import CaseNotFound
from shaffof.cases.models import Case, Outcome
from shaffof.cases.schemas import CaseSubmit, DocumentRef
from shaffof.cli.main import app as cli
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.identity import service as identity
from shaffof.identity.actor import Actor
from shaffof.identity.models import Role
from shaffof.ledger import audit, merkle
from shaffof.ledger.models import LeafKind, LedgerEntry
from shaffof.ledger.records import canonical_bytes, domain_record
from tests.conftest import TEST_SECRET
from tests.factories import APPEAL_FORM, JPEG, PASSWORD, PDF, World, token

AUTHORITY = "Expert commission act No. 7 of 2032-02-01"


@dataclass
class Archived:
    world: World
    old: str  # a case closed six years ago, with a PDF
    old_sha256: str
    open_case: str  # an open case, with a JPEG
    open_sha256: str
    archivist: Actor


def archivist(world: World) -> Actor:
    with world.platform.db.uow() as uow:
        account = identity.create_account(
            uow,
            world.platform.passwords,
            login="archivist",
            password=PASSWORD,
            role=Role.archivist,
            display_name="Archivist",
        )
        uow.commit()
        return identity.actor_of(account)


def submit_with(world: World, data: bytes, filename: str, media_type: str) -> tuple[str, str]:
    cases, alice = world.platform.cases, world.actors["alice"]
    upload = cases.upload(alice, filename=filename, declared_type=media_type, data=data)
    submitted = cases.submit(
        alice,
        CaseSubmit(
            service="appeal-to-hokimiyat",
            agency="YUNUSHOK",
            form=APPEAL_FORM,
            documents=[DocumentRef(upload_id=upload.id, document_type="supporting_file")],
        ),
    ).case
    return submitted.registration_number, submitted.documents[0].sha256


def close_years_ago(world: World, number: str, years: int) -> None:
    """Take, decide and close the case, then move its closing back (an old case in the archive)."""
    cases, officer = world.platform.cases, world.actors["yunushok.officer"]
    cases.take(officer, number)
    cases.decide(officer, number, Outcome.approved, "Ko'cha chiroqlari almashtirildi")
    cases.close(officer, number, "Javob berildi")
    with world.platform.db.engine.begin() as connection:
        connection.execute(
            sa.update(Case)
            .where(Case.registration_number == number)
            .values(closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=366 * years))
        )


@pytest.fixture
def archived(world: World) -> Archived:
    old, old_sha256 = submit_with(world, PDF, "street.pdf", "application/pdf")
    close_years_ago(world, old, 6)
    open_case, open_sha256 = submit_with(world, JPEG, "photo.jpg", "image/jpeg")
    return Archived(world, old, old_sha256, open_case, open_sha256, archivist(world))


def counts(database: Database) -> tuple[int, int, int]:
    with database.reading() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Tombstone)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(LegalHold)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or 0,
        )


def check_log(world: World) -> audit.AuditReport:
    ledger = world.platform.ledger
    ledger.sequence()
    return audit.verify_log(
        world.platform.db, public_key=ledger.public_key(), blobs=world.platform.blobs, records=ledger.record_sources
    )


def test_disposal_leaves_a_tombstone_whose_leaf_is_in_the_log(archived: Archived, database: Database) -> None:
    world, archive, blobs = archived.world, archived.world.platform.archive, archived.world.platform.blobs
    before = counts(database)
    plan = archive.dispose(archived.archivist, AUTHORITY, dry_run=True)
    assert [item.sha256 for item in plan.due] == [archived.old_sha256]  # not the open case's JPEG
    assert plan.due[0].retention_class == "case-document" and plan.disposed == []
    assert plan.due[0].records[0].registration_number == archived.old
    assert counts(database) == before and blobs.path(archived.old_sha256).exists()  # a dry run changes nothing

    report = archive.dispose(archived.archivist, AUTHORITY)
    assert [t.sha256 for t in report.disposed] == [archived.old_sha256]
    assert not blobs.path(archived.old_sha256).exists()
    assert blobs.path(archived.open_sha256).exists()
    with database.reading() as session:
        tombstone = session.scalars(sa.select(Tombstone)).one()
        assert session.get(Blob, archived.old_sha256) is not None  # the digest still resolves
        leaf = session.execute(
            sa.select(LedgerEntry.leaf_hash).where(
                LedgerEntry.kind == LeafKind.archive_tombstone, LedgerEntry.record_id == tombstone.id
            )
        ).scalar_one()
        payload = tombstone_payload(tombstone)
    # what, when, why, by whose authority — and the leaf is over exactly that
    assert tombstone.authority == AUTHORITY and tombstone.disposed_by_account_id == archived.archivist.account_id
    assert "case-document" in tombstone.reason and tombstone.basis["basis"] == "platform-default"
    assert tombstone.basis["citation"]["law"] == "ZRU-547" and tombstone.basis["citation"]["article"] == "17"
    assert tombstone.records[0]["registration_number"] == archived.old
    assert leaf == merkle.leaf_hash(canonical_bytes(domain_record("archive_tombstone", tombstone.id, payload)))
    assert report.disposed[0].leaf_hash == base64.b64encode(leaf).decode()
    with pytest.raises(BlobDisposed, match="disposed of"):
        blobs.read(archived.old_sha256)

    result = check_log(world)
    assert result.ok, [str(d) for d in result.discrepancies]
    assert result.counts["archive_tombstone records"] == 1
    again = archive.dispose(archived.archivist, AUTHORITY)
    assert again.due == [] and again.disposed == []  # disposed once


def test_a_legal_hold_keeps_the_content_until_it_is_lifted(archived: Archived, database: Database) -> None:
    archive, blobs = archived.world.platform.archive, archived.world.platform.blobs
    hold = archive.place_hold(archived.archivist, archived.old, "Sud so'rovi", "Yunusobod district court, 2032-01-10")
    assert hold.in_force and hold.seq == 1
    report = archive.dispose(archived.archivist, AUTHORITY)
    assert report.disposed == [] and report.due == [] and report.held == 1
    assert blobs.path(archived.old_sha256).exists()

    lifted = archive.release_hold(archived.archivist, archived.old, 1, "Ish yopildi", "Court ruling of 2032-03-01")
    assert not lifted.in_force and lifted.release_authority == "Court ruling of 2032-03-01"
    assert [t.sha256 for t in archive.dispose(archived.archivist, AUTHORITY).disposed] == [archived.old_sha256]
    assert [h.in_force for h in archive.holds(archived.archivist, registration_number=archived.old)] == [False]


def test_content_shared_with_a_case_not_yet_due_is_kept(archived: Archived) -> None:
    world = archived.world
    shared, sha256 = submit_with(world, PDF, "again.pdf", "application/pdf")  # same bytes, an open case
    assert sha256 == archived.old_sha256
    assert world.platform.archive.dispose(archived.archivist, AUTHORITY).disposed == []
    close_years_ago(world, shared, 2)  # closed, but two years ago: five are kept
    assert world.platform.archive.dispose(archived.archivist, AUTHORITY).disposed == []
    assert world.platform.blobs.path(sha256).exists()


@pytest.mark.parametrize("who", ["alice", "yunushok.officer", "toshhok.head", "auditor"])
def test_only_archivists_and_administrators_keep_the_archive(archived: Archived, database: Database, who: str) -> None:
    archive, actor = archived.world.platform.archive, archived.world.actors[who]
    before = counts(database)
    for attempt in (
        lambda: archive.dispose(actor, AUTHORITY),
        lambda: archive.place_hold(actor, archived.old, "reason", "authority"),
        lambda: archive.release_hold(actor, archived.old, 1, "reason", "authority"),
        lambda: archive.retention(actor),
    ):
        with pytest.raises(ArchivistsOnly):
            attempt()
    assert counts(database) == before
    assert archived.world.platform.blobs.path(archived.old_sha256).exists()
    admin = archived.world.actors["admin"]
    assert len(archive.dispose(admin, AUTHORITY).disposed) == 1  # an administrator may


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(archived: Archived, database: Database) -> None:
    archive, keeper = archived.world.platform.archive, archived.archivist
    before = counts(database)
    with pytest.raises(ArchiveInputInvalid) as refused:
        archive.place_hold(keeper, archived.old, "   ", "")
    assert [e.path for e in refused.value.errors] == ["reason", "authority"]
    with pytest.raises(ArchiveInputInvalid) as refused:
        archive.dispose(keeper, " ")
    assert [e.path for e in refused.value.errors] == ["authority"]
    with pytest.raises(CaseNotFound):
        archive.place_hold(keeper, "YUNUSHOK-1999-000001", "reason", "authority")
    assert counts(database) == before and archived.world.platform.blobs.path(archived.old_sha256).exists()
    archive.place_hold(keeper, archived.old, "reason", "authority")
    archive.release_hold(keeper, archived.old, 1, "done", "authority")
    with pytest.raises(HoldAlreadyReleased):
        archive.release_hold(keeper, archived.old, 1, "again", "authority")


def test_verify_log_finds_a_changed_or_deleted_tombstone_and_a_blob_missing_without_one(
    archived: Archived, database: Database
) -> None:
    world = archived.world
    world.platform.archive.dispose(archived.archivist, AUTHORITY)
    world.platform.blobs.path(archived.open_sha256).unlink()  # gone without a tombstone
    result = check_log(world)
    problems = [str(d) for d in result.discrepancies]
    assert len(problems) == 1 and "missing blob" in problems[0] and archived.open_sha256 in problems[0]

    with database.engine.begin() as connection:
        connection.execute(sa.update(Tombstone).values(authority="nobody in particular"))
    problems = [str(d) for d in check_log(world).discrepancies]
    assert any(p.startswith("archive_tombstone id=") and "record differs from its leaf" in p for p in problems)

    with database.engine.begin() as connection:
        connection.execute(sa.delete(Tombstone))
    problems = [str(d) for d in check_log(world).discrepancies]
    assert any("leaf without its record: archive_tombstone" in p for p in problems)
    assert any("missing blob" in p and archived.old_sha256 in p for p in problems)  # no tombstone: missing again


def test_a_disposed_blob_left_on_disk_is_reported(archived: Archived) -> None:
    world = archived.world
    world.platform.archive.dispose(archived.archivist, AUTHORITY)
    path = world.platform.blobs.path(archived.old_sha256)
    path.write_bytes(PDF)  # restored from a backup, or the unlink never happened
    problems = [str(d) for d in check_log(world).discrepancies]
    assert problems == [
        f"{path}: disposed blob still present: tombstone id={_tombstone_id(world)} says it was destroyed"
    ]


def _tombstone_id(world: World) -> int:
    with world.platform.db.reading() as session:
        return session.scalars(sa.select(Tombstone.id)).one()


# --------------------------------------------------------------------------- over HTTP and the command line


def test_the_admin_api_holds_and_disposes_for_archivists_only(
    client: TestClient, archived: Archived, database: Database
) -> None:
    keeper = token(client, "archivist")
    officer = token(client, "yunushok.officer")
    body = {"registration_number": archived.old, "reason": "Prokuratura so'rovi", "authority": "Prosecutor's letter 12"}
    assert client.post("/api/v1/admin/archive/holds", json=body, headers=officer).status_code == 403
    blank = client.post("/api/v1/admin/archive/holds", json={**body, "reason": ""}, headers=keeper)
    assert blank.status_code == 422 and "reason" in blank.text
    assert counts(database)[1] == 0
    placed = client.post("/api/v1/admin/archive/holds", json=body, headers=keeper)
    assert placed.status_code == 201 and placed.json()["seq"] == 1
    dry = client.post("/api/v1/admin/archive/disposals", json={"authority": AUTHORITY, "dry_run": True}, headers=keeper)
    assert dry.status_code == 200 and dry.json()["held"] == 1 and dry.json()["due"] == []
    release = {"reason": "Tekshiruv tugadi", "authority": "Prosecutor's letter 15"}
    lifted = client.post(f"/api/v1/admin/archive/holds/{archived.old}/1/release", json=release, headers=keeper)
    assert lifted.status_code == 200 and lifted.json()["in_force"] is False
    forbidden = client.post("/api/v1/admin/archive/disposals", json={"authority": AUTHORITY}, headers=officer)
    assert forbidden.status_code == 403 and forbidden.json()["type"] == "/problems/archivists-only"
    done = client.post("/api/v1/admin/archive/disposals", json={"authority": AUTHORITY}, headers=keeper)
    assert done.status_code == 200 and [t["sha256"] for t in done.json()["disposed"]] == [archived.old_sha256]
    listed = client.get("/api/v1/admin/archive/tombstones", headers=keeper).json()
    assert listed[0]["authority"] == AUTHORITY and listed[0]["leaf_hash"]
    schedule = client.get("/api/v1/admin/archive/retention", headers=keeper).json()
    assert {c["code"] for c in schedule["classes"]} >= {"decision", "case-document"}


def test_the_archive_commands(archived: Archived, settings: Settings, database: Database, tmp_path: Path) -> None:
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(settings.data_dir),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args), env=env)
        return result.exit_code, result.output

    code, output = run("archive", "retention", "--as", "archivist")
    assert code == 0 and "case-document" in output and "platform-default" in output, output
    assert run("archive", "dispose", "--authority", AUTHORITY, "--as", "alice")[0] == 1
    code, output = run(
        "archive", "hold", archived.old, "--reason", "Sud", "--authority", "Court 5", "--as", "archivist"
    )
    assert code == 0 and "Hold #1" in output, output
    code, output = run("archive", "dispose", "--authority", AUTHORITY, "--dry-run", "--as", "archivist")
    assert code == 0 and "0 content(s) would be disposed of; 1 kept by legal holds" in output, output
    code, output = run("archive", "release", archived.old, "1", "--reason", "Done", "--authority", "Court 6")
    assert code == 0, output
    code, output = run("archive", "dispose", "--authority", AUTHORITY, "--dry-run")
    assert code == 0 and f"due: {archived.old_sha256}" in output, output
    assert world_unchanged(archived)
    code, output = run("archive", "dispose", "--authority", AUTHORITY, "--as", "archivist")
    assert code == 0 and "1 content(s) disposed of" in output, output
    assert run("ledger", "sequence")[0] == 0
    code, output = run("verify-log")
    assert code == 0 and "OK" in output and "archive_tombstone records" in output, output
    archived.world.platform.blobs.path(archived.open_sha256).unlink()
    code, output = run("verify-log")
    assert code == 1 and "missing blob" in output, output


def world_unchanged(archived: Archived) -> bool:
    return archived.world.platform.blobs.path(archived.old_sha256).exists()


def test_the_evidence_package_of_a_disposed_case_lists_the_tombstone_and_still_verifies(archived: Archived) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from shaffof.archive.evidence import export_case
    from shaffof.archive.evidence_verify import verify_evidence

    platform = archived.world.platform
    platform.pki.initialise()
    platform.archive.dispose(archived.archivist, AUTHORITY)
    platform.ledger.sequence()
    package = export_case(platform.db, platform.blobs, archived.old, log_public_pem=platform.ledger.public_key_pem())
    assert package.documents == 1
    root, _ = platform.pki.ca_certificates()
    key = load_pem_public_key(platform.ledger.public_key_pem().encode())
    assert isinstance(key, Ed25519PublicKey)
    report = verify_evidence(package.data, ca_pem=root.public_bytes(Encoding.PEM), log_key=key)
    assert report.ok, [str(p) for p in report.problems]
    assert report.disposed == 1 and report.timestamps >= 1
