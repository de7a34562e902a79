"""The later portal pages in a real Chromium: a keyboard-only walk through the citizen's main path (Tab and
Enter, the focus visible at every stop), the in-page accessibility checks on every new page (four-eyes
approval, reassignment, conflict declaration, rating, decision, about, help, the admin pages), and the print
styles of the receipt and the decision (printed to PDF by Chromium, the menus left out). Screenshots and the
printed PDFs are saved as test artefacts."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, expect

from shaffof.cases.models import Outcome
from shaffof.cases.schemas import CaseSubmit
from tests.e2e.accessibility import assert_accessible
from tests.factories import APPEAL_FORM, PASSWORD, World, token
from tests.integration.test_integrity import (  # noqa: F401 (land_world: the fixture of land officers)
    file_land_claim,
    land_world,
)

ACTION_TIMEOUT_MS = 60_000
FOCUS = """(selector) => { const el = document.activeElement; const style = getComputedStyle(el);
    return {match: el.matches(selector), tag: el.tagName, text: (el.textContent || el.name || el.id || "").trim(),
            outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0}; }"""


def _context(browser: Browser, base: str) -> BrowserContext:
    context = browser.new_context(base_url=base, viewport={"width": 1024, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus reaches ``selector``; every element passed on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS, selector)
        if focused["tag"] != "BODY":
            assert focused["outline"] != "none" and focused["width"] >= 2, f"focus not visible: {focused}"
        if focused["match"]:
            return
    raise AssertionError(f"{page.url}: Tab never reached {selector}")


def _enter(page: Page) -> None:
    """Press Enter on the focused link or button, and wait for the page it loads."""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def _sign_in(page: Page, login: str, lang: str = "en") -> None:
    page.goto(f"/login?lang={lang}")
    page.locator("#login").fill(login)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("header .who")).to_be_visible()


def _visit(page: Page, path: str, artifacts: Path | None = None, name: str = "") -> None:
    page.goto(path)
    assert_accessible(page)
    if artifacts is not None:
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def _printed(page: Page, artifacts: Path, name: str) -> None:
    """Print media: the navigation, language switch and forms are gone; the PDF Chromium prints is kept."""
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.site-nav', '.languages', '.account', 'footer', '.skip-link']
            .map(s => document.querySelector(s)).filter(Boolean)
            .every(el => getComputedStyle(el).display === 'none')"""
    )
    assert hidden, f"{page.url}: the menus show in print"
    page.pdf(path=str(artifacts / f"{name}.pdf"), print_background=True)
    assert (artifacts / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    page.emulate_media(media="screen")


def test_the_citizens_main_path_by_keyboard_alone_with_the_focus_visible(
    browser: Browser, portal: str, world: World, artifacts: Path
) -> None:
    context = _context(browser, portal)
    page = context.new_page()
    try:
        page.goto("/login?lang=en")
        _tab_to(page, ".skip-link")
        _tab_to(page, "#login")
        page.keyboard.type("alice")
        _tab_to(page, "#password")
        page.keyboard.type(PASSWORD)
        _enter(page)
        expect(page.locator("header .who")).to_be_visible()  # on "my cases"
        _tab_to(page, '.site-nav a[href="/"]')
        _enter(page)
        _tab_to(page, 'main a[href="/services/general-ariza"]', limit=200)
        _enter(page)
        _tab_to(page, 'main a[href="/services/general-ariza/apply"]')
        _enter(page)
        _tab_to(page, "#agency")
        page.keyboard.press("ArrowDown")  # the first body on the list
        expect(page.locator("#agency")).not_to_have_value("")
        _tab_to(page, "#f-subject")
        page.keyboard.type("Yo'l ta'miri")
        _tab_to(page, "#f-text")
        page.keyboard.type("Mahallamizdagi yo'lni ta'mirlashni so'rayman, chuqurlar ko'p.")
        _tab_to(page, "main form button[type=submit]")
        _enter(page)  # the review page
        expect(page.locator("h1")).to_have_text("Check your answers")
        _tab_to(page, 'form[action$="/submit"] button[type=submit]')
        _enter(page)
        expect(page.locator("h1")).to_have_text("Your application has been registered")
        number = page.locator(".number").inner_text().strip()
        assert re.fullmatch(r"[A-Z]+-\d{4}-\d{6}", number)
        _printed(page, artifacts, "receipt-print")
        _tab_to(page, f'main a[href="/cases/{number}"]')
        _enter(page)
        expect(page.locator("#case-state")).to_have_text("Registered")
        page.screenshot(path=str(artifacts / "keyboard-case.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.usefixtures("land_world")
def test_the_officers_integrity_pages_pass_the_checks(
    browser: Browser, portal: str, world: World, client: TestClient, artifacts: Path
) -> None:
    number = file_land_claim(client, token(client, "alice"))
    proposer = world.assignee(number)
    second = "toshhok.officer2" if proposer == "toshhok.officer" else "toshhok.officer"
    cases = world.platform.cases
    cases.take(world.actors[proposer], number)
    cases.decide(world.actors[proposer], number, Outcome.approved, "Barcha shartlar bajarilgan.")
    appeal = cases.submit(
        world.actors["bob"], CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
    ).case.registration_number
    context = _context(browser, portal)
    page = context.new_page()
    try:
        _sign_in(page, second)
        _visit(page, "/officer?mine_first=1")
        expect(page.locator("main")).to_contain_text("Awaiting approval")
        _visit(page, f"/officer/cases/{number}", artifacts, "four-eyes-approval")
        page.locator("#send-back-reason").fill("")
        with page.expect_navigation():
            page.locator(f'form[action="/officer/cases/{number}/send-back"] button').click()
        expect(page.locator("#error-summary")).to_be_visible()
        assert_accessible(page)
        _visit(page, "/officer/conflicts", artifacts, "conflict-declaration")
        context.clear_cookies()
        _sign_in(page, "toshhok.head")
        _visit(page, f"/officer/cases/{appeal}", artifacts, "head-reassign")
        expect(page.locator("#officer")).to_be_visible()
    finally:
        context.close()


def test_the_citizens_answer_and_the_public_pages_pass_the_checks(
    browser: Browser, portal: str, world: World, artifacts: Path
) -> None:
    world.platform.pki.initialise()
    world.platform.pki.issue_eseal(None, "TOSHHOK")
    cases = world.platform.cases
    number = cases.submit(
        world.actors["alice"], CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
    ).case.registration_number
    officer = world.actors[world.assignee(number)]
    cases.take(officer, number)
    cases.decide(officer, number, Outcome.approved, "Ko'cha chiroqlari tuzatildi.")
    assert world.platform.issue_decisions() == 1
    context = _context(browser, portal)
    page = context.new_page()
    try:
        for path in ("/about?lang=uz", "/help?lang=ru", "/about?lang=en"):
            _visit(page, path)
        page.screenshot(path=str(artifacts / "about.png"), full_page=True)
        _sign_in(page, "alice")
        _visit(page, f"/cases/{number}", artifacts, "rate-the-answer")
        with page.expect_navigation():
            page.locator(f'form[action="/cases/{number}/rating"] button').click()
        expect(page.locator('#error-summary a[href="#score-1"]')).to_be_visible()
        assert_accessible(page)
        page.locator("#score-5").check()
        page.locator("#comment").fill("Tez va aniq javob.")
        with page.expect_navigation():
            page.locator(f'form[action="/cases/{number}/rating"] button').click()
        expect(page.locator("#rating")).to_contain_text("5")  # the redirect lands on #rating
        _visit(page, f"/cases/{number}")  # checked from the top (a fragment moves where Tab starts)
        _visit(page, f"/cases/{number}/decision", artifacts, "decision")
        expect(page.locator(f'main a[href="/verify?case={number}"]')).to_be_visible()
        _printed(page, artifacts, "decision-print")
        with page.expect_download() as download_info:
            page.locator('main a[download][href*="/documents/"]').click()
        assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()


def test_the_admin_pages_pass_the_checks(browser: Browser, portal: str, world: World, artifacts: Path) -> None:
    context = _context(browser, portal)
    page = context.new_page()
    try:
        _sign_in(page, "admin")
        for path in ("/admin", "/admin/agencies", "/admin/users", "/admin/calendar"):
            _visit(page, path)
        page.screenshot(path=str(artifacts / "admin-calendar.png"), full_page=True)
        _visit(page, "/admin/packages")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("agencies.yaml", "agencies: []\n")
            archive.writestr("broken/service.yaml", "code: broken\n")
        page.locator("#package").set_input_files(
            {"name": "catalogue.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}
        )
        with page.expect_navigation():
            page.locator('button[value="check"]').click()
        expect(page.locator("#error-summary table")).to_contain_text("broken/service.yaml")
        assert_accessible(page)
        page.screenshot(path=str(artifacts / "admin-package-problems.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("login", "paths"),
    [
        (None, ("/about", "/help")),
        ("toshhok.officer", ("/officer?mine_first=1", "/officer/conflicts")),
        ("admin", ("/admin", "/admin/agencies", "/admin/users", "/admin/packages", "/admin/calendar")),
    ],
)
def test_the_new_pages_fit_320_pixels_without_javascript(
    browser: Browser, portal: str, world: World, login: str | None, paths: tuple[str, ...]
) -> None:
    context = browser.new_context(base_url=portal, viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    try:
        if login:
            _sign_in(page, login)
        for path in paths:
            page.goto(path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320, f"{path} is {width}px wide at a 320px viewport"
            assert_accessible(page)
    finally:
        context.close()
