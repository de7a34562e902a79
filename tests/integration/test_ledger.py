"""The transparency log over the API, on SQLite and PostgreSQL: a citizen's receipt verifies offline with
nothing but the checkpoint, the log's public key and the proof; monitors rebuild the tree from the leaves."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient

from shaffof.cases.models import Case, CaseEvent
from shaffof.cases.schemas import CaseSubmit
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.ledger.keys import generate_key_file
from shaffof.ledger.models import LeafKind, LedgerEntry
from shaffof.platform import Platform
from shaffof.web.app import create_app
from tests.factories import APPEAL_FORM, PDF, World, token
from tests.unit.ledger import rfc9162


def submit_appeal(client: TestClient, headers: dict[str, str], **extra: object) -> str:
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM, **extra}
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    number: str = response.json()["registration_number"]
    return number


def verify_checkpoint_offline(checkpoint: dict[str, Any], public_pem: str) -> bytes:
    """What any outsider does: rebuild the signed text from the checkpoint's fields, check the signature
    with the published key. Returns the root hash the checkpoint vouches for."""
    key = load_pem_public_key(public_pem.encode())
    assert isinstance(key, Ed25519PublicKey)
    text = (
        f"{checkpoint['origin']}\n{checkpoint['tree_size']}\n{checkpoint['root_hash']}\n"
        f"timestamp {checkpoint['timestamp_ms']}\n"
    )
    key.verify(base64.b64decode(checkpoint["signature"]), text.encode())  # raises if it does not verify
    return base64.b64decode(checkpoint["root_hash"])


def test_a_citizens_receipt_verifies_offline_against_a_checkpoint_and_a_later_one(
    client: TestClient, world: World
) -> None:
    alice = token(client, "alice")
    upload = client.post("/api/v1/uploads", files={"file": ("street.pdf", PDF, "application/pdf")}, headers=alice)
    number = submit_appeal(
        client, alice, documents=[{"upload_id": upload.json()["id"], "document_type": "supporting_file"}]
    )
    world.platform.ledger.sequence()  # the app's own sequencer thread may have done it already

    receipt = client.get(f"/api/v1/ledger/receipts/{number}", headers=alice)
    assert receipt.status_code == 200, receipt.text
    public_pem = client.get("/api/v1/ledger/public-key").text
    body = receipt.json()
    root = verify_checkpoint_offline(body["checkpoint"], public_pem)
    size = body["checkpoint"]["tree_size"]
    assert [event["seq"] for event in body["events"]] == [1, 2, 3]  # submitted, registered, assigned
    for event in body["events"]:
        proof = event["inclusion"]
        assert proof["tree_size"] == size
        path = [base64.b64decode(p) for p in proof["audit_path"]]
        leaf = base64.b64decode(event["leaf_hash"])
        assert rfc9162.verify_inclusion(leaf, proof["leaf_index"], size, path, root)

    # The log grows; the old receipt's checkpoint is a prefix of the new one, and the leaf is still there.
    submit_appeal(client, token(client, "bob"))
    world.platform.ledger.sequence()
    later = client.get("/api/v1/ledger/checkpoint").json()
    later_root = verify_checkpoint_offline(later, public_pem)
    assert later["tree_size"] == size + 3
    consistency = client.get("/api/v1/ledger/proof/consistency", params={"first": size, "second": later["tree_size"]})
    assert consistency.status_code == 200, consistency.text
    hashes = [base64.b64decode(p) for p in consistency.json()["consistency"]]
    assert rfc9162.verify_consistency(size, later["tree_size"], root, later_root, hashes)
    first_leaf = body["events"][0]["leaf_hash"]
    inclusion = client.get(
        "/api/v1/ledger/proof/inclusion", params={"leaf_hash": first_leaf, "tree_size": later["tree_size"]}
    ).json()
    assert rfc9162.verify_inclusion(
        base64.b64decode(first_leaf),
        inclusion["leaf_index"],
        later["tree_size"],
        [base64.b64decode(p) for p in inclusion["audit_path"]],
        later_root,
    )


def test_a_monitor_rebuilds_the_tree_from_the_leaf_hashes(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    for _ in range(3):
        submit_appeal(client, alice)
    world.platform.ledger.sequence()
    checkpoint = client.get("/api/v1/ledger/checkpoint").json()
    leaves: list[bytes] = []
    while len(leaves) < checkpoint["tree_size"]:
        page = client.get("/api/v1/ledger/leaves", params={"start": len(leaves), "end": len(leaves) + 1})
        assert page.status_code == 200, page.text
        assert page.json()["start"] == len(leaves)
        leaves += [base64.b64decode(h) for h in page.json()["leaf_hashes"]]
    assert len(leaves) == checkpoint["tree_size"] == 9  # submitted, registered, assigned: three cases
    assert rfc9162.mth(leaves) == base64.b64decode(checkpoint["root_hash"])
    # Asking past the end gives what there is, never more.
    tail = client.get("/api/v1/ledger/leaves", params={"start": 4, "end": 10_000}).json()
    assert tail["end"] == 8 and len(tail["leaf_hashes"]) == 5
    history = client.get("/api/v1/ledger/checkpoints").json()
    assert history[0] == checkpoint
    public_pem = client.get("/api/v1/ledger/public-key").text
    for earlier in history:
        verify_checkpoint_offline(earlier, public_pem)
    status = client.get("/api/v1/ledger/status").json()
    assert status["tree_size"] == 9 and status["signing"] == "ok"
    assert status["checkpoint_tree_size"] == 9 and status["checkpoint_age_seconds"] >= 0


def test_the_checkpoint_note_is_a_c2sp_signed_note(client: TestClient, world: World) -> None:
    submit_appeal(client, token(client, "alice"))
    world.platform.ledger.sequence()
    checkpoint = client.get("/api/v1/ledger/checkpoint").json()
    text, _, signature_line = checkpoint["note"].rpartition("\n\n")
    assert text.split("\n") == [
        checkpoint["origin"],
        str(checkpoint["tree_size"]),
        checkpoint["root_hash"],
        f"timestamp {checkpoint['timestamp_ms']}",
    ]
    assert signature_line.startswith(f"\u2014 {checkpoint['origin']} ")
    signature = base64.b64decode(signature_line.split(" ")[2])[4:]
    assert base64.b64encode(signature).decode() == checkpoint["signature"]


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{kind}", body
    return body


def test_bad_ledger_requests_are_problems_that_say_what_to_do(client: TestClient, world: World) -> None:
    problem(client.get("/api/v1/ledger/checkpoint"), 404, "no-checkpoint-yet")
    submit_appeal(client, token(client, "alice"))
    world.platform.ledger.sequence()
    size = client.get("/api/v1/ledger/checkpoint").json()["tree_size"]
    some_hash = base64.b64encode(rfc9162.hash_leaf(b"never logged")).decode()
    too_big = problem(
        client.get("/api/v1/ledger/proof/inclusion", params={"leaf_hash": some_hash, "tree_size": size + 1}),
        422,
        "tree-size-out-of-range",
    )
    assert f"between 1 and {size}" in too_big["detail"]
    problem(
        client.get("/api/v1/ledger/proof/inclusion", params={"leaf_hash": some_hash, "tree_size": size}),
        404,
        "leaf-not-found",
    )
    bad = problem(
        client.get("/api/v1/ledger/proof/inclusion", params={"leaf_hash": "bm90IGEgaGFzaA==", "tree_size": 1}),
        422,
        "hash-invalid",
    )
    assert bad["errors"] == [{"path": "query/leaf_hash", "message": "not a base64 SHA-256 hash"}]
    problem(
        client.get("/api/v1/ledger/proof/consistency", params={"first": 2, "second": 1}), 422, "tree-size-out-of-range"
    )
    problem(client.get("/api/v1/ledger/leaves", params={"start": size, "end": size}), 422, "leaf-range-invalid")
    problem(client.get("/api/v1/ledger/leaves", params={"start": 1, "end": 0}), 422, "leaf-range-invalid")
    assert client.get("/api/v1/ledger/leaves", params={"start": -1, "end": 0}).status_code == 422


def test_a_receipt_is_shown_only_to_whoever_may_read_the_case(client: TestClient, world: World) -> None:
    number = submit_appeal(client, token(client, "alice"))
    url = f"/api/v1/ledger/receipts/{number}"
    problem(client.get(url), 401, "unauthenticated")
    problem(client.get(url, headers=token(client, "bob")), 404, "case-not-found")
    problem(client.get(url, headers=token(client, "toshhok.officer")), 403, "case-of-another-agency")
    assert client.get(url, headers=token(client, "yunushok.officer")).status_code == 200
    assert client.get(url, headers=token(client, "auditor")).status_code == 200
    problem(
        client.get("/api/v1/ledger/receipts/YUNUSHOK-2026-999999", headers=token(client, "alice")),
        404,
        "case-not-found",
    )


def test_every_case_event_commits_with_its_leaf_or_not_at_all(world: World, database: Database) -> None:
    cases, alice = world.platform.cases, world.actors["alice"]
    command = CaseSubmit(service="appeal-to-hokimiyat", agency="YUNUSHOK", form=APPEAL_FORM)
    number = cases.submit(alice, command).case.registration_number
    cases.take(world.actors["yunushok.officer"], number)
    # A submission whose transaction fails late leaves neither events nor leaves.
    with database.uow() as uow:
        cases.submit(alice, command, uow=uow)  # never committed
    with database.reading() as session:
        events = session.execute(sa.select(CaseEvent.agency_id, CaseEvent.case_id, CaseEvent.seq)).all()
        leaves = session.execute(
            sa.select(LedgerEntry.agency_id, LedgerEntry.case_id, LedgerEntry.event_seq).where(
                LedgerEntry.kind == LeafKind.case_event
            )
        ).all()
        assert sorted(events) == sorted(leaves) and len(events) == 4
        # The officer's take also read the applicant's case: one access record, one more leaf (issue 6).
        kinds = session.scalars(sa.select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
        assert kinds == [LeafKind.case_event] * 4 + [LeafKind.access_record]
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    # Before the sequencer runs the receipt has the leaf hashes but no index or proof yet.
    receipt = world.platform.ledger.case_receipt(alice, number)
    assert receipt.checkpoint is None
    assert [(e.seq, e.leaf_index, e.inclusion) for e in receipt.events] == [
        (1, None, None),
        (2, None, None),
        (3, None, None),
        (4, None, None),
    ]
    world.platform.ledger.sequence()
    receipt = world.platform.ledger.case_receipt(alice, number)
    assert receipt.checkpoint is not None and receipt.checkpoint.tree_size == 5  # 4 events, 1 access record
    assert sorted(e.leaf_index for e in receipt.events if e.leaf_index is not None) == [0, 1, 2, 3]
    assert all(e.inclusion is not None for e in receipt.events)


def test_without_its_key_the_log_records_everything_and_signs_nothing_until_the_key_is_back(
    settings: Settings, database: Database, world: World, tmp_path: Path
) -> None:
    key_file = tmp_path / "log-key.pem"
    broken = settings.model_copy(update={"ledger_key_file": key_file})
    app = create_app(broken, db=database)
    with TestClient(app, base_url="https://testserver") as client:
        alice = token(client, "alice")
        number = submit_appeal(client, alice)  # the work is acknowledged: its leaves are written with it
        platform: Platform = app.state.platform
        report = platform.ledger.sequence()
        assert report.checkpoint is None and report.unsigned
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text  # the platform stays ready; only checkpoints lag
        status = client.get("/api/v1/ledger/status").json()
        assert status["tree_size"] == 3 and status["checkpoint_tree_size"] is None
        assert "cannot be read" in status["signing"]
        problem(client.get("/api/v1/ledger/public-key"), 503, "log-key-unavailable")
        problem(client.get("/api/v1/ledger/checkpoint"), 404, "no-checkpoint-yet")
        events = client.get(f"/api/v1/ledger/receipts/{number}", headers=alice).json()["events"]
        assert [(e["leaf_index"] is not None, e["inclusion"]) for e in events] == [(True, None)] * 3
    # The operator restores the key: the next run signs a checkpoint covering everything recorded meanwhile.
    generate_key_file(key_file)
    restored = Platform.build(broken, database)
    report = restored.ledger.sequence()
    assert report.checkpoint is not None and report.checkpoint.tree_size == 3
    public_key = restored.ledger.public_key()
    assert public_key is not None and report.checkpoint.verify(public_key)


def test_the_served_app_sequences_and_signs_by_itself_within_a_second_or_so(client: TestClient, world: World) -> None:
    number = submit_appeal(client, token(client, "alice"))
    deadline = time.monotonic() + 10
    checkpoint = client.get("/api/v1/ledger/checkpoint")
    while checkpoint.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        checkpoint = client.get("/api/v1/ledger/checkpoint")
    assert checkpoint.status_code == 200, "the app's sequencer thread signed no checkpoint within 10 s"
    assert checkpoint.json()["tree_size"] == 3  # submitted, registered, assigned
    events = client.get(f"/api/v1/ledger/receipts/{number}", headers=token(client, "alice")).json()["events"]
    assert all(event["inclusion"] is not None for event in events)
