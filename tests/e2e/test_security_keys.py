"""The security-key script in a real browser: Debian's Chromium (driven by Playwright) with a virtual WebAuthn
authenticator (Chrome DevTools Protocol), against a live server on loopback. A person adds a key on the
security page, signs out, and signs in again with password and key — no TOTP code typed the second time.

WebAuthn refuses IP addresses as relying-party ids, so the server is addressed as ``localhost``.
"""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Browser, Page

from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.platform import Platform
from tests.e2e.accessibility import assert_accessible
from tests.factories import PASSWORD, World
from tests.integration.test_live import free_port, serving
from tests.integration.test_oidc import provider_app
from tests.integration.test_pki_cloud import Clock


def sign_in(page: Page, base: str, next_path: str, level: str = "low") -> None:
    page.goto(f"{base}/oauth/sign-in?next={next_path}&level={level}&lang=en")
    page.get_by_label("Login or PINFL").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_a_person_adds_a_security_key_and_signs_in_with_it(
    browser: Browser, settings: Settings, database: Database, world: World
) -> None:
    port = free_port()
    base = f"http://localhost:{port}"
    app = provider_app(settings, database, base)
    platform: Platform = app.state.platform
    clock = Clock()
    platform.oidc.clock = platform.pki.clock = clock
    with serving(app, port):
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        # Password, then the authenticator app (enrolled on the security page), then a security key.
        sign_in(page, base, "/account")
        page.get_by_role("button", name="Connect an app").click()
        page.wait_for_load_state("load")
        assert_accessible(page)  # the enrolment page: the secret and its QR code
        secret = re.search(r"[A-Z2-7]{16,}", page.locator("code").first.inner_text()).group(0)
        page.get_by_label("Authenticator code or recovery code").fill(pyotp.TOTP(secret).at(clock.now))
        page.get_by_role("button", name="Continue").click()
        clock.step()
        page.goto(f"{base}/oauth/sign-in?next=/account&level=substantial&lang=en")
        page.get_by_label("Authenticator code or recovery code").fill(pyotp.TOTP(secret).at(clock.now))
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Name of the key").fill("Virtual key")
        page.get_by_role("button", name="Add a key").click()
        page.wait_for_load_state("load")
        page.get_by_role("cell", name=re.compile("Security key added")).wait_for(timeout=15_000)
        assert_accessible(page)  # the account page listing the key

        # Sign out (our confirmation form), then in again: the key answers the second-factor step.
        page.goto(f"{base}/oauth/end-session")
        page.get_by_role("main").get_by_role("button", name="Sign out").click()
        sign_in(page, base, "/account", level="substantial")
        assert page.get_by_label("Authenticator code or recovery code").is_visible()
        assert_accessible(page)  # the second-factor step
        page.get_by_role("button", name="Use a security key").click()
        page.wait_for_url(f"{base}/account", timeout=15_000)
        assert page.get_by_role("cell", name=re.compile("security key Virtual key")).count() == 1
        context.close()
