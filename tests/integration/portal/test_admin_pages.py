"""The administrator's pages over the ASGI client without JavaScript: agencies, staff accounts (create, change
the role, deactivate — a deactivated account cannot sign in), service packages uploaded as a zip (checked
file by file, published all or nothing, hostile archives refused) and calendar overrides that move open
cases' due dates. Nobody but an administrator gets in."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.catalog.models import Service
from shaffof.identity.models import Account, Role
from tests.factories import World
from tests.integration.portal.pages import post_form, sign_in
from tests.integration.portal.test_officer_pages import _appeal

SERVICES = Path(__file__).resolve().parents[3] / "services"
PAGES = ["/admin", "/admin/agencies", "/admin/users", "/admin/packages", "/admin/calendar"]


def _zip(files: dict[str, str | bytes], top: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(top + name, content)
    return buffer.getvalue()


def _catalogue(service_yaml: str) -> dict[str, str | bytes]:
    return {
        "agencies.yaml": (SERVICES / "agencies.yaml").read_text(),
        "appeal-to-hokimiyat/service.yaml": service_yaml,
    }


@pytest.mark.parametrize("login", ["alice", "toshhok.head", "auditor"])
def test_only_administrators_get_the_admin_pages(client: TestClient, world: World, login: str) -> None:
    sign_in(client, login)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert 'href="/admin"' not in client.get("/").text


def test_agencies_and_staff_accounts_created_changed_and_deactivated(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    home = client.get("/", params={"lang": "en"})
    assert 'href="/admin">Administration</a>' in home.text
    agencies = client.get("/admin/agencies")
    assert agencies.status_code == 200 and "<td>TOSHHOK</td>" in agencies.text
    page = client.get("/admin/users", params={"lang": "en"})
    assert "toshhok.officer" in page.text
    short = post_form(
        client,
        page,
        "/admin/users",
        {
            "login": "samhok.officer",
            "password": "short",
            "display_name": "Dilnoza Rahimova",
            "role": "officer",
            "agency": "SAMHOK",
        },
    )
    assert short.status_code == 422 and '<a href="#password">' in short.text and 'value="samhok.officer"' in short.text
    assert 'value="short"' not in short.text  # a password is never echoed back
    no_body = post_form(
        client,
        page,
        "/admin/users",
        {"login": "samhok.officer", "password": "a-long-enough-secret", "display_name": "D. R.", "role": "officer"},
    )
    assert no_body.status_code == 422 and '<a href="#agency">' in no_body.text
    created = post_form(
        client,
        page,
        "/admin/users",
        {
            "login": "samhok.officer",
            "password": "a-long-enough-secret",
            "display_name": "Dilnoza Rahimova",
            "role": "officer",
            "agency": "SAMHOK",
        },
    )
    assert created.status_code == 303
    assert sign_in(client, "samhok.officer", "a-long-enough-secret").status_code == 303
    sign_in(client, "admin")
    page = client.get("/admin/users")
    assert post_form(client, page, "/admin/users/role", {"login": "samhok.officer", "role": "head"}).status_code == 303
    own = post_form(client, page, "/admin/users/role", {"login": "admin", "role": "auditor"})
    assert own.status_code == 422 and "your own administrator role" in own.text
    assert post_form(client, page, "/admin/users/active", {"login": "samhok.officer", "active": "0"}).status_code == 303
    with world.platform.db.reading() as session:
        account = session.scalar(sa.select(Account).where(Account.login == "samhok.officer"))
        assert account is not None and account.role is Role.head and not account.is_active
    assert sign_in(client, "samhok.officer", "a-long-enough-secret").status_code != 303  # cannot sign in


def test_a_package_zip_is_checked_file_by_file_and_published_all_or_nothing(client: TestClient, world: World) -> None:
    original = (SERVICES / "appeal-to-hokimiyat" / "service.yaml").read_text()
    sign_in(client, "admin")
    page = client.get("/admin/packages", params={"lang": "en"})

    def upload(data: bytes, action: str = "check") -> str:
        response = post_form(
            client, page, "/admin/packages", {"action": action}, files={"package": ("catalogue.zip", data)}
        )
        assert response.status_code in (200, 422)
        return response.text

    broken = upload(
        _zip(_catalogue(original.replace("agency: TOSHHOK", "agency: NOWHERE")), top="catalogue/"), "publish"
    )
    assert "appeal-to-hokimiyat/service.yaml" in broken and "unknown agency NOWHERE" in broken
    assert "Nothing was published" in broken
    assert "not a zip archive" in upload(b"%PDF-1.7 not a zip")
    assert "outside the archive" in upload(_zip({"../agencies.yaml": "x"}))
    renamed = original.replace("en: Appeal to a hokimiyat", "en: Appeal to the hokimiyat")
    checked = upload(_zip(_catalogue(renamed)))
    assert "No problems found in catalogue.zip" in checked and "appeal-to-hokimiyat" in checked
    with world.platform.db.reading() as session:
        versions = session.scalar(sa.select(sa.func.count()).where(Service.code == "appeal-to-hokimiyat"))
    assert versions == 1  # checking changes nothing
    published = upload(_zip(_catalogue(renamed)), "publish")
    assert "Published" in published and "appeal-to-hokimiyat v2" in published
    catalogue = client.get("/", params={"lang": "en"})
    assert "Appeal to the hokimiyat" in catalogue.text


def test_a_calendar_override_moves_open_cases_due_dates(client: TestClient, world: World) -> None:
    number = _appeal(world)
    before = world.platform.cases.get(world.actors["alice"], number).deadline.due_on
    assert before is not None
    sign_in(client, "admin")
    page = client.get("/admin/calendar", params={"lang": "en", "year": before.year})
    assert page.status_code == 200 and "Add an override" in page.text
    bad = post_form(client, page, "/admin/calendar", {"date": "tomorrow", "kind": "day_off", "reason": ""})
    assert bad.status_code == 422 and '<a href="#date">' in bad.text and '<a href="#reason">' in bad.text
    added = post_form(
        client,
        page,
        "/admin/calendar",
        {"date": before.isoformat(), "kind": "day_off", "reason": "Prezident farmoni bilan dam olish kuni"},
    )
    assert added.status_code == 303 and "moved=1" in added.headers["location"]
    shown = client.get(added.headers["location"])
    assert "deadlines moved: 1" in shown.text and "Prezident farmoni bilan dam olish kuni" in shown.text
    after = world.platform.cases.get(world.actors["alice"], number).deadline.due_on
    assert after is not None and after > before
    twice = post_form(
        client, page, "/admin/calendar", {"date": before.isoformat(), "kind": "day_off", "reason": "Yana bir bor"}
    )
    assert twice.status_code == 422 and "already has an override" in twice.text
