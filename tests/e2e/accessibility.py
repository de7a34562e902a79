"""Accessibility checks run inside the real Chromium page.

axe-core (Deque's engine, installed by ``scripts/system-deps --test`` into ``.cache/axe/``; nothing is
downloaded while the tests run) checks every page against its WCAG 2.0/2.1/2.2 A and AA rules, colour contrast
included; a page must have no violation. Our own checks run as well: the WCAG points a page can break by its
structure — language, title, one h1 and no skipped heading levels, landmarks, an accessible name for every
control, link and button, unique ids, valid aria-describedby targets, image alternatives, a skip link first,
target sizes (2.5.8, 24 px), a visible focus indicator — plus the landmarks as Chromium's own accessibility
tree exposes them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route

STRUCTURE = (Path(__file__).parent / "accessibility.js").read_text()
AXE_VERSION = "4.14.1"  # the version scripts/system-deps installs
AXE = Path(
    os.environ.get(
        "SHAFFOF_AXE",
        Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js",
    )
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe.min.js defines window.axe when run as a script. It is evaluated through the DevTools protocol, which the
# pages' Content-Security-Policy (no inline scripts) does not govern, so the check runs on the page as served.
AXE_RUN = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
        nodes: v.nodes.map((n) => ({target: n.target.map(String).join(" "), summary: n.failureSummary}))}));
}"""


def axe_source() -> str:
    """axe.min.js as scripts/system-deps installed it; missing, the test fails (never skips)."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core {AXE_VERSION} is required for the browser tests' accessibility checks and is missing at "
            f"{AXE} (scripts/system-deps --test installs it with npm)",
            pytrace=False,
        )
    return AXE.read_text()


# Whether the page runs scripts: the HTML fragment parser keeps <noscript> content as elements only when
# scripting is off.
SCRIPTING = """() => { const d = document.createElement("div"); d.innerHTML = "<noscript><p></p></noscript>";
    return d.firstChild.children.length === 0; }"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of the WCAG A and AA rules on the page as it is now."""
    if not page.evaluate(SCRIPTING):
        return _axe_without_javascript(page)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"(() => {{ {axe_source()}\n }})()")
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN, AXE_TAGS)
    return violations


def _axe_without_javascript(page: Page) -> list[dict[str, Any]]:
    """axe needs scripts (its checks are promises); in a context without JavaScript the page's DOM is checked
    in a scripted copy instead: the same URL, viewport, cookies and response headers (its CSP), the body
    replaced by the DOM the scriptless page shows (<noscript> content kept visible) and the page's own scripts
    refused, so the copy looks exactly like the page without JavaScript."""
    browser = page.context.browser
    assert browser is not None
    url = page.url
    html = re.sub(r"</?noscript\b[^>]*>", "", page.content(), flags=re.IGNORECASE)

    def document(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, status=200, body=html)

    copy = browser.new_context(
        viewport=page.viewport_size, storage_state=page.context.storage_state(), java_script_enabled=True
    )
    try:
        scripted = copy.new_page()
        scripted.route(lambda address: address == url, document)
        scripted.route(re.compile(r"\.m?js(\?.*)?$"), lambda route: route.abort())
        scripted.goto(url)
        return axe_violations(scripted)
    finally:
        copy.close()


def describe_violations(violations: list[dict[str, Any]], shown: int = 3) -> list[str]:
    """One readable line per violated rule: id, impact, help, and the first few elements (CSS selectors)."""
    lines = []
    for v in violations:
        nodes = v["nodes"]
        targets = ", ".join(json.dumps(n["target"], ensure_ascii=False) for n in nodes[:shown])
        more = f" and {len(nodes) - shown} more" if len(nodes) > shown else ""
        detail = " ".join((nodes[0]["summary"] or "").split())[:300] if nodes else ""
        lines.append(f"axe {v['id']} ({v['impact']}): {v['help']} — {targets}{more}. {detail} [{v['url']}]")
    return lines


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
    """axe-core's WCAG A/AA rules with no violation, then our structural, focus and landmark checks."""
    problems = describe_violations(axe_violations(page))
    problems += structure_problems(page) + focus_problems(page)
    tree = landmarks(page)
    for role in ("banner", "navigation", "main"):
        if f"- {role}" not in tree:
            problems.append(f"Chromium's accessibility tree has no {role} landmark")
    assert not problems, f"{page.url}:\n" + "\n".join(f"- {p}" for p in problems)
