"""The staff dashboard in a real Chromium: the head of a body signs in, reads the agency's figures and the
open integrity findings, follows a figure to the list of its cases and on to a case — every page passing the
accessibility checks, with and without JavaScript."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_portal_browser import ACTION_TIMEOUT_MS
from tests.factories import PASSWORD, World
from tests.integration.test_statistics_staff import _decide, _file, _seed_findings


def _sign_in(page: Page, login: str, lang: str) -> None:
    page.goto(f"/login?lang={lang}")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_head_follows_a_figure_down_to_a_case(browser: Browser, portal: str, world: World, artifacts: Path) -> None:
    decided = [_file(world) for _ in range(2)]
    for number in decided:
        _decide(world, number)
    _seed_findings(world)  # three more decided and closed cases, two of them at TOSHHOK, flagged unsigned
    for javascript in (True, False):
        context = browser.new_context(
            base_url=portal, viewport={"width": 1024, "height": 900}, java_script_enabled=javascript
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        try:
            _sign_in(page, "toshhok.head", "ru")
            with page.expect_navigation():
                page.locator('nav.site-nav a[href="/officer/statistics"]').click()
            expect(page.locator("h1")).to_have_text("Статистика ведомства")
            assert_accessible(page)
            expect(page.locator("#findings")).to_contain_text("Дело закрыто без подписанного ответа")
            decided_figure = page.locator("#figures a").nth(1)  # Received, then Decided
            expect(decided_figure).to_have_text("4")
            with page.expect_navigation():
                decided_figure.click()
            expect(page.locator("h1")).to_have_text("Решение принято")
            assert_accessible(page)
            expect(page.locator("#cases tbody tr")).to_have_count(4)
            if javascript:
                page.screenshot(path=str(artifacts / "staff-statistics-cases.png"), full_page=True)
            with page.expect_navigation():
                page.locator("#cases tbody a").first.click()
            expect(page.locator("h1")).to_contain_text("TOSHHOK-")
        finally:
            context.close()
