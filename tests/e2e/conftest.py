"""A real Chromium (Debian's /usr/bin/chromium) driven by Playwright, and the app on a real uvicorn server.

Playwright's own browser download is never used. A missing Chromium, or a missing axe-core (the
accessibility engine scripts/system-deps --test installs into .cache/axe/), fails the tests (never skips
them), so a machine without them shows a red build. Screenshots go to SHAFFOF_TEST_ARTIFACTS (default
test-artifacts/ in the repository).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.web.app import create_app
from tests.e2e.accessibility import axe_source
from tests.factories import World
from tests.integration.test_live import serving

CHROMIUM = Path(os.environ.get("SHAFFOF_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("SHAFFOF_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


# Package scope, not session: Playwright's sync API keeps an event loop marked running in the main thread
# while it is open, which breaks later tests that call asyncio.run() (pyHanko's validation does).
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is required for the browser tests and is missing at {CHROMIUM} "
            "(scripts/system-deps --test installs Debian's chromium)",
            pytrace=False,
        )
    axe_source()  # fails the same way when axe-core is missing
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses its sandbox as root
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def portal(settings: Settings, database: Database, world: World) -> Iterator[str]:
    """The whole app on a real server (so EventSource streams work); its base URL."""
    app = create_app(settings.model_copy(update={"live_heartbeat_seconds": 0.5}), db=database)
    with serving(app) as url:
        yield url.replace("127.0.0.1", "localhost")  # a secure context: Secure cookies over plain HTTP


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = ARTIFACTS / "portal"
    path.mkdir(parents=True, exist_ok=True)
    return path
