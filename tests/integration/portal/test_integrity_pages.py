"""Fair assignment, four-eyes and recusal in the officer's pages, over the ASGI client without JavaScript: a
proposed decision waits on the case page for a second officer who approves it or sends it back with a reason,
the head reassigns with a reason, an officer declares a conflict of interest, and the queue puts "my cases"
first. Every refusal comes from the domain and changes nothing."""

from __future__ import annotations

from html import unescape

import pytest
from fastapi.testclient import TestClient

from shaffof.cases.models import EventKind
from tests.factories import World, token
from tests.integration.portal.pages import post_form, sign_in
from tests.integration.portal.test_officer_pages import _appeal
from tests.integration.test_integrity import (  # noqa: F401 (land_world: the fixture of land officers)
    events,
    file_land_claim,
    land_world,
    second_officers_reads,
)


def _other(officer: str) -> str:
    return "toshhok.officer2" if officer == "toshhok.officer" else "toshhok.officer"


@pytest.mark.usefixtures("land_world")
def test_a_proposed_decision_waits_for_a_second_officer_who_sends_it_back_or_approves(
    client: TestClient, world: World
) -> None:
    number = file_land_claim(client, token(client, "alice"))
    proposer = world.assignee(number)
    second = _other(proposer)
    sign_in(client, proposer)
    page = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    post_form(client, page, f"/officer/cases/{number}/take", {})
    page = client.get(f"/officer/cases/{number}")
    proposed = post_form(
        client,
        page,
        f"/officer/cases/{number}/decide",
        {"outcome": "approved", "reason": "Barcha shartlar bajarilgan."},
    )
    assert proposed.status_code == 303
    mine = client.get(f"/officer/cases/{number}")
    assert "Decision awaiting approval" in mine.text and "You proposed this decision" in mine.text
    assert "The service requires a second officer for this outcome." in mine.text  # why, in words
    assert f"/officer/cases/{number}/approve" not in mine.text  # the proposer is offered no approval
    assert f"/officer/cases/{number}/decide" not in mine.text  # nor a second decision past the proposal
    forced = post_form(client, mine, f"/officer/cases/{number}/approve", {})  # and the domain refuses one
    assert forced.status_code == 403 and 'role="alert"' in forced.text

    sign_in(client, second)
    queue = client.get("/officer", params={"lang": "en"})
    assert "Awaiting approval" in queue.text
    theirs = client.get(f"/officer/cases/{number}")
    assert "Barcha shartlar bajarilgan." in theirs.text and f"/officer/cases/{number}/approve" in theirs.text
    no_reason = post_form(client, theirs, f"/officer/cases/{number}/send-back", {"send-back-reason": ""})
    assert no_reason.status_code == 422
    assert '<a href="#send-back-reason">Enter at least 3 characters.</a>' in no_reason.text
    assert [e.kind for e in events(world, number)][-1] is EventKind.decision_proposed  # nothing changed
    reads = second_officers_reads(world, second, number)
    back = post_form(
        client, theirs, f"/officer/cases/{number}/send-back", {"send-back-reason": "Maydon chegarasi tekshirilmagan"}
    )
    assert back.status_code == 303
    assert second_officers_reads(world, second, number) == reads + 1  # alice's data tracker shows the action
    after = client.get(f"/officer/cases/{number}", params={"lang": "ru"})
    assert "Предложенное решение возвращено" in after.text and "Maydon chegarasi tekshirilmagan" in after.text

    sign_in(client, proposer)
    page = client.get(f"/officer/cases/{number}")
    post_form(
        client, page, f"/officer/cases/{number}/decide", {"outcome": "approved", "reason": "Chegaralar tekshirildi."}
    )
    sign_in(client, second)
    page = client.get(f"/officer/cases/{number}")
    reads = second_officers_reads(world, second, number)
    assert post_form(client, page, f"/officer/cases/{number}/approve", {}).status_code == 303
    assert second_officers_reads(world, second, number) == reads + 1
    case = world.platform.cases.get(world.actors["alice"], number)
    assert case.state.value == "decided" and case.outcome is not None and case.outcome.value == "approved"
    timeline = unescape(client.get(f"/officer/cases/{number}", params={"lang": "uz"}).text)
    assert "Qaror taklif qilindi, ikkinchi xodim tasdig'i kutilmoqda" in timeline


