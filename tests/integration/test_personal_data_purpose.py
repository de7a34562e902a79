"""Destruction when the purpose is achieved (ZRU-547 Art. 17) and the administration of the mediator's access
policies (API and console), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.cli.main import app as cli
from shaffof.db.engine import Database
from shaffof.ledger.models import LeafKind, LedgerEntry
from shaffof.mediator.models import AccessPolicy, LoggingLevel, MessageLogEntry, PolicyChange
from shaffof.mediator.policies import Operator
from shaffof.mediator.schemas import PolicyUpdate
from shaffof.privacy.models import Tombstone
from tests.conftest import TEST_SECRET
from tests.factories import APPEAL_FORM, World, token
from tests.integration import registry_data
from tests.integration.registry_data import ALICE_ADDRESS


@pytest.fixture
def people(world: World) -> dict[str, str]:
    return registry_data.load(world)


def _policy_id(world: World, consumer: str, registry: str, service: str, purpose: str) -> int:
    with world.platform.db.reading() as session:
        found = session.scalar(
            sa.select(AccessPolicy.id).where(
                AccessPolicy.consumer_agency_id == world.agencies[consumer],
                AccessPolicy.registry_code == registry,
                AccessPolicy.service == service,
                AccessPolicy.purpose == purpose,
            )
        )
    assert found is not None
    return found


def _file_case(client: TestClient) -> str:
    case = client.post(
        "/api/v1/cases",
        json={"service": "appeal-to-hokimiyat", "agency": "TOSHHOK", "form": APPEAL_FORM},
        headers=token(client, "alice"),
    )
    assert case.status_code == 201, case.text
    number: str = case.json()["registration_number"]
    return number


def _lookup(client: TestClient, subject: str, **extra: Any) -> int:
    response = client.post(
        "/api/v1/registries/population/address/lookup",
        json={"subject": subject, "purpose": "appeal-handling", "categories": ["identity", "address"], **extra},
        headers=token(client, "toshhok.officer"),
    )
    assert response.status_code == 200, response.text
    message_id: int = response.json()["message_id"]
    return message_id


def _content(world: World, message_id: int) -> str | None:
    with world.platform.db.reading() as session:
        entry = session.get(MessageLogEntry, message_id)
        assert entry is not None and entry.response_digest is not None  # digests always stay
        return entry.content_encrypted


def test_data_obtained_for_a_case_is_destroyed_when_the_case_is_closed_and_its_contest_period_over(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    platform = world.platform
    policy = _policy_id(world, "TOSHHOK", "population", "address", "appeal-handling")
    platform.policies.change(
        Operator("console:test"), policy, PolicyUpdate(logging=LoggingLevel.full, reason="Keep content for audits.")
    )
    closing, staying = _file_case(client), _file_case(client)
    for_closing = _lookup(client, people["alice"], case=closing)
    for_staying = _lookup(client, people["alice"], case=staying)
    outside = _lookup(client, people["bob"], reason="Checking the address named in a neighbour's complaint")
    assert all(_content(world, m) is not None for m in (for_closing, for_staying, outside))

    assert platform.destroy_purpose_achieved().destroyed == 0  # open cases: the purpose is not achieved
    officer = token(client, world.assignee(closing))
    assert client.post(f"/api/v1/officer/cases/{closing}/take", headers=officer, json={}).status_code == 200
    decided = client.post(
        f"/api/v1/officer/cases/{closing}/decide", headers=officer, json={"outcome": "approved", "reason": "Bajarildi."}
    )
    assert decided.status_code == 200, decided.text
    closed = client.post(f"/api/v1/officer/cases/{closing}/close", headers=officer, json={"reason": "Javob berildi."})
    assert closed.status_code == 200, closed.text
    assert platform.destroy_purpose_achieved().destroyed == 0  # closed, but it can still be contested

    now = dt.datetime.now(dt.UTC)
    platform.mediator.clock = lambda: now + dt.timedelta(days=364)
    assert platform.destroy_purpose_achieved().destroyed == 0
    platform.mediator.clock = lambda: now + dt.timedelta(days=366)  # ZRU-445 Art. 22: a year to contest
    report = platform.destroy_purpose_achieved()
    assert (report.destroyed, report.cases) == (2, 1)
    assert _content(world, for_closing) is None and _content(world, outside) is None
    assert _content(world, for_staying) is not None  # its case is still open
    assert platform.destroy_purpose_achieved().destroyed == 0  # nothing twice

    destroyed = client.get("/api/v1/me/destroyed", headers=token(client, "alice")).json()
    assert [d["what"] for d in destroyed] == [f"mediator_messages.content_encrypted id={for_closing}"]
    assert closing in destroyed[0]["reason"] and "ZRU-445 Art. 22" in destroyed[0]["reason"]
    assert destroyed[0]["citation"]["law"] == "ZRU-547" and destroyed[0]["citation"]["article"] == "17"
    assert set(destroyed[0]["categories"]) == {"identity", "address"}
    assert ALICE_ADDRESS["street"] not in json.dumps(destroyed)
    bobs = client.get("/api/v1/me/destroyed", headers=token(client, "bob")).json()
    assert len(bobs) == 1 and "outside any case" in bobs[0]["reason"]
    with platform.db.reading() as session:
        tombstones = session.scalars(sa.select(Tombstone)).all()
        leaves = set(
            session.scalars(
                sa.select(LedgerEntry.leaf_hash).where(LedgerEntry.kind == LeafKind.personal_data_tombstone)
            )
        )
    assert len(tombstones) == 2 and {t.leaf_hash for t in tombstones} == leaves
    assert all(t.authority_account_id is None for t in tombstones)  # the worker, on the law's own terms


def test_a_decision_under_review_keeps_its_data(client: TestClient, world: World, people: dict[str, str]) -> None:
    platform = world.platform
    policy = _policy_id(world, "TOSHHOK", "population", "address", "appeal-handling")
    platform.policies.change(
        Operator("console:test"), policy, PolicyUpdate(logging=LoggingLevel.full, reason="Keep content for audits.")
    )
    number = _file_case(client)
    message = _lookup(client, people["alice"], case=number)
    officer = token(client, world.assignee(number))
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer, json={})
    client.post(
        f"/api/v1/officer/cases/{number}/decide", headers=officer, json={"outcome": "rejected", "reason": "Yoʻq."}
    )
    assert (
        client.post(f"/api/v1/officer/cases/{number}/close", headers=officer, json={"reason": "Javob."}).status_code
        == 200
    )
    contested = client.post(
        f"/api/v1/cases/{number}/contest", json={"reason": "Qaror asossiz."}, headers=token(client, "alice")
    )
    assert contested.status_code in (200, 201), contested.text
    platform.mediator.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    assert platform.destroy_purpose_achieved().destroyed == 0  # the review is open: the purpose is not achieved
    assert _content(world, message) is not None


NEW_POLICY: dict[str, Any] = {
    "consumer": "SOLIQ",
    "registry": "population",
    "service": "address",
    "purpose": "tax-registration",
    "categories": ["address"],
    "legal_ground": "legal_obligation",
    "reason": "Tax registration needs the taxpayer's address.",
}


def _admin(client: TestClient) -> dict[str, str]:
    return token(client, "admin")


def test_an_administrator_adds_changes_and_revokes_a_policy_each_change_logged_with_who_and_why(
    client: TestClient, world: World, people: dict[str, str]
) -> None:
    admin = _admin(client)
    body = dict(NEW_POLICY)
    lookup = {
        "subject": people["alice"],
        "purpose": "tax-registration",
        "categories": ["address"],
        "reason": "Checking a taxpayer's address",
    }
    soliq = token(client, "soliq.officer")
    before = client.post("/api/v1/registries/population/address/lookup", json=lookup, headers=soliq)
    assert before.status_code == 403 and before.json()["type"] == "/problems/no-access-policy"  # deny by default

    added = client.post("/api/v1/mediator/policies", json=body, headers=admin)
    assert added.status_code == 201, added.text
    policy = added.json()
    assert policy["active"] and policy["logging"] == "metadata" and policy["citation"]["law"] == "ZRU-395"
    again = client.post("/api/v1/mediator/policies", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["errors"][0]["path"] == "purpose"
    served = client.post("/api/v1/registries/population/address/lookup", json=lookup, headers=soliq)
    assert served.status_code == 200, served.text

    changed = client.patch(
        f"/api/v1/mediator/policies/{policy['id']}",
        json={"categories": ["identity", "address"], "reason": "The registration names the taxpayer too."},
        headers=admin,
    )
    assert changed.status_code == 200 and changed.json()["categories"] == ["address", "identity"]
    revoked = client.post(
        f"/api/v1/mediator/policies/{policy['id']}/revoke",
        json={"reason": "Registration moved to the business registry."},
        headers=admin,
    )
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    refused = client.post("/api/v1/registries/population/address/lookup", json=lookup, headers=soliq)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/no-access-policy"  # revoked

    history = client.get(f"/api/v1/mediator/policies/{policy['id']}/changes", headers=token(client, "auditor")).json()
    assert [(h["action"], h["reason"]) for h in history] == [
        ("added", "Tax registration needs the taxpayer's address."),
        ("changed", "The registration names the taxpayer too."),
        ("revoked", "Registration moved to the business registry."),
    ]
    assert all(h["operator"].startswith(f"account:{world.actors['admin'].account_id} ") for h in history)
    assert history[1]["before"]["categories"] == ["address"] and history[1]["after"]["categories"] == [
        "address",
        "identity",
    ]
    assert history[2]["before"]["active"] is True and history[2]["after"]["active"] is False
    listed = client.get("/api/v1/mediator/policies", headers=admin).json()
    assert any(p["id"] == policy["id"] and not p["active"] for p in listed)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"consumer": "NOBODY"}, "consumer"),
        ({"registry": "weather"}, "registry"),
        ({"service": "shoe-size"}, "service"),
        ({"categories": ["property"]}, "categories"),
        ({"categories": []}, "categories"),
        ({"legal_ground": "whim"}, "legal_ground"),
        ({"logging": "everything"}, "logging"),
        ({"reason": ""}, "reason"),
        ({"purpose": " "}, "purpose"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field_and_changes_nothing(
    client: TestClient, world: World, people: dict[str, str], change: dict[str, Any], path: str
) -> None:
    body = {**NEW_POLICY, **change}
    with world.platform.db.reading() as session:
        before = session.scalar(sa.select(sa.func.count()).select_from(AccessPolicy))
    response = client.post("/api/v1/mediator/policies", json=body, headers=_admin(client))
    assert response.status_code == 422, response.text
    assert any(e["path"].split("/")[-1] == path for e in response.json()["errors"]), response.json()
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AccessPolicy)) == before
        assert session.scalar(sa.select(sa.func.count()).select_from(PolicyChange)) == 0


def test_only_administrators_change_policies(client: TestClient, world: World, people: dict[str, str]) -> None:
    policy = _policy_id(world, "TOSHHOK", "population", "address", "appeal-handling")
    for login in ("toshhok.officer", "auditor", "alice"):
        response = client.post(
            f"/api/v1/mediator/policies/{policy}/revoke",
            json={"reason": "No longer needed here."},
            headers=token(client, login),
        )
        assert response.status_code == 403, (login, response.text)
    assert client.get("/api/v1/mediator/policies", headers=token(client, "alice")).status_code == 403
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(AccessPolicy.active).where(AccessPolicy.id == policy)) is True


def _run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_policies_from_the_console_with_the_reason_and_the_console_user(
    database: Database, world: World, people: dict[str, str], tmp_path: Path
) -> None:
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SECRET_KEY": TEST_SECRET,
    }
    bad = _run(
        env, "mediator", "policy-add", "SOLIQ", "population", "address", "tax-registration",
        "--categories", "property", "--reason", "Tax registration needs it.", code=1,
    )  # fmt: skip
    assert "categories" in bad
    short = _run(
        env, "mediator", "policy-add", "SOLIQ", "population", "address", "tax-registration",
        "--categories", "address", code=1,
    )  # fmt: skip
    assert "reason" in short
    added = _run(
        env, "mediator", "policy-add", "SOLIQ", "population", "address", "tax-registration",
        "--categories", "address", "--reason", "Tax registration needs the address.",
    )  # fmt: skip
    found = re.search(r"^Policy (\d+): SOLIQ population/address 'tax-registration'", added, re.M)
    assert found is not None, added
    policy_id = int(found.group(1))
    _run(env, "mediator", "policy-change", str(policy_id), "--logging", "full", "--reason", "Audit of registrations.")
    _run(env, "mediator", "policy-revoke", str(policy_id), "--reason", "Registration moved to the business registry.")
    assert "revoked" in _run(env, "mediator", "policy-revoke", str(policy_id), "--reason", "Again, by mistake.", code=1)
    history = _run(env, "mediator", "policy-history", str(policy_id))
    actions = re.findall(r"^\d{4}-\d\d-\d\d \S+ (\w+) +console:\S+: ", history, re.M)
    assert actions == ["added", "changed", "revoked"], history
    assert "console:" in history and "Registration moved to the business registry." in history
    assert f"{policy_id:>4} SOLIQ" in _run(env, "mediator", "policies") and "(revoked)" in _run(
        env, "mediator", "policies"
    )
