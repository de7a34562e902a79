"""The officer's and the head of body's pages over the ASGI client: the queue in deadline order with the SLA
said in words (not colour alone), filters, the case page and its actions through the cases domain, refusals
shown with the domain's reason, and the head's deadline board."""

from __future__ import annotations

import datetime as dt
from html import unescape

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shaffof.cases.schemas import CaseSubmit
from shaffof.privacy.models import AccessRecord
from tests.factories import APPEAL_FORM, World
from tests.integration.portal.pages import post_form, sign_in


def _appeal(world: World, agency: str = "TOSHHOK") -> str:
    result = world.platform.cases.submit(
        world.actors["alice"], CaseSubmit(service="appeal-to-hokimiyat", agency=agency, form=APPEAL_FORM)
    )
    return result.case.registration_number


def test_the_queue_lists_the_agencys_open_cases_with_the_sla_in_words_and_filters(
    client: TestClient, world: World
) -> None:
    mine, other = _appeal(world), _appeal(world, "YUNUSHOK")
    officer = world.assignee(mine)  # routed on registration by the body's rule (issue 12)
    colleague = "toshhok.officer2" if officer == "toshhok.officer" else "toshhok.officer"
    sign_in(client, officer)
    queue = client.get("/officer", params={"lang": "en"})
    assert queue.status_code == 200 and mine in queue.text and other not in queue.text
    assert '<span aria-hidden="true" class="sla-icon">✓</span> On track' in queue.text  # a word, not a colour
    assert world.actors[officer].display_name in queue.text  # who has it
    assert '<label for="sla">Deadline status</label>' in queue.text
    assert mine not in client.get("/officer", params={"sla": "overdue"}).text
    assert mine not in client.get("/officer", params={"assignee": "none"}).text
    assert mine in client.get("/officer", params={"assignee": "me"}).text
    assert mine not in client.get("/officer", params={"state": "in_review"}).text
    sign_in(client, colleague)
    assert mine in client.get("/officer").text and mine not in client.get("/officer", params={"assignee": "me"}).text


def test_an_officer_takes_requests_information_extends_and_decides_on_the_case_page(
    client: TestClient, world: World
) -> None:
    number = _appeal(world)
    officer = world.assignee(number)
    sign_in(client, "toshhok.officer2" if officer == "toshhok.officer" else "toshhok.officer")
    assert "Take the case" not in client.get(f"/officer/cases/{number}", params={"lang": "en"}).text  # not theirs
    sign_in(client, officer)
    page = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    assert page.status_code == 200 and "Take the case" in page.text and "Ko'cha chiroqlari" in unescape(page.text)
    assert "<dt>Subject</dt>" in page.text and "<dd>Roads and transport</dd>" in page.text  # the package's texts
    with world.platform.db.reading() as session:
        reads = session.scalar(sa.select(sa.func.count()).select_from(AccessRecord))
    assert post_form(client, page, f"/officer/cases/{number}/take", {}).status_code == 303
    with world.platform.db.reading() as session:  # the page's action is recorded for alice's data tracker
        assert session.scalar(sa.select(sa.func.count()).select_from(AccessRecord)) == (reads or 0) + 1
    page = client.get(f"/officer/cases/{number}")
    too_short = post_form(client, page, f"/officer/cases/{number}/extend", {"kind": "study", "justification": "x"})
    assert (
        too_short.status_code == 422 and '<a href="#justification">Enter at least 10 characters.</a>' in too_short.text
    )
    extended = post_form(
        client,
        page,
        f"/officer/cases/{number}/extend",
        {"kind": "study", "justification": "A site inspection of the street lights is needed.", "days": ""},
    )
    assert extended.status_code == 303
    asked = post_form(client, page, f"/officer/cases/{number}/request-info", {"message": "Which pole exactly?"})
    assert asked.status_code == 303
    after = client.get(f"/officer/cases/{number}")
    assert "Deadline extended" in after.text and "Information requested" in after.text
    case = world.platform.cases.get(world.actors["alice"], number)
    assert case.state.value == "info_requested"
    world.platform.cases.provide_info(world.actors["alice"], number, "The third one from the corner.", [])
    page = client.get(f"/officer/cases/{number}")
    no_outcome = post_form(client, page, f"/officer/cases/{number}/decide", {"outcome": "", "reason": "ok"})
    assert no_outcome.status_code == 422 and '<a href="#outcome">Choose one of the options.</a>' in no_outcome.text
    assert ">ok</textarea>" in no_outcome.text  # the grounds typed are kept
    decided = post_form(
        client, page, f"/officer/cases/{number}/decide", {"outcome": "approved", "reason": "The lights are fixed."}
    )
    assert decided.status_code == 303
    assert world.platform.cases.get(world.actors["alice"], number).outcome is not None


def test_a_refused_action_shows_the_domains_reason_and_changes_nothing(client: TestClient, world: World) -> None:
    number = _appeal(world)
    officer = world.assignee(number)
    sign_in(client, "toshhok.officer2" if officer == "toshhok.officer" else "toshhok.officer")  # not the assignee
    page = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    refused = post_form(client, page, f"/officer/cases/{number}/take", {})
    assert refused.status_code in (403, 409)
    assert 'role="alert"' in refused.text and "assigned to another officer" in refused.text
    timeline = world.platform.cases.timeline(world.actors["alice"], number)
    assert [e.kind.value for e in timeline] == ["submitted", "registered", "assigned"]
    other = _appeal(world, "YUNUSHOK")
    assert client.get(f"/officer/cases/{other}").status_code == 403


def test_forwarding_from_the_case_page_opens_a_case_at_the_competent_body(client: TestClient, world: World) -> None:
    number = _appeal(world)
    sign_in(client, "toshhok.officer")
    page = client.get(f"/officer/cases/{number}")
    post_form(client, page, f"/officer/cases/{number}/take", {})
    page = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    forwarded = post_form(
        client, page, f"/officer/cases/{number}/forward", {"agency": "YUNUSHOK", "forward-reason": "Their district."}
    )
    assert forwarded.status_code == 303
    after = client.get(f"/officer/cases/{number}")
    assert "Forwarded to another body" in after.text and "YUNUSHOK-" in after.text


def test_the_head_of_bodys_board_shows_overdue_cases_first(client: TestClient, world: World) -> None:
    number = _appeal(world)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    platform.cases.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=40)
    sign_in(client, "toshhok.head")
    board = client.get("/officer/board", params={"lang": "en"})
    assert board.status_code == 200
    overdue_section = board.text.split("<h2>Overdue</h2>")[1].split("<h2>At risk</h2>")[0]
    assert number in overdue_section and "Long overdue" in overdue_section
    assert 'href="/officer/board" aria-current="page"' in board.text  # the head's navigation has the board
    sign_in(client, "toshhok.officer")
    assert 'href="/officer/board"' not in client.get("/officer").text
