"""Delivery channels of the outbox worker: e-mail over SMTP and an SMS webhook (in-app needs none)."""

from __future__ import annotations


def absolute_link(public_url: str | None, link: str | None) -> str | None:
    """The case link as a reader outside the portal needs it (``public_url`` + path), or the path alone."""
    if link is None:
        return None
    return f"{public_url.rstrip('/')}{link}" if public_url else link