def test_the_head_reassigns_with_a_reason_and_officers_cannot(client: TestClient, world: World) -> None:
    number = _appeal(world)
    officer = world.assignee(number)
    sign_in(client, officer)
    page = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    assert "Reassign to another officer" not in page.text
    refused = post_form(
        client, page, f"/officer/cases/{number}/reassign", {"officer": _other(officer), "reassign-reason": "Bandman."}
    )
    assert refused.status_code == 403
    sign_in(client, "toshhok.head")
    page = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    assert "Reassign to another officer" in page.text
    assert f'<option value="{_other(officer)}">' in page.text and f'<option value="{officer}">' not in page.text
    no_reason = post_form(
        client, page, f"/officer/cases/{number}/reassign", {"officer": _other(officer), "reassign-reason": ""}
    )
    assert no_reason.status_code == 422 and '<a href="#reassign-reason">' in no_reason.text
    assert world.assignee(number) == officer
    moved = post_form(
        client,
        page,
        f"/officer/cases/{number}/reassign",
        {"officer": _other(officer), "reassign-reason": "Yuklama teng taqsimlanmoqda."},
    )
    assert moved.status_code == 303 and world.assignee(number) == _other(officer)
    after = client.get(f"/officer/cases/{number}", params={"lang": "en"})
    assert "Reassigned to another officer" in after.text and "Yuklama teng taqsimlanmoqda." in after.text


def test_an_officer_declares_a_conflict_and_is_kept_off_that_persons_cases(client: TestClient, world: World) -> None:
    sign_in(client, "toshhok.officer")
    form = client.get("/officer/conflicts", params={"lang": "en"})
    assert form.status_code == 200 and '<label for="pinfl">' in form.text
    bad = post_form(client, form, "/officer/conflicts", {"pinfl": "123", "reason": "Qo'shnim."})
    assert bad.status_code == 422 and '<a href="#pinfl">' in bad.text and 'value="123"' in bad.text
    unknown = post_form(client, form, "/officer/conflicts", {"pinfl": "0" * 14, "reason": "Qo'shnim."})
    assert unknown.status_code == 422
    declared = post_form(
        client, form, "/officer/conflicts", {"pinfl": world.pinfls["alice"], "reason": "Qo'shnim, biznes sherigim."}
    )
    assert declared.status_code == 303
    assert "Your declaration is recorded" in client.get(declared.headers["location"]).text
    number = _appeal(world)  # alice's next appeal is never routed to this officer
    assert world.assignee(number) != "toshhok.officer"
    sign_in(client, "alice")
    assert client.get("/officer/conflicts").status_code == 403  # citizens declare nothing


def test_the_queue_puts_my_cases_first_in_deadline_order(client: TestClient, world: World) -> None:
    numbers = [_appeal(world) for _ in range(4)]
    officer = world.assignee(numbers[-1])
    mine = {n for n in numbers if world.assignee(n) == officer}
    sign_in(client, officer)
    page = unescape(client.get("/officer", params={"mine_first": "1", "lang": "en"}).text)
    assert 'name="mine_first" value="1" checked' in page
    order = sorted(numbers, key=page.index)
    assert set(order[: len(mine)]) == mine and len(mine) < len(numbers)


def test_the_head_filters_the_queue_by_officer(client: TestClient, world: World) -> None:
    numbers = [_appeal(world) for _ in range(3)]
    officer = world.assignee(numbers[0])
    theirs = {n for n in numbers if world.assignee(n) == officer}
    sign_in(client, "toshhok.head")
    page = client.get("/officer", params={"assignee": officer, "lang": "en"})
    assert f'<option value="{officer}" selected>' in page.text
    assert {n for n in numbers if n in page.text} == theirs and len(theirs) < len(numbers)
    sign_in(client, officer)  # an officer is offered "me" and "unassigned", not colleagues
    assert f'<option value="{_other(officer)}">' not in client.get("/officer").text
