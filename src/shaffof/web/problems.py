"""RFC 9457 problem details: every error leaves the API as ``application/problem+json``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shaffof.errors import DomainError
from shaffof.observability import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("shaffof.web")


def problem(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        origin, parts = parts[0], parts[1:]
        if origin != "body":
            parts = [origin, *parts]
    return "/".join(parts) or "(body)"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, error: DomainError) -> JSONResponse:
        headers = {}
        if "retry_after" in error.extra:
            headers["Retry-After"] = str(error.extra["retry_after"])
        extra = {k: v for k, v in error.extra.items() if k != "retry_after"}
        return problem(
            request,
            status=error.status,
            title=error.title,
            detail=error.detail,
            code=error.code,
            errors=[e.as_dict() for e in error.errors],
            headers=headers,
            **extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return problem(
                request,
                status=400,
                title="Malformed JSON",
                detail="The request body is not valid JSON; check quotes, commas and brackets.",
                code="malformed-json",
            )
        errors = [{"path": _location(tuple(p["loc"])), "message": p["msg"]} for p in problems]
        return problem(
            request,
            status=422,
            title="Some fields are invalid",
            detail=f"{len(errors)} field(s) are invalid; nothing was changed.",
            code="invalid-input",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else "The request cannot be processed."
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
        return problem(
            request,
            status=error.status_code,
            title=titles.get(error.status_code, "Request refused"),
            detail=detail,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(sa.exc.DataError)
    async def _data_refused(request: Request, error: sa.exc.DataError) -> JSONResponse:
        # The database refused a value the validation let through (PostgreSQL: a NUL in a multipart text field,
        # a number out of a column's range): the unit of work rolled back, so nothing was stored.
        log.warning("value refused by the database", path=request.url.path, error_type=type(error.orig).__name__)
        return problem(
            request,
            status=422,
            title="Some fields are invalid",
            detail="A value cannot be stored as sent (a character or number outside what its field holds); "
            "nothing was changed.",
            code="invalid-input",
        )

    @app.exception_handler(sa.exc.OperationalError)
    @app.exception_handler(sa.exc.InterfaceError)
    async def _database_unavailable(request: Request, error: sa.exc.DBAPIError) -> JSONResponse:
        # The database went away (restarted, failed over, locked past the timeout): the unit of work rolled
        # back, so nothing was saved; the pool reconnects on the next request (pre-ping), no restart needed.
        log.warning("database unavailable", path=request.url.path, error_type=type(error.orig).__name__)
        return problem(
            request,
            status=503,
            title="Service temporarily unavailable",
            detail="The database is not answering; nothing was saved. Please try again in a few seconds.",
            code="database-unavailable",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path, error_type=type(error).__name__)
        return problem(
            request,
            status=500,
            title="Internal error",
            detail="Something went wrong on our side; nothing was saved. Please try again later.",
        )
