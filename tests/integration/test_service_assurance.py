"""Assurance levels per service (issue 5, part 4) and the portal's sign-in through the identity provider.

A service package declares the level an application needs; a person signed in below it is sent to step up
on the portal and refused over the API with a problem naming the level; nothing is filed meanwhile. The
portal's /login continues to the second factor when the account has one, replaces the session, and portal
sessions end after the idle timeout. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from shaffof.cases.models import Case
from shaffof.catalog.package import ServicePackage
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.web.app import create_app
from shaffof.web.deps import SESSION_COOKIE
from tests.factories import APPEAL_FORM, PASSWORD, World
from tests.integration.portal.pages import csrf, sign_in
from tests.integration.test_oidc import hidden
from tests.integration.test_pki_cloud import Clock

SUBSTANTIAL = "appeal-to-hokimiyat"  # service.yaml: assurance_level: substantial
HIGH = "passport-replacement"  # service.yaml: assurance_level: high


@pytest.fixture
def app_client(settings: Settings, database: Database, world: World) -> Iterator[tuple[TestClient, Clock]]:
    app = create_app(settings.model_copy(update={"enforce_service_assurance": True}), db=database)
    clock = Clock()
    app.state.platform.oidc.clock = clock
    app.state.platform.pki.clock = clock
    with TestClient(app, base_url="https://testserver") as client:
        yield client, clock


def login(client: TestClient, login_name: str, **extra: str) -> Any:
    return client.post("/api/v1/auth/login", json={"login": login_name, "password": PASSWORD, **extra})


def bearer(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def enrol_totp(client: TestClient, clock: Clock, login_name: str) -> pyotp.TOTP:
    headers = bearer(login(client, login_name))
    started = client.post("/api/v1/auth/totp/enrol", headers=headers)
    assert started.status_code in (200, 201), started.text
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"code": totp.at(clock.now)}, headers=headers)
    assert confirmed.status_code in (200, 204), confirmed.text
    clock.step()
    return totp


def case_count(world: World) -> int:
    with world.platform.db.reading() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0


def appeal(client: TestClient, headers: dict[str, str], service: str = SUBSTANTIAL) -> Any:
    body = {"service": service, "agency": "TOSHHOK", "form": APPEAL_FORM, "documents": []}
    return client.post("/api/v1/cases", json=body, headers=headers)


def test_a_package_with_an_unknown_level_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        ServicePackage.model_validate({"assurance_level": "medium"})
    assert any(error["loc"] == ("assurance_level",) for error in refused.value.errors())


def test_the_api_refuses_an_application_below_the_services_level_and_names_it(
    app_client: tuple[TestClient, Clock], world: World
) -> None:
    client, clock = app_client
    before = case_count(world)
    refused = appeal(client, bearer(login(client, "alice")))
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["type"] == "/problems/assurance-too-low"
    assert problem["required_acr"] == "substantial" and problem["current_acr"] == "low"
    assert "'substantial'" in problem["detail"]
    assert case_count(world) == before  # nothing filed

    totp = enrol_totp(client, clock, "alice")
    wrong = login(client, "alice", second_factor=f"{(int(totp.at(clock.now)) + 1) % 1_000_000:06d}")
    assert wrong.status_code in (401, 403), wrong.text
    assert "access_token" not in wrong.json()
    stronger = bearer(login(client, "alice", second_factor=totp.at(clock.now)))
    clock.step()
    filed = appeal(client, stronger)
    assert filed.status_code == 201, filed.text
    # A service at 'high' needs the signature step on top: the problem names it.
    higher = appeal(client, stronger, HIGH)
    assert higher.status_code == 403 and higher.json()["required_acr"] == "high", higher.text
    assert case_count(world) == before + 1


def test_the_portal_sends_a_person_below_the_level_to_step_up_and_back(
    app_client: tuple[TestClient, Clock], world: World
) -> None:
    client = app_client[0]
    page = client.get(f"/services/{SUBSTANTIAL}")
    assert page.status_code == 200 and "Parol va ikkinchi omil" in page.text  # the level, on the service page

    assert sign_in(client, "bob").status_code == 303  # bob has no second factor: a password session
    apply = client.get(f"/services/{SUBSTANTIAL}/apply", follow_redirects=False)
    assert apply.status_code == 303
    assert apply.headers["location"].startswith("/oauth/sign-in?level=substantial&next=%2Fservices%2F")
    # Posting the form anyway is refused with a page naming the level; nothing is filed.
    before = case_count(world)
    account = client.get("/account")
    submit = client.post(
        f"/services/{SUBSTANTIAL}/submit",
        data={"csrf_token": csrf(account), "payload": "{}"},
        follow_redirects=False,
    )
    assert submit.status_code == 403 and "substantial" in submit.text
    assert case_count(world) == before


def test_portal_sign_in_continues_to_the_second_factor_and_replaces_the_session(
    app_client: tuple[TestClient, Clock], world: World
) -> None:
    client, clock = app_client
    totp = enrol_totp(client, clock, "alice")
    assert sign_in(client, "bob").status_code == 303
    earlier = client.cookies.get(SESSION_COOKIE)

    signed = sign_in(client, "alice")
    assert signed.status_code == 303
    assert signed.headers["location"].startswith("/oauth/sign-in?level=substantial&next=%2Fcases")
    assert client.cookies.get(SESSION_COOKIE) != earlier
    stale = TestClient(client.app, base_url="https://testserver", cookies={SESSION_COOKIE: earlier or ""})
    assert stale.get("/account", follow_redirects=False).status_code == 303  # the old session ended

    step = client.get(signed.headers["location"])
    assert 'name="step" value="second_factor"' in step.text
    fields = {name: hidden(step.text, name) for name in ("csrf", "step", "next", "level", "since", "lang")}
    done = client.post("/oauth/sign-in", data={**fields, "code": totp.at(clock.now)}, follow_redirects=True)
    assert done.status_code == 200 and done.url.path == "/cases"
    apply = client.get(f"/services/{SUBSTANTIAL}/apply", follow_redirects=False)
    assert apply.status_code == 200  # at 'substantial' now: the form itself
    account = client.get("/account")
    assert "yetarli" in account.text  # this browser's level, in Uzbek
    assert "Ikkinchi omil tasdiqlandi" in account.text  # the step-up is in the security log


def test_portal_sessions_end_after_the_idle_timeout(app_client: tuple[TestClient, Clock], world: World) -> None:
    client, clock = app_client
    assert sign_in(client, "alice").status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 200
    clock.step(29 * 60)
    assert client.get("/account", follow_redirects=False).status_code == 200  # used: the idle clock restarts
    clock.step(29 * 60)
    assert client.get("/account", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 200  # the API's cookie sessions: the same session
    clock.step(31 * 60)
    gone = client.get("/account", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    assert client.get("/api/v1/auth/me").status_code == 401
