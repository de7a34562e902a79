"""The pages of automated decisions in a real Chromium: the citizen's decision record, and the officer's review
page — an error summary followed to its field, the replacement recorded, the second officer's approval in a
second browser — each page passing the accessibility checks. Screenshots are saved as test artefacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_portal_browser import _context, _follow, _shot, _sign_in_by_keyboard
from tests.factories import World, token
from tests.integration import registry_data
from tests.integration.test_automation import SMALL_FAMILY, _apply
from tests.integration.test_automation_review import _second_officer


def test_the_decision_record_and_the_review_page_with_four_eyes_in_a_browser(
    browser: Browser, portal: str, client: TestClient, world: World, artifacts: Path, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["database"]
    platform = world.platform
    platform.pki.initialise()
    registry_data.load(world)
    _second_officer(world)
    alice = token(client, "alice")
    number = _apply(client, alice, SMALL_FAMILY)
    assert platform.advance_automation().by_status == {"decided": 1}
    contested = client.post(f"/api/v1/cases/{number}/contest", json={"reason": "Oilamda nogiron bor"}, headers=alice)
    review = contested.json()["registration_number"]

    citizen_context, first_context, second_context = (_context(browser, portal) for _ in range(3))
    citizen, first, second = citizen_context.new_page(), first_context.new_page(), second_context.new_page()
    try:
        _sign_in_by_keyboard(citizen, "alice", "en")
        citizen.goto(f"/cases/{number}")
        _follow(citizen, citizen.locator(f'a[href="/cases/{number}/trace"]'))
        assert_accessible(citizen)
        expect(citizen.locator("#rules-title")).to_be_visible()
        expect(citizen.locator("#illustrative-notice")).to_contain_text("DEMO-NAFAQA")
        _shot(citizen, artifacts, f"decision-record-{backend}")

        _sign_in_by_keyboard(first, "vazirlar.officer", "en")
        first.goto(f"/officer/cases/{review}")
        _follow(first, first.locator(f'form[action="/officer/cases/{review}/take"] button'))
        _follow(first, first.locator(f'a[href="/officer/reviews/{review}"]'))
        assert_accessible(first)
        # A replacement without its outcome: the summary links to the field, which takes the focus.
        first.locator("#result").select_option("replaced")
        first.locator("#reason").fill("Oilada nogironligi bor shaxs borligi tasdiqlandi")
        _follow(first, first.locator(f'form[action="/officer/reviews/{review}/review"] button'))
        summary = first.locator("#error-summary")
        expect(summary).to_be_visible()
        assert_accessible(first)
        summary.locator('a[href="#outcome"]').click()
        expect(first.locator("#outcome")).to_be_focused()
        expect(first.locator("#reason")).to_have_value("Oilada nogironligi bor shaxs borligi tasdiqlandi")
        first.locator("#outcome").select_option("approved")
        _follow(first, first.locator(f'form[action="/officer/reviews/{review}/review"] button'))
        expect(first.locator("#review-result")).to_contain_text("Awaiting a second officer's approval")
        assert_accessible(first)
        _shot(first, artifacts, f"review-awaiting-{backend}")

        _sign_in_by_keyboard(second, "vazirlar.officer2", "en")
        second.goto(f"/officer/reviews/{review}")
        assert_accessible(second)
        _follow(second, second.locator(f'form[action="/officer/reviews/{review}/approve"] button'))
        expect(second.locator("#review-result")).to_contain_text("In effect")
        assert_accessible(second)

        citizen.reload()
        expect(citizen.locator("#review-title")).to_be_visible()
        expect(citizen.locator("main")).to_contain_text("The officer replaced the outcome")
        assert_accessible(citizen)
    finally:
        for context in (citizen_context, first_context, second_context):
            context.close()
