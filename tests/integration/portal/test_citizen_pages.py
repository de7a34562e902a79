"""The citizen's pages over the ASGI client, without JavaScript: sign in, find a service, apply with a
document, errors next to the fields (what was typed and uploaded kept), review, submit once, the receipt,
my cases, answering a request for information, the decision and contesting it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from shaffof.cases.models import Outcome
from shaffof.identity.actor import Actor
from tests.factories import APPEAL_FORM, PDF, PNG, World
from tests.integration.portal.pages import csrf, hidden, post_form, sign_in

APPEAL = {f"f-{k}": v for k, v in APPEAL_FORM.items()}


def test_the_catalogue_searches_and_filters_by_category_in_the_chosen_language(
    client: TestClient, world: World
) -> None:
    everything = client.get("/", params={"lang": "en"})
    assert everything.status_code == 200 and '<html lang="en">' in everything.text
    assert "Duplicate birth certificate" in everything.text and "Appeal to a hokimiyat" in everything.text
    assert '<label for="category">Category</label>' in everything.text
    appeals = client.get("/", params={"category": "appeals"})  # the language is remembered (cookie)
    assert '<html lang="en">' in appeals.text
    assert "Appeal to a hokimiyat" in appeals.text and "Duplicate birth certificate" not in appeals.text
    found = client.get("/", params={"q": "обращение", "lang": "ru"})
    assert "Обращение в хокимият" in found.text and "Получение повторного свидетельства" not in found.text
    none = client.get("/", params={"q": "no such thing"})
    assert "По вашему запросу услуг не найдено." in none.text


def test_a_service_page_shows_who_decides_the_deadline_fee_documents_and_legal_basis(
    client: TestClient, world: World
) -> None:
    page = client.get("/services/appeal-to-hokimiyat", params={"lang": "en"})
    assert page.status_code == 200
    assert "<dt>Who decides</dt><dd>Tashkent City Hokimiyat</dd>" in page.text
    assert 'href="https://lex.uz/docs/3336171"' in page.text and "ZRU-445 Art. 28(1)" in page.text
    assert "Appeals are considered free of charge." in page.text
    assert "Supporting material (photo or document)" in page.text and "(optional)" in page.text
    assert client.get("/services/no-such-service").status_code == 404


def test_pages_that_need_a_sign_in_send_the_visitor_to_it_and_back(client: TestClient, world: World) -> None:
    away = client.get("/services/general-ariza/apply", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/login?next=%2Fservices%2Fgeneral-ariza%2Fapply"
    form = client.get(away.headers["location"])
    assert 'name="next" value="/services/general-ariza/apply"' in form.text
    back = client.post(
        "/login",
        data={
            "login": "alice",
            "password": "correct horse battery staple",
            "csrf_token": csrf(form),
            "next": "/services/general-ariza/apply",
        },
        follow_redirects=False,
    )
    assert back.status_code == 303 and back.headers["location"] == "/services/general-ariza/apply"
    cookie = back.headers["set-cookie"]
    assert "shaffof_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


def test_sign_in_refuses_forged_forms_wrong_passwords_and_foreign_redirects(client: TestClient, world: World) -> None:
    forged = client.post("/login", data={"login": "alice", "password": "correct horse battery staple"})
    assert forged.status_code == 403 and "shaffof_session" not in forged.headers.get("set-cookie", "")
    form = client.get("/login", params={"lang": "en"})
    wrong = client.post("/login", data={"login": "alice", "password": "nope", "csrf_token": csrf(form)})
    assert wrong.status_code == 401
    assert '<a href="#password">The login or the password is wrong.</a>' in wrong.text
    assert 'id="password-error"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert 'value="alice"' in wrong.text  # what was typed is kept (never the password)
    elsewhere = client.post(
        "/login",
        data={
            "login": "alice",
            "password": "correct horse battery staple",
            "csrf_token": csrf(form),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/cases"


def _apply_page(client: TestClient) -> str:
    page = client.get("/services/appeal-to-hokimiyat/apply", params={"lang": "en"})
    assert page.status_code == 200
    return page.text


def test_the_application_form_comes_from_the_json_schema_and_shows_errors_by_field(
    client: TestClient, world: World
) -> None:
    sign_in(client, "alice")
    text = _apply_page(client)
    for name in ("topic", "subject", "text", "problem_address", "response_channel"):
        assert f'<label for="f-{name}">' in text
    assert '<select id="f-topic" name="f-topic"' in text and '<textarea id="f-text" name="f-text"' in text
    assert '<select id="agency" name="agency"' in text  # the service lets the applicant choose the hokimiyat
    assert '<option value="roads_transport">Roads and transport</option>' in text  # the package's own texts
    bad = client.post(
        "/services/appeal-to-hokimiyat/apply",
        data={"csrf_token": csrf(text), "f-subject": "abc", "f-text": "too short", "agency": "TOSHHOK"},
        files={"doc-supporting_file": ("photo.pdf", PDF, "application/pdf")},
    )
    assert bad.status_code == 422
    assert '<a href="#f-topic">Fill in this field.</a>' in bad.text
    assert '<a href="#f-subject">Enter at least 5 characters.</a>' in bad.text
    assert 'aria-describedby="f-text-error" aria-invalid="true"' in bad.text
    assert ">too short</textarea>" in bad.text and 'value="abc"' in bad.text  # kept
    kept = hidden(bad, "upload-supporting_file")
    assert len(kept) == 1 and kept[0].endswith("|photo.pdf")  # the upload is kept
    assert "Attached: photo.pdf" in bad.text
    russian = client.get("/services/appeal-to-hokimiyat/apply", params={"lang": "ru"}).text
    assert '<label for="f-topic">Тема обращения</label>' in russian and ">Дороги и транспорт</option>" in russian


def _submit_appeal(client: TestClient) -> tuple[str, str]:
    """Apply for the hokimiyat appeal with a document; returns the receipt page and the reviewed page."""
    text = _apply_page(client)
    review = client.post(
        "/services/appeal-to-hokimiyat/apply",
        data={"csrf_token": csrf(text), **APPEAL, "agency": "TOSHHOK"},
        files={"doc-supporting_file": ("photo.pdf", PDF, "application/pdf")},
    )
    assert review.status_code == 200, review.text
    assert "Check your answers" in review.text and APPEAL_FORM["subject"] in review.text.replace("&#39;", "'")
    assert "<dt>Topic</dt>\n      <dd>Roads and transport</dd>" in review.text
    fields = {
        "payload": hidden(review, "payload")[-1],
        "agency": hidden(review, "agency")[-1],
        "idempotency_key": hidden(review, "idempotency_key")[0],
        "upload-supporting_file": hidden(review, "upload-supporting_file")[-1],
    }
    first = post_form(client, review, "/services/appeal-to-hokimiyat/submit", fields)
    assert first.status_code == 303
    again = post_form(client, review, "/services/appeal-to-hokimiyat/submit", fields)  # a double click
    assert again.headers["location"] == first.headers["location"]
    return client.get(first.headers["location"]).text, review.text


def test_review_submit_and_the_receipt_with_due_date_explanation_and_one_case_for_a_double_submit(
    client: TestClient, world: World
) -> None:
    sign_in(client, "alice")
    receipt, _ = _submit_appeal(client)
    number = re.search(r'class="number">([A-Z]+-\d{4}-\d{6})<', receipt)
    assert number, receipt
    assert "Your application has been registered" in receipt
    assert "Answer due by" in receipt and "How the date was computed" in receipt and "ZRU-445 Art. 28(1)" in receipt
    assert "Ledger receipt" in receipt
    mine = client.get("/cases")
    assert mine.text.count(f'href="/cases/{number.group(1)}"') == 1  # one case although pressed twice
    assert mine.text.count('href="/cases/TOSHHOK-') == 1
    case = client.get(f"/cases/{number.group(1)}")
    assert case.status_code == 200 and "photo.pdf" in case.text and "Registered" in case.text
    assert '<meta name="shaffof-live" content="/api/v1/cases/' in case.text and "/static/live.js" in case.text


def test_someone_elses_case_is_not_found(client: TestClient, world: World) -> None:
    sign_in(client, "alice")
    receipt, _ = _submit_appeal(client)
    number = re.search(r'class="number">([A-Z]+-\d{4}-\d{6})<', receipt)
    assert number
    client.cookies.clear()
    sign_in(client, "bob")
    assert client.get(f"/cases/{number.group(1)}").status_code == 404


def test_answering_a_request_for_information_and_contesting_the_decision(client: TestClient, world: World) -> None:
    sign_in(client, "alice")
    receipt, _ = _submit_appeal(client)
    found = re.search(r'class="number">([A-Z]+-\d{4}-\d{6})<', receipt)
    assert found
    number = found.group(1)
    cases = world.platform.cases
    officer: Actor = world.actors["toshhok.officer"]
    cases.take(officer, number)
    cases.request_info(officer, number, "Attach a photo of the street light, please.")
    page = client.get(f"/cases/{number}", params={"lang": "en"})
    assert "Answer the request for information" in page.text and "Attach a photo of the street light" in page.text
    empty = post_form(client, page, f"/cases/{number}/respond", {"message": ""})
    assert empty.status_code == 422 and '<a href="#message">Write your answer.</a>' in empty.text
    answered = client.post(
        f"/cases/{number}/respond",
        data={"csrf_token": csrf(page), "message": "Here it is."},
        files={"document": ("street.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    assert cases.get(world.actors["alice"], number).state.value == "in_review"
    cases.decide(officer, number, Outcome.rejected, "No grounds.")
    decided = client.get(f"/cases/{number}")
    assert "Rejected: No grounds." in decided.text and "Contest the decision" in decided.text
    contested = post_form(client, decided, f"/cases/{number}/contest", {"reason": "The light is still broken."})
    assert contested.status_code == 303 and contested.headers["location"].endswith("/receipt")
    review_receipt = client.get(contested.headers["location"])
    assert "Your application has been registered" in review_receipt.text


def test_a_form_without_its_csrf_token_changes_nothing(client: TestClient, world: World) -> None:
    sign_in(client, "alice")
    receipt, _ = _submit_appeal(client)
    found = re.search(r'class="number">([A-Z]+-\d{4}-\d{6})<', receipt)
    assert found
    refused = client.post(f"/cases/{found.group(1)}/contest", data={"reason": "forged"})
    assert refused.status_code == 403 and "The form has expired" in refused.text
    events = world.platform.cases.timeline(world.actors["alice"], found.group(1))
    assert [e.kind.value for e in events] == ["submitted", "registered", "assigned"]
