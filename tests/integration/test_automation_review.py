"""The child allowance end to end over HTTP, as the issue's "done when" reads: a citizen applies; the worker's
pass fetches the family from the population registry through the information mediator and decides; the
decision is sealed with the reasons and the norms; the citizen reads the record in the portal and contests;
an officer of the higher body reviews with the trace on the portal's review page and changes the outcome; the
change is a reversal, so a second officer sends it back once and then approves it (four-eyes)."""

from __future__ import annotations

import io
import re
from html import unescape

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PdfReader

from shaffof.identity import service as identity
from shaffof.identity.models import Role
from shaffof.mediator.models import MessageLogEntry
from shaffof.privacy.models import AccessChannel, AccessRecord
from tests.factories import PASSWORD, World, token
from tests.integration import registry_data
from tests.integration.portal.pages import post_form, sign_in
from tests.integration.test_automation import SMALL_FAMILY, _apply


def _second_officer(world: World) -> None:
    with world.platform.db.uow() as uow:
        identity.create_account(
            uow, world.platform.passwords, login="vazirlar.officer2", password=PASSWORD, role=Role.officer,
            display_name="Vazirlar Officer2", agency_id=world.agencies["VAZIRLAR"],
        )  # fmt: skip
        uow.commit()


def test_apply_decide_through_the_mediator_seal_contest_review_on_the_page_and_approve(
    client: TestClient, world: World
) -> None:
    platform = world.platform
    platform.pki.initialise()
    platform.pki.issue_eseal(None, "IJTIMOIY")
    registry_data.load(world)
    _second_officer(world)

    # 1. Apply (signed, over the API); one worker pass decides it.
    number = _apply(client, token(client, "alice"), SMALL_FAMILY)
    assert platform.advance_automation().by_status == {"decided": 1}

    # 2. The family came from the population registry through the mediator: a served message for this case,
    #    and alice's data tracker holds the automated read.
    with platform.db.reading() as session:
        [message] = session.scalars(sa.select(MessageLogEntry).where(MessageLogEntry.case_number == number)).all()
        [read] = session.scalars(sa.select(AccessRecord).where(AccessRecord.message_id == message.id)).all()
    assert (message.registry_code, message.service, message.outcome.value) == ("population", "family", "served")
    assert read.channel is AccessChannel.automated and read.subject_pinfl == world.pinfls["alice"]

    # 3. Sealed with the agency's e-seal; the PDF gives the reasons and the rule set the rule cites.
    assert platform.issue_decisions() == 1
    sign_in(client, "alice")
    case = client.get(f"/cases/{number}", params={"lang": "en"})
    assert case.status_code == 200
    assert f'href="/cases/{number}/trace"' in case.text  # the portal links the decision record
    alice = token(client, "alice")
    decided = client.get(f"/api/v1/cases/{number}", headers=alice).json()
    [document] = [d for d in decided["documents"] if d["document_type"] == "decision"]
    pdf = client.get(f"/cases/{number}/documents/{document['sha256']}").content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "DEMO-NAFAQA" in text and "Oilada 3 kishidan kam" in text
    assert [s["format"] for s in decided["signatures"] if s["purpose"] == "decision"] == ["pades"]

    # 4. The citizen's decision record in the portal's look: rules with norms, inputs with their sources.
    record = client.get(f"/cases/{number}/trace", params={"lang": "en"})
    html = unescape(record.text)
    assert record.status_code == 200 and "Why the automated decision came out this way" in html
    assert "The family has fewer than 3 members and no member with a disability." in html
    assert "Illustrative rule set, not a norm of law" in html and "DEMO-NAFAQA" in html
    assert "Registry, through the information mediator: population registry, family" in html
    assert f"(mediator message {message.id})" in html
    russian = unescape(client.get(f"/cases/{number}/trace", params={"lang": "ru"}).text)
    assert "Основания автоматического решения" in russian and "Демонстрационный набор правил" in russian

    # 5. Contest from the case page: a review case opens at the higher body.
    contested = post_form(client, case, f"/cases/{number}/contest", {"reason": "Oilamda nogironligi bor shaxs bor"})
    assert contested.status_code == 303
    review = contested.headers["location"].split("/")[2]
    assert review.startswith("VAZIRLAR-")

    # 6. The officer it is assigned to takes it and reviews on the page, with the trace before them.
    sign_in(client, "vazirlar.officer")
    officer_case = client.get(f"/officer/cases/{review}", params={"lang": "en"})
    assert f'href="/officer/reviews/{review}"' in officer_case.text
    assert post_form(client, officer_case, f"/officer/cases/{review}/take", {}).status_code == 303
    with platform.db.reading() as session:
        seen_before = session.scalar(
            sa.select(sa.func.count()).where(AccessRecord.subject_pinfl == world.pinfls["alice"])
        )
    page = client.get(f"/officer/reviews/{review}", params={"lang": "en"})
    html = unescape(page.text)
    with platform.db.reading() as session:  # the officer saw alice's inputs: her data tracker says so
        officer_reads = session.scalars(
            sa.select(AccessRecord)
            .where(AccessRecord.subject_pinfl == world.pinfls["alice"])
            .order_by(AccessRecord.at, AccessRecord.id)
        ).all()[seen_before:]
    assert {r.case_number for r in officer_reads} >= {number}
    assert all(r.agency_id == world.agencies["VAZIRLAR"] for r in officer_reads)
    assert page.status_code == 200 and "Review of an automated decision" in html
    assert "Rule_small_family" in html and "DEMO-NAFAQA" in html and "Illustrative rule set" in html
    assert "<code>children_under_18</code>" in html and "Registry, through the information mediator" in html
    assert "Confirm or replace the outcome" in html
    # a replacement without its new outcome: the error names the field and links to it; nothing is recorded
    missing = post_form(
        client, page, f"/officer/reviews/{review}/review", {"result": "replaced", "reason": "Tekshirildi"}
    )
    assert missing.status_code == 422
    assert 'href="#outcome"' in missing.text and 'aria-invalid="true"' in missing.text
    assert client.get(f"/api/v1/cases/{number}/trace", headers=alice).json()["review"] is None
    body = {"result": "replaced", "outcome": "approved", "reason": "Oilada nogironligi bor shaxs borligi tasdiqlandi"}
    assert post_form(client, page, f"/officer/reviews/{review}/review", body).status_code == 303
    waiting = unescape(client.get(f"/officer/reviews/{review}", params={"lang": "en"}).text)
    assert "Awaiting a second officer's approval" in waiting
    assert f'action="/officer/reviews/{review}/approve"' not in waiting  # not for the officer who proposed it

    # 7. The second officer sends it back once (the reason is required), then the first reviews again.
    sign_in(client, "vazirlar.officer2")
    second = client.get(f"/officer/reviews/{review}", params={"lang": "en"})
    assert f'action="/officer/reviews/{review}/approve"' in second.text
    empty = post_form(client, second, f"/officer/reviews/{review}/send-back", {"send-back-reason": ""})
    assert empty.status_code == 422 and 'href="#send-back-reason"' in empty.text
    reason = "Nogironlik haqidagi maʼlumotnomani ilova qiling"
    assert (
        post_form(client, second, f"/officer/reviews/{review}/send-back", {"send-back-reason": reason}).status_code
        == 303
    )
    sign_in(client, "vazirlar.officer")
    again = client.get(f"/officer/reviews/{review}", params={"lang": "en"})
    assert "Sent back by the second officer" in unescape(again.text) and reason in unescape(again.text)
    assert post_form(client, again, f"/officer/reviews/{review}/review", body).status_code == 303

    # 8. The second officer approves: the review case is decided with the new outcome.
    sign_in(client, "vazirlar.officer2")
    second = client.get(f"/officer/reviews/{review}", params={"lang": "en"})
    assert post_form(client, second, f"/officer/reviews/{review}/approve", {}).status_code == 303
    done = unescape(client.get(f"/officer/reviews/{review}", params={"lang": "en"}).text)
    assert "In effect" in done and "Confirm or replace the outcome" not in done
    review_case = client.get(f"/api/v1/cases/{review}", headers=alice).json()
    assert review_case["state"] == "decided" and review_case["outcome"] == "approved"
    sign_in(client, "alice")
    told = re.sub(r"<[^>]+>", "", unescape(client.get(f"/cases/{number}/trace", params={"lang": "en"}).text))
    assert "The officer replaced the outcome: Approved" in told and "a second officer must approve" not in told
