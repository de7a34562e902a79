"""`shaffof verify-log` and `shaffof ledger …` on SQLite and PostgreSQL: a clean log verifies; a changed event
row, blob byte, stored node, leaf, checkpoint root or signature is found and named, with exit code 1."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from typer.testing import CliRunner

from shaffof.cases.models import CaseEvent
from shaffof.cases.schemas import CaseSubmit, DocumentRef
from shaffof.cli.main import app as cli
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode
from tests.conftest import TEST_SECRET
from tests.factories import APPEAL_FORM, PDF, World


@dataclass
class Logged:
    """A log with a few cases (one with a document), sequenced and checkpointed twice."""

    world: World
    env: dict[str, str]
    blob: Path
    event: tuple[int, object, int]
    checkpoint_id: int


def environment(settings: Settings, database: Database, **extra: str) -> dict[str, str]:
    return {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(settings.data_dir),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
        **extra,
    }


@pytest.fixture
def logged(world: World, settings: Settings, database: Database) -> Logged:
    cases, alice = world.platform.cases, world.actors["alice"]
    upload = cases.upload(alice, filename="street.pdf", declared_type="application/pdf", data=PDF)
    with_document = CaseSubmit(
        service="appeal-to-hokimiyat",
        agency="YUNUSHOK",
        form=APPEAL_FORM,
        documents=[DocumentRef(upload_id=upload.id, document_type="supporting_file")],
    )
    first = cases.submit(alice, with_document).case
    world.platform.ledger.sequence()
    for _ in range(3):
        cases.submit(
            world.actors["bob"], CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
        )
    cases.take(world.actors["yunushok.officer"], first.registration_number)
    world.platform.ledger.sequence()
    with database.reading() as session:
        agency_id, case_id = session.execute(
            sa.select(CaseEvent.agency_id, CaseEvent.case_id).where(CaseEvent.seq == 4)  # the first case's "taken"
        ).one()
        checkpoint_id = session.scalar(sa.select(sa.func.max(LedgerCheckpoint.id)))
    assert checkpoint_id is not None
    return Logged(
        world=world,
        env=environment(settings, database),
        blob=world.platform.blobs.path(first.documents[0].sha256),
        event=(agency_id, case_id, 1),
        checkpoint_id=checkpoint_id,
    )


def verify_log(logged: Logged, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify-log", *args], env=logged.env)
    return result.exit_code, result.output


def test_a_clean_log_verifies(logged: Logged) -> None:
    code, output = verify_log(logged)
    assert code == 0, output
    assert (
        "OK" in output and "14 leaves" in output and "2 checkpoints" in output and "13 case events" in output
    )  # 13 case events + 1 access record (issue 6)
    assert "1 blobs" in output


def change_event(logged: Logged, database: Database) -> str:
    agency_id, case_id, seq = logged.event
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(CaseEvent)
            .where(CaseEvent.agency_id == agency_id, CaseEvent.case_id == case_id, CaseEvent.seq == seq)
            .values(reason="nothing happened here")
        )
    return f"case_events agency_id={agency_id} case_id={case_id} seq={seq}"


def delete_event(logged: Logged, database: Database) -> str:
    agency_id, case_id, _ = logged.event
    with database.engine.begin() as connection:
        connection.execute(
            sa.delete(CaseEvent).where(
                CaseEvent.agency_id == agency_id, CaseEvent.case_id == case_id, CaseEvent.seq == 4
            )
        )
    return "leaf without its event"


def change_blob(logged: Logged, database: Database) -> str:
    content = bytearray(logged.blob.read_bytes())
    content[-3] ^= 0x01
    logged.blob.write_bytes(bytes(content))
    return str(logged.blob)


def change_node(logged: Logged, database: Database) -> str:
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(LedgerNode).where(LedgerNode.level == 1, LedgerNode.node_index == 0).values(hash=bytes(32))
        )
    return "ledger_nodes level=1 index=0"


def change_leaf(logged: Logged, database: Database) -> str:
    with database.engine.begin() as connection:
        connection.execute(sa.update(LedgerEntry).where(LedgerEntry.leaf_index == 5).values(leaf_hash=bytes(32)))
    return "ledger_nodes level=1 index=2"  # the leaf's parent no longer matches (and its event, below)


def change_signature(logged: Logged, database: Database) -> str:
    with database.engine.begin() as connection:
        signature = connection.scalar(
            sa.select(LedgerCheckpoint.signature).where(LedgerCheckpoint.id == logged.checkpoint_id)
        )
        assert signature is not None
        connection.execute(
            sa.update(LedgerCheckpoint)
            .where(LedgerCheckpoint.id == logged.checkpoint_id)
            .values(signature=bytes([signature[0] ^ 1]) + signature[1:])
        )
    return f"ledger_checkpoints id={logged.checkpoint_id}"


def change_checkpoint_root(logged: Logged, database: Database) -> str:
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(LedgerCheckpoint).where(LedgerCheckpoint.id == logged.checkpoint_id).values(root_hash=bytes(32))
        )
    return f"ledger_checkpoints id={logged.checkpoint_id}"


@pytest.mark.parametrize(
    "tamper",
    [change_event, delete_event, change_blob, change_node, change_leaf, change_signature, change_checkpoint_root],
)
def test_verify_log_finds_each_change_and_names_where_it_is(
    logged: Logged, database: Database, tamper: Callable[[Logged, Database], str]
) -> None:
    assert verify_log(logged)[0] == 0
    location = tamper(logged, database)
    code, output = verify_log(logged)
    assert code == 1, output
    assert location in output, output
    assert "The log does not verify" in output


def test_a_changed_leaf_is_also_named_against_its_event(logged: Logged, database: Database) -> None:
    change_leaf(logged, database)
    code, output = verify_log(logged)
    assert code == 1 and "event differs from its leaf" in output and "leaf index 5" in output, output


def test_signatures_are_checked_against_the_key_the_auditor_brings(logged: Logged, tmp_path: Path) -> None:
    stranger = tmp_path / "someone-else.pem"
    stranger.write_bytes(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    code, output = verify_log(logged, "--public-key", str(stranger), "--no-blobs")
    assert code == 1 and "unknown key" in output and "ledger_checkpoints id=" in output, output
    published = tmp_path / "published.pem"
    key = logged.world.platform.ledger.public_key_pem()
    published.write_text(key)
    code, output = verify_log(logged, "--public-key", str(published), "--no-blobs")
    assert code == 0, output


def test_ledger_sequence_integrates_and_signs_and_fails_loudly_without_a_key(
    world: World, settings: Settings, database: Database, tmp_path: Path
) -> None:
    world.platform.cases.submit(
        world.actors["alice"], CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    )
    runner = CliRunner()
    missing = environment(settings, database, SHAFFOF_LEDGER_KEY_FILE=str(tmp_path / "missing.pem"))
    result = runner.invoke(cli, ["ledger", "sequence"], env=missing)
    assert result.exit_code == 1, result.output
    assert "Integrated 3 leaves" in result.output and "No checkpoint signed" in result.output
    key_file = tmp_path / "log.pem"
    made = runner.invoke(cli, ["ledger", "keygen", str(key_file)])
    assert made.exit_code == 0 and "BEGIN PUBLIC KEY" in made.output, made.output
    assert runner.invoke(cli, ["ledger", "keygen", str(key_file)]).exit_code == 1  # never overwritten
    result = runner.invoke(
        cli, ["ledger", "sequence"], env=environment(settings, database, SHAFFOF_LEDGER_KEY_FILE=str(key_file))
    )
    assert result.exit_code == 0, result.output
    assert "Integrated 0 leaves; the tree has 3. Signed checkpoint 3" in result.output
