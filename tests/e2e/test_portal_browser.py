"""The portal in a real Chromium: the citizen's main path (keyboard sign-in → apply with a document → review →
submit → receipt → the status changes live when an officer acts in a second browser → decision download), the
officer's path, the language switch, the accessibility checks on every page visited, and the 320 px layout.
Screenshots of the key pages are saved as test artefacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.accessibility import assert_accessible
from tests.factories import PASSWORD, PDF, World

# Generous bounds: these machines are shared and often loaded; what is tested is that the change arrives
# without a reload, not how fast.
LIVE_TIMEOUT_MS = 45_000
ACTION_TIMEOUT_MS = 60_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)
WORDS = {
    "en": {"in_review": "In review", "decided": "Decided", "registered": "Your application has been registered"},
    "ru": {
        "in_review": "На рассмотрении",
        "decided": "Решение принято",
        "registered": "Ваше заявление зарегистрировано",
    },
    "uz": {
        "in_review": "Ko'rib chiqilmoqda",
        "decided": "Qaror qabul qilingan",
        "registered": "Arizangiz ro'yxatga olindi",
    },
}


def _context(browser: Browser, base: str) -> BrowserContext:
    context = browser.new_context(base_url=base, viewport={"width": 1024, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def _sign_in_by_keyboard(page: Page, login: str, lang: str) -> None:
    """Sign in with the keyboard only: the skip link, then Tab through the form, Enter to send."""
    page.goto(f"/login?lang={lang}")
    assert_accessible(page)
    page.locator("#login").focus()
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("header .who")).to_be_visible()


def _follow(page: Page, target: Locator) -> None:
    """Click something that loads a new page and wait until that page has loaded (no check runs mid-way)."""
    with page.expect_navigation():
        target.click()
    page.wait_for_load_state()


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["uz", "ru", "en"])
def test_citizen_and_officer_paths_with_a_live_update_in_each_language(
    browser: Browser, portal: str, world: World, artifacts: Path, lang: str, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["database"]
    citizen_context, officer_context = _context(browser, portal), _context(browser, portal)
    citizen, officer = citizen_context.new_page(), officer_context.new_page()
    try:
        _sign_in_by_keyboard(citizen, "alice", lang)
        citizen.goto("/")
        assert_accessible(citizen)
        _follow(citizen, citizen.locator('a[href="/services/appeal-to-hokimiyat"]'))
        assert_accessible(citizen)
        _follow(citizen, citizen.locator('a[href="/services/appeal-to-hokimiyat/apply"]'))
        assert_accessible(citizen)
        # First a mistake: the errors are summarised, linked to their fields, and what was typed stays.
        citizen.locator("#f-subject").fill("abc")
        _follow(citizen, citizen.locator("form button[type=submit]").last)
        summary = citizen.locator("#error-summary")
        expect(summary).to_be_visible()
        assert_accessible(citizen)
        summary.locator('a[href="#f-subject"]').click()
        expect(citizen.locator("#f-subject")).to_be_focused()
        expect(citizen.locator("#f-subject")).to_have_value("abc")
        if lang == "en":
            _shot(citizen, artifacts, f"apply-errors-{backend}")
        citizen.locator("#agency").select_option("TOSHHOK")
        citizen.locator("#f-topic").select_option("roads_transport")
        citizen.locator("#f-subject").fill("Ko'cha chiroqlari yonmayapti")
        citizen.locator("#f-text").fill("Yunusobod tumani, 4-kvartal, 12-uy oldidagi ko'cha chiroqlari yonmayapti.")
        citizen.locator("#doc-supporting_file").set_input_files(
            {"name": "photo.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        _follow(citizen, citizen.locator("form button[type=submit]").last)
        assert_accessible(citizen)  # the review page
        _follow(citizen, citizen.locator('form[action$="/submit"] button[type=submit]'))
        expect(citizen.locator("h1")).to_have_text(WORDS[lang]["registered"])
        assert_accessible(citizen)
        number = citizen.locator(".number").inner_text().strip()
        assert re.fullmatch(r"TOSHHOK-\d{4}-\d{6}", number)
        _shot(citizen, artifacts, f"receipt-{lang}-{backend}")

        citizen.goto(f"/cases/{number}")
        assert_accessible(citizen)
        expect(citizen.locator("html")).to_have_attribute("data-live", "connected")

        _sign_in_by_keyboard(officer, "toshhok.officer", lang)
        expect(officer.locator(f'a[href="/officer/cases/{number}"]')).to_be_visible()  # the queue
        assert_accessible(officer)
        _shot(officer, artifacts, f"queue-{lang}-{backend}")
        _follow(officer, officer.locator(f'a[href="/officer/cases/{number}"]'))
        assert_accessible(officer)
        _follow(officer, officer.locator(f'form[action="/officer/cases/{number}/take"] button'))

        # The citizen's page changes without a reload, and the change is announced.
        expect(citizen.locator("#case-state")).to_have_text(WORDS[lang]["in_review"], timeout=LIVE_TIMEOUT_MS)
        expect(citizen.locator("#live-status")).to_contain_text(WORDS[lang]["in_review"])

        officer.locator("#outcome").select_option("approved")
        officer.locator("#reason").fill("The street lights were repaired on the same day.")
        _follow(officer, officer.locator(f'form[action="/officer/cases/{number}/decide"] button'))
        assert_accessible(officer)
        _shot(officer, artifacts, f"officer-case-{lang}-{backend}")
        expect(citizen.locator("#case-state")).to_have_text(WORDS[lang]["decided"], timeout=LIVE_TIMEOUT_MS)

        # The worker seals the decision; the citizen downloads it and finds the verification link.
        platform = world.platform
        platform.pki.initialise()
        platform.pki.issue_eseal(None, "TOSHHOK")
        assert platform.issue_decisions() == 1
        citizen.reload()
        assert_accessible(citizen)
        _shot(citizen, artifacts, f"decided-case-{lang}-{backend}")
        with citizen.expect_download() as download_info:
            citizen.locator('a[download][href*="/documents/"]', has_text="qaror").click()
        download = download_info.value
        assert Path(download.path()).read_bytes().startswith(b"%PDF")
        expect(citizen.locator(f'a[href="/verify?case={number}"]')).to_be_visible()
    finally:
        citizen_context.close()
        officer_context.close()


def test_the_language_switch_is_on_every_page_and_remembered(browser: Browser, portal: str, world: World) -> None:
    context = browser.new_context(base_url=portal, locale="uz-UZ")  # an Uzbek browser: Accept-Language uz
    page = context.new_page()
    try:
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", "uz")
        expect(page.locator("h1")).to_have_text("Shaffof — davlat xizmatlari")
        _follow(page, page.locator('nav[aria-label="Til"] a[hreflang="ru"]'))
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("h1")).to_have_text("Shaffof — государственные услуги")
        _follow(page, page.locator('header a[href="/login"]'))
        expect(page.locator("h1")).to_have_text("Войти")  # remembered across pages
        assert_accessible(page)
        _follow(page, page.locator('nav[aria-label="Язык"] a[hreflang="en"]'))
        expect(page.locator("h1")).to_have_text("Sign in")
        for path in ("/", "/services/general-ariza", "/verify", "/deadlines"):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            assert_accessible(page)
    finally:
        context.close()


def test_pages_fit_a_320_pixel_screen_and_work_without_javascript(
    browser: Browser, portal: str, world: World, artifacts: Path
) -> None:
    context = browser.new_context(base_url=portal, viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login?lang=en")
        page.locator("#login").fill("toshhok.head")
        page.locator("#password").fill(PASSWORD)
        _follow(page, page.locator("main form button[type=submit]"))
        for path in (
            "/",
            "/services/appeal-to-hokimiyat",
            "/services/appeal-to-hokimiyat/apply",
            "/officer",
            "/officer/board",
            "/inbox",
            "/account",
        ):
            page.goto(path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            wide = page.evaluate(
                "() => Array.from(document.querySelectorAll('main *'))"
                ".filter(e => e.getBoundingClientRect().right > 321)"
                ".map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"
            )
            assert width <= 320, f"{path} is {width}px wide at a 320px viewport: {wide}"
            assert_accessible(page)
        _shot(page, artifacts, "board-320px")
    finally:
        context.close()
