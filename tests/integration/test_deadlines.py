"""Deadlines through the HTTP API, on SQLite and PostgreSQL: the calculator, the calendar and its
overrides, the due dates a case carries with their explanations, extensions, clock stops, forwarding,
and the recomputation of open cases when the calendar changes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from shaffof.cases.models import CaseDeadline, CaseEvent
from shaffof.catalog.service import import_packages
from shaffof.deadlines.models import CalendarOverride
from tests.conftest import SERVICES
from tests.factories import APPEAL_FORM, World, token

TASHKENT = dt.timezone(dt.timedelta(hours=5))
ARIZA_FORM = {
    "subject": "Yo'l ta'miri",
    "text": "Mahallamizdagi yo'l ikki yildan beri ta'mirlanmagan, iltimos ko'rib chiqing.",
}


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = dt.datetime(*args, tzinfo=TASHKENT)  # type: ignore[misc]


@pytest.fixture
def clock(client: TestClient) -> Clock:
    """The app's injectable clock, starting on Friday 6 March 2026, 10:00 in Tashkent."""
    fixed = Clock(dt.datetime(2026, 3, 6, 10, 0, tzinfo=TASHKENT))
    platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.cases.clock = fixed
    platform.deadlines.clock = fixed
    return fixed


def submit(client: TestClient, headers: dict[str, str], service: str = "appeal-to-hokimiyat", **body: object) -> dict:
    payload = {"service": service, "agency": "YUNUSHOK", "form": APPEAL_FORM} | body
    response = client.post("/api/v1/cases", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def by_kind(case: dict) -> dict[str, dict]:
    return {d["kind"]: d for d in case["deadlines"]}


def timeline_kinds(client: TestClient, number: str, headers: dict[str, str]) -> list[str]:
    return [e["kind"] for e in client.get(f"/api/v1/cases/{number}/timeline", headers=headers).json()]


# --- the calculator ---------------------------------------------------------------------------------------


def test_policies_are_listed_by_stable_name_with_citations(client: TestClient, world: World) -> None:
    policies = {p["name"]: p for p in client.get("/api/v1/deadlines/policies").json()}
    for name in (
        "zru445-registration",
        "zru445-answer",
        "zru445-study-extension",
        "zru445-exceptional-extension",
        "zru445-proposal",
        "zru445-proposal-notice",
        "zru445-forwarding",
    ):
        assert policies[name]["statutory"] and policies[name]["citation"]["law"] == "ZRU-445", name
    assert policies["zru445-answer"]["aliases"] == ["zru445-ariza", "zru445-shikoyat"]
    assert policies["zru445-answer"]["citation"]["article"] == "28"
    # A service package's own deadline (ZRU-793: one working day) is a policy named after the service.
    key = policies["e-signature-key"]
    assert not key["statutory"] and (key["amount"], key["unit"]) == (1, "working_days")
    assert key["citation"]["law"] == "ZRU-793"


def test_the_calculator_explains_15_days_over_nowruz(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/deadlines/calculate",
        params={"policy": "zru445-answer", "received_at": "2026-03-06T10:00:00+05:00", "lang": "en"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["due_on"] == "2026-03-24"
    assert body["due_at"] == "2026-03-24T18:59:59.999999Z"
    assert "a day off (Nowruz)" in body["explanation"]["text"]
    assert body["citation"] == {
        "law": "ZRU-445",
        "article": "28",
        "part": "1",
        "title": "Applications and complaints are considered within 15 days of receipt",
        "url": "https://lex.uz/docs/3336171",
    }
    russian = client.get(
        "/api/v1/deadlines/calculate",
        params={"policy": "zru445-proposal", "received_at": "2026-03-02T05:00:00Z"},
        headers={"Accept-Language": "ru-RU,ru;q=0.9"},
    ).json()
    assert russian["explanation"]["lang"] == "ru" and russian["due_on"] == "2026-04-02"
    assert [i["policy"] for i in russian["interim"]] == ["zru445-proposal-notice"]
    assert russian["interim"][0]["due_on"] == "2026-03-12"


@pytest.mark.parametrize(
    ("params", "status", "path"),
    [
        ({"policy": "zru445-answer", "received_at": "2026-03-06T10:00:00"}, 422, "received_at"),
        ({"policy": "zru445-answer", "received_at": "6 March 2026"}, 422, "received_at"),
        ({"policy": "zru445-answer"}, 422, "query/received_at"),
        ({"policy": "zru445-whenever", "received_at": "2026-03-06T10:00:00+05:00"}, 404, "policy"),
    ],
)
def test_the_calculator_refuses_bad_input_naming_the_field(
    client: TestClient, world: World, params: dict[str, str], status: int, path: str
) -> None:
    response = client.get("/api/v1/deadlines/calculate", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert path in [e["path"] for e in response.json()["errors"]]


def test_the_calculator_page_works_without_javascript(client: TestClient, world: World) -> None:
    page = client.get("/deadlines", params={"lang": "en"})
    assert page.status_code == 200
    assert '<label for="policy">' in page.text and '<label for="received_at">' in page.text
    result = client.get(
        "/deadlines", params={"lang": "en", "policy": "zru445-answer", "received_at": "2026-03-06 10:00"}
    )
    assert result.status_code == 200
    assert "Tuesday 24 March 2026" in result.text and "ZRU-445 Art. 28(1)" in result.text
    wrong = client.get("/deadlines", params={"lang": "en", "policy": "zru445-answer", "received_at": "soon"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text and 'id="received_at-error"' in wrong.text


# --- the calendar -------------------------------------------------------------------------------------------


def test_the_calendar_of_a_year(client: TestClient, world: World) -> None:
    year = client.get("/api/v1/deadlines/calendar/2026", params={"lang": "en"}).json()
    days = {d["date"]: d for d in year["days"]}
    assert days["2026-03-21"]["reason"] == "Nowruz" and not days["2026-03-21"]["working"]
    assert days["2026-12-12"]["working"] and days["2026-12-12"]["source"] == "swapped_working_day"
    six = client.get("/api/v1/deadlines/calendar/2026", params={"working_week": "six_days"}).json()
    assert six["working_days"] > year["working_days"]
    assert client.get("/api/v1/deadlines/calendar/1800").status_code == 422


@pytest.mark.parametrize(
    ("login", "body", "status", "path"),
    [
        ("toshhok.head", {"date": "2027-03-23", "kind": "day_off", "reason": "Decree of 2027"}, 403, None),
        ("admin", {"date": "2027-02-30", "kind": "day_off", "reason": "Decree of 2027"}, 422, "date"),
        ("admin", {"date": "23.03.2027", "kind": "day_off", "reason": "Decree of 2027"}, 422, "date"),
        ("admin", {"date": "1990-01-01", "kind": "day_off", "reason": "Decree of 1990"}, 422, "date"),
        ("admin", {"date": "2027-03-23", "kind": "day_off"}, 422, "reason"),
        ("admin", {"date": "2027-03-23", "kind": "day_off", "reason": "   \t  "}, 422, "reason"),
        ("admin", {"date": "2027-03-23", "kind": "holiday", "reason": "Decree of 2027"}, 422, "kind"),
    ],
)
def test_bad_overrides_are_refused_and_nothing_changes(
    client: TestClient, world: World, login: str, body: dict, status: int, path: str | None
) -> None:
    response = client.post("/api/v1/deadlines/calendar/overrides", json=body, headers=token(client, login))
    assert response.status_code == status, response.text
    if path:
        assert path in [e["path"] for e in response.json()["errors"]]
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CalendarOverride)) == 0


def test_one_override_per_date(client: TestClient, world: World) -> None:
    admin = token(client, "admin")
    body = {"date": "2027-03-23", "kind": "day_off", "reason": "Decree PF-1 of 2027"}
    first = client.post("/api/v1/deadlines/calendar/overrides", json=body, headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["entered_by"] == "Admin"
    again = client.post("/api/v1/deadlines/calendar/overrides", json=body, headers=admin)
    assert again.status_code == 409
    year = client.get("/api/v1/deadlines/calendar/2027", params={"lang": "ru"}).json()
    assert [o["date"] for o in year["overrides"]] == ["2027-03-23"]
    assert {"date": "2027-03-23", "reason": "Decree PF-1 of 2027"}.items() <= next(
        d for d in year["days"] if d["date"] == "2027-03-23"
    ).items()


# --- a case's due dates ---------------------------------------------------------------------------------------


def test_a_case_carries_its_deadlines_with_explanations_and_citations(
    client: TestClient, world: World, clock: Clock
) -> None:
    alice = token(client, "alice")
    case = submit(client, alice)
    assert case["deadline"]["kind"] == "answer"
    assert case["deadline"]["due_at"] == "2026-03-24T18:59:59.999999Z"
    assert case["deadline"]["policy"] == "zru445-answer"
    assert case["deadline"]["citation"]["part"] == "1"
    assert "Nowruz" in case["deadline"]["explanation"]["en"]
    assert "Навруз" in case["deadline"]["explanation"]["ru"] and "Navro" in case["deadline"]["explanation"]["uz"]
    deadlines = by_kind(case)
    assert set(deadlines) == {"registration", "answer", "forwarding"}
    assert deadlines["registration"]["ended_at"] is not None  # registered on receipt (Art. 23)
    assert deadlines["forwarding"]["due_on"] == "2026-03-11"  # 5 days → Wed 11 March
    assert deadlines["forwarding"]["citation"]["title"].startswith("An appeal outside the body's competence")
    # The queue orders by the stored answer deadline.
    officer = token(client, "yunushok.officer")
    queued = client.get("/api/v1/officer/queue", headers=officer).json()
    assert queued[0]["due_at"] == case["deadline"]["due_at"]


def test_a_proposal_carries_the_10_day_notice(client: TestClient, world: World, clock: Clock) -> None:
    alice = token(client, "alice")
    form = {
        "area": "public_services",
        "subject": "Navbatlar",
        "text": "Davlat xizmatlari markazlarida onlayn navbat joriy qilinsin.",
    }
    case = submit(client, alice, service="proposal-to-ministry", agency="VAZIRLAR", form=form)
    deadlines = by_kind(case)
    assert deadlines["answer"]["policy"] == "zru445-proposal" and deadlines["answer"]["due_on"] == "2026-04-06"
    assert deadlines["proposal_notice"]["due_on"] == "2026-03-16"  # 10 days → Mon 16 March


def test_study_then_exceptional_extension_within_the_law(client: TestClient, world: World, clock: Clock) -> None:
    alice, officer, head = token(client, "alice"), token(client, "toshhok.officer"), token(client, "toshhok.head")
    number = submit(client, alice, agency="TOSHHOK")["registration_number"]
    url = f"/api/v1/officer/cases/{number}/extend"
    clock.set(2026, 3, 10, 11, 0)
    assert client.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200

    def refused(body: dict, headers: dict[str, str], status: int, path: str | None = None) -> None:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == status, response.text
        if path:
            assert path in [e["path"] for e in response.json()["errors"]]

    justification = "Tuman arxividan hujjatlar so'raldi"
    refused({"kind": "study"}, officer, 422, "justification")
    refused({"kind": "study", "justification": "   short  "}, officer, 422, "justification")
    refused({"kind": "study", "justification": justification, "days": 17}, officer, 422, "days")  # past 6 April
    refused({"kind": "exceptional", "justification": justification}, officer, 403)  # the head only
    refused({"kind": "forever", "justification": justification}, officer, 422, "kind")
    refused({"kind": "study", "justification": justification}, alice, 403)
    refused({"kind": "study", "justification": justification}, token(client, "yunushok.officer"), 403)
    unchanged = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert unchanged["deadline"]["due_on"] == "2026-03-24" and unchanged["deadline"]["adjustments"] == []
    assert timeline_kinds(client, number, alice) == ["submitted", "registered", "assigned", "taken"]

    study = client.post(url, json={"kind": "study", "justification": justification, "days": 10}, headers=officer)
    assert study.status_code == 200, study.text
    assert study.json()["deadline"]["due_on"] == "2026-03-31"
    assert "extended by 10 days for additional study" in study.json()["deadline"]["explanation"]["en"]
    rest = client.post(url, json={"kind": "study", "justification": justification}, headers=officer)
    assert rest.json()["deadline"]["due_on"] == "2026-04-06"  # the rest, up to one month from receipt
    refused({"kind": "study", "justification": justification}, officer, 422, "kind")  # the maximum is reached

    refused({"kind": "exceptional", "justification": justification, "days": 31}, head, 422, "days")  # past 6 May
    exceptional = client.post(url, json={"kind": "exceptional", "justification": justification}, headers=head)
    assert exceptional.status_code == 200, exceptional.text
    assert exceptional.json()["deadline"]["due_on"] == "2026-05-06"
    refused({"kind": "exceptional", "justification": justification}, head, 422, "kind")

    events = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    extended = [e for e in events if e["kind"] == "extended"]
    assert [e["data"]["extension"] for e in extended] == ["study", "study", "exceptional"]
    assert extended[-1]["data"]["applicant_notified"] is True
    assert extended[-1]["data"]["citation"]["part"] == "3"
    assert extended[-1]["reason"] == justification
    assert extended[-1]["data"]["due_at"] == "2026-05-06T18:59:59.999999+00:00"


@pytest.fixture
def clock_stopping(world: World, tmp_path: Path) -> World:
    """general-ariza re-imported with its own deadline block: 15 days with the clock stopping."""
    services = tmp_path / "services"
    shutil.copytree(SERVICES, services)
    file = services / "general-ariza" / "service.yaml"
    package = yaml.safe_load(file.read_text(encoding="utf-8"))
    del package["deadline_policy"]
    package["deadline"] = {
        "amount": 15,
        "unit": "calendar_days",
        "clock_stops": True,
        "extendable": True,
        "citation": {"law": "ZRU-445", "article": "28", "part": "1", "title": "15 days; the clock stops (test)"},
    }
    file.write_text(yaml.safe_dump(package, allow_unicode=True), encoding="utf-8")
    with world.platform.db.uow() as uow:
        import_packages(uow, services)
    return world


def test_the_clock_stops_while_information_is_awaited_and_restarts_on_the_answer(
    client: TestClient, clock_stopping: World, clock: Clock
) -> None:
    alice, officer = token(client, "alice"), token(client, "vazirlar.officer")
    clock.set(2026, 3, 2, 10, 0)  # due Tuesday 17 March
    case = submit(client, alice, service="general-ariza", agency="VAZIRLAR", form=ARIZA_FORM)
    number = case["registration_number"]
    assert case["deadline"]["policy"] == "general-ariza" and case["deadline"]["due_on"] == "2026-03-17"
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    clock.set(2026, 3, 5, 10, 0)
    asked = client.post(
        f"/api/v1/officer/cases/{number}/request-info", json={"message": "Manzilni aniqlashtiring"}, headers=officer
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["deadline"]["clock_stopped_at"] == "2026-03-05T05:00:00Z"
    clock.set(2026, 3, 9, 12, 0)
    answered = client.post(f"/api/v1/cases/{number}/respond", json={"message": "Yunusobod, 4-kvartal"}, headers=alice)
    assert answered.status_code == 200, answered.text
    deadline = answered.json()["deadline"]
    # Stopped 5 → 9 March: 4 days; 17 + 4 = Saturday 21 March (Nowruz) → Tuesday 24 March.
    assert deadline["due_on"] == "2026-03-24" and deadline["clock_stopped_at"] is None
    assert deadline["adjustments"][0]["kind"] == "clock_stop"
    assert "the clock stopped from Thursday 5 March 2026 to Monday 9 March 2026" in deadline["explanation"]["en"]
    events = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert [e["kind"] for e in events][-3:] == ["info_requested", "info_provided", "deadline_recomputed"]
    assert events[-3]["data"]["clock_stopped_at"] == "2026-03-05T05:00:00+00:00"
    assert events[-2]["data"]["clock_restarted_at"] == "2026-03-09T07:00:00+00:00"
    assert events[-1]["data"]["due_on"] == "2026-03-24"


def test_statutory_answers_do_not_stop_the_clock_by_default(client: TestClient, world: World, clock: Clock) -> None:
    alice, officer = token(client, "alice"), token(client, "yunushok.officer")
    number = submit(client, alice)["registration_number"]
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    asked = client.post(f"/api/v1/officer/cases/{number}/request-info", json={"message": "Aniqlang"}, headers=officer)
    assert asked.json()["deadline"]["clock_stopped_at"] is None
    answered = client.post(f"/api/v1/cases/{number}/respond", json={"message": "Mana"}, headers=alice)
    assert answered.json()["deadline"]["due_on"] == "2026-03-24"
    assert "deadline_recomputed" not in timeline_kinds(client, number, alice)


def test_forwarding_ends_this_body_s_deadlines_and_starts_the_new_body_s_clock(
    client: TestClient, world: World, clock: Clock
) -> None:
    alice, officer = token(client, "alice"), token(client, "yunushok.officer")
    number = submit(client, alice)["registration_number"]
    clock.set(2026, 3, 10, 9, 0)
    forwarded = client.post(
        f"/api/v1/officer/cases/{number}/forward",
        json={"agency": "TOSHHOK", "reason": "Shahar hokimligi vakolatida"},
        headers=officer,
    ).json()
    assert all(d["ended_at"] for d in forwarded["deadlines"])
    new_number = forwarded["links"][0]["registration_number"]
    new = client.get(f"/api/v1/cases/{new_number}", headers=alice).json()
    assert new["deadline"]["started_at"] == "2026-03-10T04:00:00Z"
    assert new["deadline"]["due_on"] == "2026-03-25"  # 15 days from its own receipt


# --- calendar changes move open cases --------------------------------------------------------------------


def test_a_calendar_override_moves_the_due_dates_of_open_cases_only(
    client: TestClient, world: World, clock: Clock
) -> None:
    alice, officer, admin = token(client, "alice"), token(client, "yunushok.officer"), token(client, "admin")
    clock.set(2026, 4, 1, 10, 0)  # 15 days → Thursday 16 April 2026
    moving = submit(client, alice)["registration_number"]
    decided = submit(client, alice)["registration_number"]
    client.post(f"/api/v1/officer/cases/{decided}/take", headers=officer)
    client.post(
        f"/api/v1/officer/cases/{decided}/decide", json={"outcome": "approved", "reason": "Bajarildi"}, headers=officer
    )
    clock.set(2026, 4, 20, 10, 0)
    later = submit(client, alice)["registration_number"]  # its count starts after 16 April
    clock.set(2026, 4, 2, 10, 0)

    response = client.post(
        "/api/v1/deadlines/calendar/overrides",
        json={"date": "2026-04-16", "kind": "day_off", "reason": "Decree: an extra day off"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    # The answer deadline of the open case moves; the decided case and the later case stay.
    assert response.json()["recomputed_deadlines"] == 1
    moved = client.get(f"/api/v1/cases/{moving}", headers=alice).json()
    assert moved["deadline"]["due_on"] == "2026-04-17"
    assert "Decree: an extra day off" in moved["deadline"]["explanation"]["en"]
    assert client.get(f"/api/v1/cases/{decided}", headers=alice).json()["deadline"]["due_on"] == "2026-04-16"
    assert client.get(f"/api/v1/cases/{later}", headers=alice).json()["deadline"]["due_on"] == "2026-05-05"
    events = client.get(f"/api/v1/cases/{moving}/timeline", headers=alice).json()
    assert events[-1]["kind"] == "deadline_recomputed"
    assert events[-1]["data"] == {
        "deadline": "answer",
        "from_on": "2026-04-16",
        "due_on": "2026-04-17",
        "due_at": "2026-04-17T18:59:59.999999+00:00",
        "calendar_date": "2026-04-16",
    }
    assert events[-1]["seq"] == events[-2]["seq"] + 1
    assert "deadline_recomputed" not in timeline_kinds(client, decided, alice)
    queued = {c["registration_number"]: c for c in client.get("/api/v1/officer/queue", headers=officer).json()}
    assert queued[moving]["due_at"] == "2026-04-17T18:59:59.999999Z"

    # A working day entered on a weekend pulls a rolled-forward deadline back to it.
    clock.set(2026, 5, 1, 10, 0)  # Friday; 15 days → Saturday 16 May → Monday 18 May
    weekend = submit(client, alice)["registration_number"]
    assert client.get(f"/api/v1/cases/{weekend}", headers=alice).json()["deadline"]["due_on"] == "2026-05-18"
    swapped = client.post(
        "/api/v1/deadlines/calendar/overrides",
        json={"date": "2026-05-16", "kind": "working_day", "reason": "Decree: a working Saturday"},
        headers=admin,
    )
    assert swapped.json()["recomputed_deadlines"] >= 1
    assert client.get(f"/api/v1/cases/{weekend}", headers=alice).json()["deadline"]["due_on"] == "2026-05-16"


def test_a_calendar_override_recomputes_adjusted_deadlines_one_by_one(
    client: TestClient, world: World, clock: Clock
) -> None:
    alice, officer, admin = token(client, "alice"), token(client, "toshhok.officer"), token(client, "admin")
    clock.set(2026, 4, 1, 10, 0)
    number = submit(client, alice, agency="TOSHHOK")["registration_number"]
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    extended = client.post(
        f"/api/v1/officer/cases/{number}/extend",
        json={"kind": "study", "justification": "Qo'shimcha tekshiruv kerak", "days": 4},
        headers=officer,
    ).json()
    assert extended["deadline"]["due_on"] == "2026-04-20"  # 16 April + 4
    client.post(
        "/api/v1/deadlines/calendar/overrides",
        json={"date": "2026-04-20", "kind": "day_off", "reason": "Decree: an extra day off"},
        headers=admin,
    )
    after = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    assert after["deadline"]["due_on"] == "2026-04-21"
    assert by_kind(after)["forwarding"]["due_on"] == "2026-04-06"  # its window does not pass 20 April
    with world.platform.db.reading() as session:
        kinds = session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.kind == "deadline_recomputed")).all()
        assert len(kinds) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(CaseDeadline)) == 3
