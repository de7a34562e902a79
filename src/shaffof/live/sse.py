"""The Server-Sent Events wire format (WHATWG HTML, "Server-sent events")."""

from __future__ import annotations

import json


def message(*, event: str | None = None, data: object = None, id: str | int | None = None) -> str:
    """One event; ``data`` is sent as one line of compact JSON (JSON escapes line breaks)."""
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.append(f"data: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}")
    return "\n".join(lines) + "\n\n"


def comment(text: str) -> str:
    """A comment line: ignored by clients, keeps proxies from closing an idle connection."""
    return f": {text}\n\n"


def retry(milliseconds: int) -> str:
    """How long a client waits before reconnecting."""
    return f"retry: {milliseconds}\n\n"
