"""The public /transparency page (issue 8 part 5): in uz/ru/en, without JavaScript, it explains how to verify
with the checkpoint alone and checks a pasted receipt against the current checkpoint — also one made against
an earlier checkpoint (then through a consistency proof); a forged proof is refused; unreadable input is an
error linked to its field."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from tests.factories import APPEAL_FORM, World, token


def a_receipt(client: TestClient, world: World) -> tuple[str, dict[str, object]]:
    """Alice's submission receipt against the checkpoint of the moment; then the log grows and is signed again."""
    alice = token(client, "alice")
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    number = client.post("/api/v1/cases", json=body, headers=alice).json()["registration_number"]
    world.platform.ledger.sequence()
    receipt = client.get(f"/api/v1/ledger/receipts/{number}", headers=alice).json()
    event = receipt["events"][0]
    assert event["inclusion"] is not None
    for _ in range(3):
        client.post("/api/v1/cases", json=body, headers=token(client, "bob"))
    world.platform.ledger.sequence()
    return number, event


@pytest.mark.parametrize(("lang", "heading"), [("uz", "Shaffof jurnal"), ("ru", "Прозрачный журнал"), ("en", "log")])
def test_the_page_explains_verification_in_each_language_without_javascript(
    client: TestClient, world: World, lang: str, heading: str
) -> None:
    a_receipt(client, world)
    page = client.get("/transparency", params={"lang": lang})
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text and heading in page.text
    assert "<script" not in page.text and '<main id="main"' in page.text
    assert '<label for="proof">' in page.text and '<label for="leaf_hash">' in page.text
    for call in ("/api/v1/ledger/checkpoint", "/api/v1/ledger/proof/inclusion?leaf_hash=", "/api/v1/ledger/leaves"):
        assert call in page.text
    assert "SHA-256(0x00 ‖ record)" in page.text and "SHA-256(0x01 ‖ left ‖ right)" in page.text
    checkpoint = client.get("/api/v1/ledger/checkpoint").json()
    assert checkpoint["root_hash"] in page.text


def test_a_receipt_from_an_earlier_checkpoint_verifies_against_the_current_one(
    client: TestClient, world: World
) -> None:
    _, event = a_receipt(client, world)
    current = client.get("/api/v1/ledger/checkpoint").json()
    assert event["inclusion"]["tree_size"] < current["tree_size"]  # the log grew since the receipt
    result = client.post("/transparency", data={"lang": "en", "proof": json.dumps(event)})
    assert result.status_code == 200
    assert "The receipt is genuine" in result.text and 'role="status"' in result.text
    assert f"{current['tree_size']} — <code>{current['root_hash']}</code>" in result.text

    proof_only = json.dumps(event["inclusion"])  # the proof, with the leaf hash in its own field
    result = client.post("/transparency", data={"lang": "ru", "proof": proof_only, "leaf_hash": event["leaf_hash"]})
    assert result.status_code == 200 and "Квитанция подлинная" in result.text


def test_a_forged_receipt_does_not_verify(client: TestClient, world: World) -> None:
    _, event = a_receipt(client, world)
    forged = json.loads(json.dumps(event))
    forged["leaf_hash"] = base64.b64encode(bytes(32)).decode()  # another record's hash, same proof
    result = client.post("/transparency", data={"lang": "en", "proof": json.dumps(forged)})
    assert result.status_code == 200 and "The receipt does not verify" in result.text
    assert "The receipt is genuine" not in result.text


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"proof": "{not json"}, "proof"),
        ({"proof": json.dumps({"leaf_index": 0, "tree_size": 1, "audit_path": []})}, "leaf_hash"),
        ({"proof": json.dumps({"leaf_index": 0, "tree_size": 1, "audit_path": []}), "leaf_hash": "abc"}, "leaf_hash"),
        ({"proof": json.dumps({"leaf_hash": base64.b64encode(bytes(32)).decode(), "tree_size": 1})}, "proof"),
    ],
)
def test_unreadable_input_is_an_error_linked_to_its_field(
    client: TestClient, world: World, fields: dict[str, str], field: str
) -> None:
    a_receipt(client, world)
    result = client.post("/transparency", data={"lang": "en", **fields})
    assert result.status_code == 422
    assert f'id="{field}-error"' in result.text and 'aria-invalid="true"' in result.text
