"""The answer to a citizen's case and the public pages, over the ASGI client without JavaScript: the decision
page with the sealed document and the verification link filled in, rating the answer once (1-5 with a
comment, errors by field), and the about and help pages with the laws linked and the public log in the
footer."""

from __future__ import annotations

from html import unescape

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.cases.models import Outcome
from shaffof.cases.ratings import CaseRating
from tests.factories import World
from tests.integration.portal.pages import post_form, sign_in
from tests.integration.portal.test_officer_pages import _appeal


def _decided(world: World) -> str:
    number = _appeal(world)
    officer = world.actors[world.assignee(number)]
    world.platform.cases.take(officer, number)
    world.platform.cases.decide(officer, number, Outcome.approved, "Chiroqlar tuzatildi.")
    return number


def _ratings(world: World) -> list[tuple[int, str | None]]:
    with world.platform.db.reading() as session:
        return [(r.score, r.comment) for r in session.scalars(sa.select(CaseRating))]


def test_the_decision_page_offers_the_sealed_document_and_its_verification(client: TestClient, world: World) -> None:
    world.platform.pki.initialise()
    world.platform.pki.issue_eseal(None, "TOSHHOK")
    number = _decided(world)
    sign_in(client, "alice")
    waiting = client.get(f"/cases/{number}/decision", params={"lang": "en"})
    assert waiting.status_code == 200 and "Approved" in waiting.text and "Chiroqlar tuzatildi." in waiting.text
    assert "The signed document is being prepared" in waiting.text
    assert world.platform.issue_decisions() == 1  # the worker seals it with the body's e-seal
    page = client.get(f"/cases/{number}/decision")
    [sealed] = [
        d for d in world.platform.cases.get(world.actors["alice"], number).documents if d.document_type == "decision"
    ]
    assert f'href="/cases/{number}/documents/{sealed.sha256}" download' in page.text
    assert f'href="/verify?case={number}"' in page.text and sealed.sha256 in page.text
    download = client.get(f"/cases/{number}/documents/{sealed.sha256}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert f'href="/cases/{number}/decision">Read the decision</a>' in client.get(f"/cases/{number}").text
    sign_in(client, "bob")
    assert client.get(f"/cases/{number}/decision").status_code == 404  # someone else's case is not found


def test_the_applicant_rates_the_answer_once_with_errors_by_field(client: TestClient, world: World) -> None:
    open_case = _appeal(world)
    sign_in(client, "alice")
    assert "Rate the answer" not in client.get(f"/cases/{open_case}", params={"lang": "en"}).text
    number = _decided(world)
    page = client.get(f"/cases/{number}", params={"lang": "en"})
    assert "Rate the answer" in page.text and "<legend>Your score</legend>" in page.text
    no_score = post_form(client, page, f"/cases/{number}/rating", {"comment": "Tez javob."})
    assert no_score.status_code == 422 and '<a href="#score-1">Choose a score from 1 to 5.</a>' in no_score.text
    assert ">Tez javob.</textarea>" in no_score.text and _ratings(world) == []  # kept, and nothing stored
    too_long = post_form(client, page, f"/cases/{number}/rating", {"score": "4", "comment": "x" * 2001})
    assert too_long.status_code == 422 and 'value="4" checked' in too_long.text and _ratings(world) == []
    rated = post_form(client, page, f"/cases/{number}/rating", {"score": "4", "comment": "Tez javob."})
    assert rated.status_code == 303 and _ratings(world) == [(4, "Tez javob.")]
    after = client.get(f"/cases/{number}", params={"lang": "ru"})
    assert "Вы оценили ответ на 4 из 5." in after.text and f"/cases/{number}/rating" not in after.text
    again = post_form(client, page, f"/cases/{number}/rating", {"score": "1"})
    assert again.status_code == 409 and _ratings(world) == [(4, "Tez javob.")]
    sign_in(client, "bob")
    assert post_form(client, client.get("/"), f"/cases/{number}/rating", {"score": "1"}).status_code == 404


def test_about_and_help_are_public_and_link_the_laws_and_the_public_log(client: TestClient) -> None:
    about = client.get("/about", params={"lang": "en"})
    assert about.status_code == 200 and "<h1>About Shaffof</h1>" in about.text
    assert 'href="https://lex.uz/docs/3336171"' in about.text and "ZRU-793" in about.text
    assert 'href="/transparency"' in about.text
    help_page = unescape(client.get("/help", params={"lang": "uz"}).text)
    assert help_page.count("<h2 id=") == 5 and "Ariza yoki shikoyat 15 kun ichida ko'rib chiqiladi" in help_page
    footer = client.get("/").text.split("<footer>")[1]
    assert 'href="/transparency"' in footer and 'href="/about"' in footer and 'href="/help"' in footer
