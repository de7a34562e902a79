"""Authorization is decided in the domain: citizens see their own cases, officers their agency's."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from shaffof.identity import pinfl
from tests.factories import APPEAL_FORM, PASSWORD, World, token


def file_appeal(client: TestClient, headers: dict[str, str]) -> str:
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["registration_number"])


def test_a_citizen_cannot_see_or_act_on_another_citizens_case(client: TestClient, world: World) -> None:
    number = file_appeal(client, token(client, "alice"))
    bob = token(client, "bob")
    for path in ("", "/timeline", "/documents"):
        response = client.get(f"/api/v1/cases/{number}{path}", headers=bob)
        assert response.status_code == 404, path  # not even its existence is revealed
        assert response.json()["detail"] == f"You have no case with the number {number}."
    assert client.post(f"/api/v1/cases/{number}/respond", json={"message": "x"}, headers=bob).status_code == 404
    assert client.get("/api/v1/cases", headers=bob).json() == []


def test_an_officer_of_another_agency_is_refused(client: TestClient, world: World) -> None:
    number = file_appeal(client, token(client, "alice"))
    adliya = token(client, "adliya.officer")
    response = client.get(f"/api/v1/cases/{number}", headers=adliya)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/case-of-another-agency"
    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=adliya).status_code == 403
    assert number not in [c["registration_number"] for c in client.get("/api/v1/officer/queue", headers=adliya).json()]


def test_only_the_assigned_officer_or_the_head_decides(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    body = {
        "service": "general-ariza",
        "agency": "TOSHHOK",
        "form": {
            "subject": "Avtobus qatnovi",
            "text": "36-yo'nalish avtobuslari kechqurun qatnamaydi, iltimos tekshiring.",
        },
    }
    number = client.post("/api/v1/cases", json=body, headers=alice).json()["registration_number"]
    # Fair assignment routes the case to one of the two officers; the other is "second".
    assignee = world.assignee(number)
    other = "toshhok.officer2" if assignee == "toshhok.officer" else "toshhok.officer"
    first, second, head = (token(client, n) for n in (assignee, other, "toshhok.head"))
    decision = {"outcome": "approved", "reason": "Qatnov jadvali tiklandi"}
    untaken = client.post(f"/api/v1/officer/cases/{number}/decide", json=decision, headers=second)
    assert untaken.status_code == 403 and "take it before" in untaken.json()["detail"]
    not_started = client.post(f"/api/v1/officer/cases/{number}/decide", json=decision, headers=first)
    assert not_started.status_code == 409  # the assignee starts the review (take) before deciding
    client.post(f"/api/v1/officer/cases/{number}/take", headers=first)
    refused = client.post(f"/api/v1/officer/cases/{number}/decide", json=decision, headers=second)
    assert refused.status_code == 403 and "not assigned to you" in refused.json()["detail"]
    assert client.post(f"/api/v1/officer/cases/{number}/decide", json=decision, headers=head).status_code == 200


def test_citizens_have_no_queue_and_officers_cannot_file(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/officer/queue", headers=token(client, "alice")).status_code == 403
    body = {
        "service": "general-ariza",
        "form": {"subject": "Sinov", "text": "Bu xodim nomidan yuborilgan murojaat."},
    }
    assert client.post("/api/v1/cases", json=body, headers=token(client, "toshhok.officer")).status_code == 403


def test_the_auditor_reads_every_case_and_changes_none(client: TestClient, world: World) -> None:
    number = file_appeal(client, token(client, "alice"))
    auditor = token(client, "auditor")
    assert client.get(f"/api/v1/cases/{number}/timeline", headers=auditor).status_code == 200
    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=auditor).status_code == 403


def test_requests_without_valid_credentials_are_401(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/cases", headers={"Authorization": "Basic YWxpY2U6eA=="}).status_code == 401


def test_logout_revokes_the_token(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    assert client.post("/api/v1/auth/logout", headers=alice).status_code == 204
    assert client.get("/api/v1/auth/me", headers=alice).status_code == 401


def test_login_is_throttled_after_repeated_failures(client: TestClient, world: World, settings) -> None:
    for _ in range(settings.login_max_failures):
        wrong = client.post("/api/v1/auth/login", json={"login": "bob", "password": "wrong password"})
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == "The login or the password is wrong."
    blocked = client.post("/api/v1/auth/login", json={"login": "bob", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) == settings.login_failure_window_seconds
    # Another login is not affected.
    assert client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD}).status_code == 200


def test_unknown_login_and_wrong_password_look_the_same(client: TestClient, world: World) -> None:
    unknown = client.post("/api/v1/auth/login", json={"login": "nobody", "password": "whatever-it-is"})
    wrong = client.post("/api/v1/auth/login", json={"login": "alice", "password": "whatever-it-is"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_browser_session_cookie_is_secure_and_unsafe_requests_need_the_csrf_token(
    client: TestClient, world: World
) -> None:
    login = client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD, "mode": "session"})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert "access_token" not in login.json()
    csrf = login.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").json()["display_name"] == "Aziza Karimova"
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    refused = client.post("/api/v1/cases", json=body)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/csrf-rejected"
    assert client.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_only_administrators_enrol_persons(client: TestClient, world: World) -> None:
    body = {
        "pinfl": "31403902610171",
        "last_name": "Aliyev",
        "first_name": "Vali",
        "password": "a-long-password-1",
    }
    assert client.post("/api/v1/admin/persons", json=body, headers=token(client, "toshhok.head")).status_code == 403
    body["pinfl"] = pinfl.build(dt.date(1985, 7, 9), pinfl.Sex.male, "303", "442")
    created = client.post("/api/v1/admin/persons", json=body, headers=token(client, "admin"))
    assert created.status_code == 201, created.text
    assert created.json()["birth_date"] == "1985-07-09" and created.json()["sex"] == "M"
    signed_in = client.post("/api/v1/auth/login", json={"login": body["pinfl"], "password": body["password"]})
    assert signed_in.json()["me"]["role"] == "citizen"
    again = client.post("/api/v1/admin/persons", json=body, headers=token(client, "admin"))
    assert again.status_code == 409
