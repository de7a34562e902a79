"""Accessibility checks run inside the real Chromium page (axe-core is not available here, and nothing is
downloaded): the WCAG points a page can break by its structure — language, title, one h1 and no skipped
heading levels, landmarks, an accessible name for every control, link and button, unique ids, valid
aria-describedby targets, image alternatives, a skip link first, target sizes (2.5.8, 24 px), a visible
focus indicator — plus the landmarks as Chromium's own accessibility tree exposes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

STRUCTURE = (Path(__file__).parent / "accessibility.js").read_text()


def structure_problems(page: Page) -> list[str]:
    problems: list[str] = page.evaluate(STRUCTURE)
    return problems


def focus_problems(page: Page, presses: int = 12) -> list[str]:
    """Walk the page with Tab from the top: focus must start at the skip link and stay visible."""
    problems = []
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus()
    for index in range(presses):
        page.keyboard.press("Tab")
        focused: dict[str, Any] = page.evaluate(
            """() => { const el = document.activeElement; const style = getComputedStyle(el);
                return {tag: el.tagName, cls: el.className, outline: style.outlineStyle,
                        width: parseFloat(style.outlineWidth) || 0,
                        text: (el.textContent || el.name || "").trim()}; }"""
        )
        if index == 0 and "skip-link" not in str(focused["cls"]):
            problems.append(f"the first Tab focuses {focused['tag']} {focused['text']!r}, not the skip link")
        if focused["tag"] == "BODY":
            break
        if focused["outline"] == "none" or focused["width"] < 2:
            problems.append(f"no visible focus on {focused['tag']} {focused['text']!r}")
    return problems


def landmarks(page: Page) -> str:
    """Chromium's accessibility tree of the page, as Playwright's ARIA snapshot (YAML)."""
    return page.locator("body").aria_snapshot()


def assert_accessible(page: Page) -> None:
    problems = structure_problems(page) + focus_problems(page)
    tree = landmarks(page)
    for role in ("banner", "navigation", "main"):
        if f"- {role}" not in tree:
            problems.append(f"Chromium's accessibility tree has no {role} landmark")
    assert not problems, f"{page.url}: {problems}"
