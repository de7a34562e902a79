"""The consents page in a real Chromium: a person gives a consent (after an error summary sends them to the
field at fault), downloads the signed receipt and withdraws the consent — the accessibility checks pass on
every state of the page, and the mediator refuses the next query that relied on the consent."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect

from shaffof.mediator import signing
from shaffof.mediator.errors import ConsentMissing
from shaffof.privacy import receipts
from shaffof.privacy.models import Consent
from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_portal_browser import _context, _follow, _shot, _sign_in_by_keyboard
from tests.factories import World
from tests.integration import registry_data
from tests.integration.test_personal_data import request_body


def test_a_person_gives_and_withdraws_a_consent_on_the_consents_page(
    browser: Browser, portal: str, world: World, artifacts: Path, tmp_path: Path
) -> None:
    people = registry_data.load(world)
    world.platform.pki.initialise()
    system, key, key_id = registry_data.agency_system(world, "PENSIYA")

    def pension_fund_query() -> None:
        body = request_body(people["alice"], purpose="pension-statement", categories=["identity", "documents"])
        raw = json.dumps(body).encode()
        signature = signing.sign(key, "population", "documents", raw)
        world.platform.mediator.query(system, "population", "documents", raw, key_id=key_id, signature=signature)

    context = _context(browser, portal)
    page = context.new_page()
    try:
        _sign_in_by_keyboard(page, "alice", "en")
        page.goto("/my-data/consents?lang=en")
        assert_accessible(page)
        expect(page.locator("h1")).to_have_text("My consents")

        page.locator("#recipient").select_option("PENSIYA")
        page.locator("#purpose").fill("pension-statement")
        page.locator("#days").fill("30")
        _follow(page, page.get_by_role("button", name="Give consent"))
        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("Choose at least one kind of data.")
        assert_accessible(page)
        summary.get_by_role("link", name="Choose at least one kind of data.").click()
        expect(page.locator("#categories")).to_be_in_viewport()

        page.get_by_label("identity", exact=True).check()
        page.get_by_label("identity documents").check()
        _follow(page, page.get_by_role("button", name="Give consent"))
        row = page.locator("table tbody tr", has_text="pension-statement")
        expect(row).to_contain_text("in force")
        assert_accessible(page)
        _shot(page, artifacts, "consents-given")

        with page.expect_download() as download:
            row.get_by_role("link", name="Signed receipt").click()
        saved = tmp_path / "receipt.json"
        download.value.save_as(saved)
        kept = json.loads(saved.read_text())
        receipts.verify(world.platform.pki, base64.b64decode(kept["timestamp_token"]), bytes.fromhex(kept["sha256"]))

        pension_fund_query()  # served: the consent is in force

        _follow(page, row.get_by_role("button", name="Withdraw"))
        expect(page.locator("table tbody tr", has_text="pension-statement")).to_contain_text("withdrawn")
        expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)
        assert_accessible(page)
        _shot(page, artifacts, "consents-withdrawn")
    finally:
        context.close()
    with world.platform.db.reading() as session:
        [withdrawn_at] = session.scalars(sa.select(Consent.withdrawn_at)).all()
    assert withdrawn_at is not None
    with pytest.raises(ConsentMissing):  # the next query that relied on the consent is refused
        pension_fund_query()
