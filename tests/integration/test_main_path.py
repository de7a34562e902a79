"""The main path through the HTTP API, on SQLite and PostgreSQL: a citizen files, officers work the case."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import APPEAL_FORM, PDF, World, token

NUMBER = re.compile(r"^[A-Z][A-Z0-9]+-\d{4}-\d{6}$")


def submit_appeal(client: TestClient, headers: dict[str, str], agency: str = "YUNUSHOK", **extra: object) -> dict:
    body = {"service": "appeal-to-hokimiyat", "agency": agency, "form": APPEAL_FORM, **extra}
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_citizen_files_an_appeal_and_officers_take_request_forward_and_decide(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    upload = client.post(
        "/api/v1/uploads", files={"file": ("photo-of-street.pdf", PDF, "application/pdf")}, headers=alice
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["media_type"] == "application/pdf"

    case = submit_appeal(
        client, alice, documents=[{"upload_id": upload.json()["id"], "document_type": "supporting_file"}]
    )
    number = case["registration_number"]
    assert NUMBER.match(number) and number.startswith("YUNUSHOK-")
    assert case["state"] == "registered"
    assert case["kind"] == "ariza"
    assert case["deadline"]["citation"]["law"] == "ZRU-445"
    assert case["deadline"]["due_at"] > case["received_at"]
    assert [d["document_type"] for d in case["documents"]] == ["supporting_file"]

    # The citizen reads the case, its timeline and their list.
    assert client.get(f"/api/v1/cases/{number}", headers=alice).json()["registration_number"] == number
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert [e["kind"] for e in timeline] == ["submitted", "registered", "assigned"]
    assert [c["registration_number"] for c in client.get("/api/v1/cases", headers=alice).json()] == [number]
    document = client.get(f"/api/v1/cases/{number}/documents/{case['documents'][0]['sha256']}", headers=alice)
    assert document.status_code == 200 and document.content == PDF

    # An officer of the addressed district sees it in the queue, takes it and asks for information.
    officer = token(client, "yunushok.officer")
    queue = client.get("/api/v1/officer/queue", headers=officer).json()
    assert number in [c["registration_number"] for c in queue]
    taken = client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    assert taken.status_code == 200 and taken.json()["state"] == "in_review"
    asked = client.post(
        f"/api/v1/officer/cases/{number}/request-info",
        json={"message": "Uy raqamini aniqlashtiring"},
        headers=officer,
    )
    assert asked.json()["state"] == "info_requested"

    answered = client.post(
        f"/api/v1/cases/{number}/respond", json={"message": "12-uy, 3-podyezd oldida"}, headers=alice
    )
    assert answered.status_code == 200 and answered.json()["state"] == "in_review"

    # The district forwards it to the city hokimiyat, which registers it as its own case.
    forwarded = client.post(
        f"/api/v1/officer/cases/{number}/forward",
        json={"agency": "TOSHHOK", "reason": "Ko'cha yoritish shahar hokimligi vakolatida"},
        headers=officer,
    )
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["state"] == "forwarded"
    child = forwarded.json()["links"][0]
    assert child["relation"] == "forwarded_from" and child["direction"] == "child"
    new_number = child["registration_number"]
    assert new_number.startswith("TOSHHOK-")

    city = token(client, world.assignee(new_number))  # routed by the city's assignment rule
    new_case = client.get(f"/api/v1/cases/{new_number}", headers=city).json()
    assert new_case["state"] == "registered"
    # The documents travel with the case.
    assert [d["sha256"] for d in new_case["documents"]] == [d["sha256"] for d in case["documents"]]
    client.post(f"/api/v1/officer/cases/{new_number}/take", headers=city)
    decided = client.post(
        f"/api/v1/officer/cases/{new_number}/decide",
        json={"outcome": "partially_approved", "reason": "Chiroqlar 10 kun ichida almashtiriladi"},
        headers=city,
    )
    assert decided.status_code == 200
    assert decided.json()["outcome"] == "partially_approved"
    assert decided.json()["state"] == "decided"

    # The citizen sees both cases, and the whole story on the timelines, with reasons.
    mine = {c["registration_number"] for c in client.get("/api/v1/cases", headers=alice).json()}
    assert mine == {number, new_number}
    first = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()
    assert [e["kind"] for e in first] == [
        "submitted",
        "registered",
        "assigned",
        "taken",
        "info_requested",
        "info_provided",
        "forwarded",
    ]
    assert first[4]["reason"] == "Uy raqamini aniqlashtiring"
    assert first[6]["data"]["new_case"] == new_number
    second = client.get(f"/api/v1/cases/{new_number}/timeline", headers=alice).json()
    assert [e["kind"] for e in second] == ["submitted", "registered", "assigned", "taken", "decided"]
    assert second[-1]["reason"] == "Chiroqlar 10 kun ichida almashtiriladi"


def test_contested_decision_opens_a_review_case_at_the_higher_body(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    number = submit_appeal(client, alice)["registration_number"]
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "rejected", "reason": "Murojaatda ko'rsatilgan holat tasdiqlanmadi"},
        headers=officer,
    )
    review = client.post(
        f"/api/v1/cases/{number}/contest", json={"reason": "Chiroqlar haqiqatan yonmaydi"}, headers=alice
    )
    assert review.status_code == 201, review.text
    body = review.json()
    assert body["agency"]["code"] == "TOSHHOK"  # YUNUSHOK's parent hears complaints about it
    assert body["kind"] == "shikoyat"
    assert body["links"] == [{"registration_number": number, "relation": "review_of", "direction": "parent"}]
    again = client.post(f"/api/v1/cases/{number}/contest", json={"reason": "yana bir bor"}, headers=alice)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/review-already-open"


def test_each_outcome_needs_a_reason_and_left_unconsidered_cites_article_29(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    number = submit_appeal(client, alice)["registration_number"]
    officer = token(client, "yunushok.officer")
    client.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
    no_reason = client.post(f"/api/v1/officer/cases/{number}/decide", json={"outcome": "approved"}, headers=officer)
    assert no_reason.status_code == 422
    assert {"path": "reason", "message": "Field required"} in no_reason.json()["errors"]
    decided = client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "left_unconsidered", "reason": "Vakolatsiz vakil tomonidan yuborilgan"},
        headers=officer,
    )
    assert decided.status_code == 200
    last = client.get(f"/api/v1/cases/{number}/timeline", headers=alice).json()[-1]
    assert last["data"]["citation"]["article"] == "29"
    closed = client.post(f"/api/v1/officer/cases/{number}/close", json={"reason": "Javob yuborildi"}, headers=officer)
    assert closed.json()["state"] == "closed"
    # A closed case cannot be decided again.
    redo = client.post(
        f"/api/v1/officer/cases/{number}/decide",
        json={"outcome": "approved", "reason": "qayta"},
        headers=officer,
    )
    assert redo.status_code == 409
    assert redo.json()["type"] == "/problems/transition-refused"


def test_service_application_requires_its_documents(client: TestClient, world: World) -> None:
    alice = token(client, "alice")
    form = {
        "works_type": "new_construction",
        "cadastre_number": "10:01:02:03:0004",
        "object_address": "Toshkent sh., Chilonzor t., 5-mavze, 7-uy",
        "built_up_area_sqm": 120.5,
        "floors": 2,
        "planned_start_date": "2027-03-01",
    }
    missing = client.post("/api/v1/cases", json={"service": "building-permit", "form": form}, headers=alice)
    assert missing.status_code == 422
    assert {
        "path": "documents",
        "message": "the document 'architectural_project' is required",
    } in missing.json()["errors"]
    upload = client.post("/api/v1/uploads", files={"file": ("loyiha.pdf", PDF, "application/pdf")}, headers=alice)
    filed = client.post(
        "/api/v1/cases",
        json={
            "service": "building-permit",
            "form": form,
            "documents": [{"upload_id": upload.json()["id"], "document_type": "architectural_project"}],
            "channel": "portal",
        },
        headers=alice,
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["registration_number"].startswith("QURILISH-")
    assert filed.json()["service"]["version"] == 1
