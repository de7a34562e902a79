"""Account security and the inbox: the account sees where it is signed in and can end a sign-in (someone
else's cannot be touched); notices are listed and marked read."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.cases.schemas import CaseSubmit
from shaffof.identity.models import AuthToken
from tests.factories import APPEAL_FORM, PASSWORD, World
from tests.integration.portal.pages import post_form, sign_in


def test_an_account_ends_one_of_its_sign_ins_and_that_token_stops_working(client: TestClient, world: World) -> None:
    api = client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD, "label": "my script"})
    bearer = {"Authorization": f"Bearer {api.json()['access_token']}"}
    sign_in(client, "alice")
    page = client.get("/account", params={"lang": "en"})
    assert page.status_code == 200 and "this browser" in page.text and "API token (my script)" in page.text
    token_row = re.search(r'action="/account/sign-ins/(\d+)/end"', page.text.split("API token (my script)")[1])
    assert token_row
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    ended = post_form(client, page, f"/account/sign-ins/{token_row.group(1)}/end", {})
    assert ended.status_code == 303
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert "API token (my script)" not in client.get("/account").text
    assert "this browser" in client.get("/account").text  # the page's own session goes on


def test_someone_elses_sign_in_cannot_be_ended(client: TestClient, world: World) -> None:
    bob = client.post("/api/v1/auth/login", json={"login": "bob", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {bob.json()['access_token']}"}
    with world.platform.db.reading() as session:
        bobs_token = session.scalar(
            sa.select(AuthToken.id).where(AuthToken.account_id == world.actors["bob"].account_id)
        )
    sign_in(client, "alice")
    page = client.get("/account")
    assert f"/account/sign-ins/{bobs_token}/end" not in page.text
    refused = post_form(client, page, f"/account/sign-ins/{bobs_token}/end", {})
    assert refused.status_code == 404
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200


def test_the_inbox_lists_notices_and_marks_them_read(client: TestClient, world: World) -> None:
    world.platform.cases.submit(
        world.actors["alice"], CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
    )
    sign_in(client, "alice")
    inbox = client.get("/inbox", params={"lang": "en"})
    assert inbox.status_code == 200 and inbox.text.count('class="unread"') == 1
    match = re.search(r'action="(/inbox/\d+/read)"', inbox.text)
    assert match and 'href="/cases/TOSHHOK-' in inbox.text
    assert post_form(client, inbox, match.group(1), {}).status_code == 303
    assert 'class="unread"' not in client.get("/inbox").text
