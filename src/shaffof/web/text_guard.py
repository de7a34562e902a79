"""Refuse the NUL character (U+0000) in text input, naming the field, before a route sees it.

No text the platform keeps — a name, an appeal's subject, a search term — has a use for U+0000, and PostgreSQL
cannot store it in a text column at all: a query parameter or a JSON string carrying one reached the database
and came back as a 500 (found by the fuzzer on PostgreSQL; SQLite stored it silently). The guard answers 422
with the field's path instead, on both databases, and nothing is read further or stored.

It looks where the character can arrive as text: the path, the query string, a JSON body (escaped as
``\\u0000``, since a raw NUL is not JSON) and a URL-encoded form. File uploads (multipart) may carry any byte and
are not inspected; their text fields are covered by the database answer mapped in web/problems.py. Installed
inside ``BodyLimit``, so a body is counted against the ceiling while it is buffered here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shaffof.web.problems import PROBLEM_JSON

NUL = "\x00"
JSON_NUL = b"\\u0000"
URL_NUL = b"%00"


class TextGuard:
    """ASGI middleware: a 422 problem for any text field holding U+0000."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields: list[str] = []
        if NUL in scope.get("path", ""):
            fields.append("path")
        query: bytes = scope.get("query_string", b"")
        if URL_NUL in query:
            fields += [f"query/{name}" for name in _form_fields_with_nul(query)]
        kind = _body_kind(scope)
        if kind is not None:
            body, more = await _read_body(receive)
            if kind == "json" and JSON_NUL in body:
                fields += _json_fields_with_nul(body)
            elif kind == "form" and URL_NUL in body:
                fields += _form_fields_with_nul(body)
            receive = _replay(body, more, receive)
        if fields:
            await _refuse(scope, send, fields)
            return
        await self.app(scope, receive, send)


def _body_kind(scope: Scope) -> str | None:
    if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return None
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/json" or media.endswith(b"+json"):
                return "json"
            if media == b"application/x-www-form-urlencoded":
                return "form"
            return None
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body (``BodyLimit`` outside bounds it), and whether the client disconnected meanwhile."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replayed


def _form_fields_with_nul(encoded: bytes) -> list[str]:
    pairs = parse_qsl(encoded.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    return sorted({name.replace(NUL, "\\u0000") or "(name)" for name, value in pairs if NUL in name + value})


def _json_fields_with_nul(body: bytes) -> list[str]:
    try:
        document = json.loads(body)
    except ValueError:  # not JSON after all: the route's own parsing answers 400
        return []
    return sorted(set(_paths_with_nul(document, ())))


def _paths_with_nul(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield "/".join(path) or "(body)"
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield "/".join((*path, key.replace(NUL, "\\u0000")))
            yield from _paths_with_nul(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_with_nul(item, (*path, str(index)))


async def _refuse(scope: Scope, send: Send, fields: list[str]) -> None:
    problem = {
        "type": "/problems/invalid-input",
        "title": "Some fields are invalid",
        "status": 422,
        "detail": f"{len(fields)} field(s) contain the NUL character (U+0000), which no text may hold; "
        "nothing was changed.",
        "instance": scope.get("path", ""),
        "errors": [{"path": field, "message": "contains the NUL character (U+0000)"} for field in fields],
    }
    body = json.dumps(problem).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
