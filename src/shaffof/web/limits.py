"""A ceiling on request bodies, enforced before the application reads them.

Without it a client could stream gigabytes at an endpoint whose own check (``max_document_bytes`` in the
upload route) runs only after Starlette has spooled the whole multipart body to disk. The ceiling sits in
front of every route: a declared ``Content-Length`` over it is answered with 413 at once, without reading a
byte of the body; a body sent without a length (chunked) is counted as it arrives and refused the moment it
passes the ceiling. The ceiling is the largest document the platform accepts plus room for the multipart
envelope and form fields, so no legitimate request comes near it.

Why not FastAPI's own ``max_body_size``: for a declared oversized length it replaces whatever response the
application sends with a plain-text 413, so the refusal could not be a problem document (RFC 9457) like every
other error. This middleware is installed innermost (next to the routes), so the error it raises from
``receive`` reaches FastAPI's body parsing as an HTTPException — which it passes on untouched — rather than
wrapped in the task group of an outer middleware.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The multipart boundaries, part headers and the other form fields sent beside the largest document.
ENVELOPE_BYTES = 1024 * 1024


def request_ceiling(max_document_bytes: int) -> int:
    """The largest request body the server reads, in bytes."""
    return max_document_bytes + ENVELOPE_BYTES


class RequestTooLarge(HTTPException):
    """Raised from ``receive`` when a body passes the ceiling; rendered by web/problems.py as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit:,} bytes; nothing was stored.")


class BodyLimit:
    """ASGI middleware: refuse any request body over ``limit`` bytes with a 413 problem document."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise RequestTooLarge(self.limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except RequestTooLarge:
            if started:
                raise
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Request too large",
                "status": 413,
                "detail": RequestTooLarge(self.limit).detail,
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
