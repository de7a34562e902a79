"""The pages no other browser test walks through, each checked in a real Chromium by axe-core and our own
accessibility checks (tests/e2e/accessibility.py): the public statistics, the EGDI page, the transparency log,
the error page (a case that does not exist), the identity provider's sign-in page, consent screen, error and
signed-out messages, the citizen's case list and personal-data pages, and the integrity monitor of a body's
head."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.test_portal_pages import _context, _sign_in
from tests.factories import PASSWORD, World
from tests.integration.test_oidc import (  # noqa: F401 (provider: the fixture of a live identity provider)
    Provider,
    discover,
    provider,
    relying_party,
    start_flow,
)
from tests.integration.test_statistics_staff import _seed_findings


@pytest.mark.parametrize(
    ("login", "paths"),
    [
        (
            None,
            (
                "/statistics?lang=en",
                "/statistics/egdi?lang=ru",
                "/transparency?lang=uz",
                "/oauth/sign-in?next=/account&level=low&lang=en",
                "/integrity/findings?lang=en",
            ),
        ),
        (
            "alice",
            (
                "/cases",
                "/cases/TOSHHOK-2099-999999",
                "/my-data",
                "/my-data/export",
                "/my-data/rectification",
                "/oauth/end-session",
            ),
        ),
        ("toshhok.head", ("/integrity/findings", "/integrity/officers")),
    ],
)
def test_the_remaining_pages_pass_axe_and_our_checks(
    browser: Browser, portal: str, world: World, login: str | None, paths: tuple[str, ...]
) -> None:
    if login == "toshhok.head":
        _seed_findings(world)  # a findings table with rows
    context = _context(browser, portal)
    page = context.new_page()
    try:
        if login:
            _sign_in(page, login)
        for path in paths:
            page.goto(path)
            assert page.locator("h1").count() == 1, f"{path}: {page.content()[:300]}"
            assert_accessible(page)
    finally:
        context.close()


def test_the_identity_providers_consent_screen_and_its_error_page(
    browser: Browser,
    provider: Provider,  # noqa: F811 (the fixture imported above)
) -> None:
    """An agency's app asks for the person's data: the consent screen (scopes, claims, legal ground), then an
    authorisation request without parameters (the provider's error message)."""
    client = provider.register()
    flow = start_flow(relying_party(provider, client), discover(provider.base))
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(flow.url)
        page.get_by_label("Login or PINFL").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("(pinfl)")
        assert_accessible(page)
        page.goto(f"{provider.base}/oauth/authorize?lang=en")
        assert_accessible(page)
    finally:
        context.close()
