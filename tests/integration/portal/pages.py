"""Helpers for driving the portal's pages over the ASGI client like a browser without JavaScript."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf(page: Response | str) -> str:
    """The CSRF token of the first form on a page."""
    text = page if isinstance(page, str) else page.text
    found = TOKEN.search(text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def hidden(page: Response, name: str) -> list[str]:
    """The values of the hidden inputs called ``name``, in page order."""
    return [unescape(v) for v in re.findall(rf'type="hidden" name="{re.escape(name)}" value="([^"]*)"', page.text)]


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> Response:
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf(form)}, follow_redirects=False
    )


def post_form(client: TestClient, page: Response, action: str, data: dict[str, str], **kwargs: object) -> Response:
    """Submit a form found on ``page`` with the page's CSRF token (as the browser would)."""
    return client.post(action, data={"csrf_token": csrf(page), **data}, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
