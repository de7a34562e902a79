"""The OpenAPI document declares the errors each operation can answer, as RFC 9457 problem+json.

FastAPI declares only the success and a 422 ``application/json`` for an operation, but every error leaves the
API as ``application/problem+json`` (web/problems.py) and most operations can refuse a caller or miss a
resource. An agency that generates its client from the spec must find those answers there; the fuzzer
(tests/reliability/test_api_fuzzing.py) holds every response to what this document says.

What an operation can answer follows from how it is built, so it is derived, not listed by hand:
- a JSON body → 400 (malformed JSON); any parameter or body → 422 (a field is invalid);
- the caller's identity is read (``optional_actor``) → 401 (a bearer token that is unknown, expired or revoked)
  and, for a state-changing method, 403 (a session cookie without its CSRF token);
- the caller must be signed in (``current_actor``) → 401 and 403 (the domain's policy refuses);
- a path parameter → 404 (nothing by that name, or nothing the caller may know of);
and the domain-specific answers (conflicts, limits, throttling) are in ``DOMAIN_ANSWERS`` below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

from shaffof.web.deps import current_actor, optional_actor
from shaffof.web.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each invalid field by its path.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

DESCRIPTIONS = {
    400: "Malformed request (the body is not valid JSON, or not the declared encoding)",
    401: "Not signed in, or the token is unknown, expired or revoked",
    403: "The caller may not do this (policy), or a session request lacks its CSRF token",
    404: "No such resource, or none the caller may know of",
    409: "The resource's state does not allow this now",
    413: "The request is too large",
    415: "The document's type is not accepted",
    422: "Some fields are invalid; `errors` names them",
    429: "Too many attempts; wait for Retry-After",
}

# Answers that come from the domain's own rules rather than from how the route is built: (method, path) → statuses.
# 409: the case's (or key's, certificate's) state refuses the step; 413/415: the archive's and PKI's limits on
# documents; 404 without a path parameter: a resource named in the body or query does not exist.
_CASE = "/api/v1/cases/{registration_number}"
_OFFICER = "/api/v1/officer/cases/{registration_number}"
_INTEGRITY = "/api/v1/integrity/cases/{registration_number}"
DOMAIN_ANSWERS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/v1/auth/login"): (401, 429),  # wrong login or password; throttled (docs/oidc.md)
    ("POST", "/api/v1/uploads"): (413, 415),
    ("POST", "/api/v1/cases"): (404, 409),
    ("POST", f"{_CASE}/respond"): (409,),
    ("POST", f"{_CASE}/contest"): (409,),
    ("POST", f"{_CASE}/rating"): (409,),
    **{("POST", f"{_OFFICER}/{step}"): (409,) for step in ("take", "request-info", "forward", "decide", "close")},
    ("POST", f"{_OFFICER}/extend"): (409,),
    ("POST", f"{_OFFICER}/review"): (409,),
    **{("POST", f"{_INTEGRITY}/{step}"): (409,) for step in ("approve", "send-back", "reassign")},
    ("POST", "/api/v1/me/rectification-requests"): (404,),
    ("POST", "/api/v1/me/consents"): (404,),
    ("POST", "/api/v1/admin/accounts"): (404, 409),
    ("POST", "/api/v1/admin/persons"): (409,),
    ("POST", "/api/v1/admin/archive/holds"): (404,),
    ("POST", "/api/v1/admin/archive/holds/{registration_number}/{seq}/release"): (409,),
    ("POST", "/api/v1/admin/oidc/clients"): (404, 409),
    ("POST", "/api/v1/deadlines/calendar/overrides"): (409,),
    ("POST", "/api/v1/pki/certificates"): (409,),
    ("POST", "/api/v1/pki/certificates/{serial}/renew"): (409,),
    ("POST", "/api/v1/pki/certificates/{serial}/revoke"): (409,),
    ("POST", "/api/v1/pki/rotations"): (409,),
    ("POST", "/api/v1/pki/cloud-keys"): (409,),
    ("POST", "/api/v1/pki/cloud-sign"): (409, 429),
    ("POST", "/api/v1/auth/totp/enrol"): (409,),
    ("POST", "/api/v1/auth/totp/confirm"): (409, 429),
    ("POST", "/api/v1/verify"): (413, 415),
    ("POST", "/pki/ocsp"): (400, 413, 415),
    ("POST", "/pki/tsa"): (400, 413, 415),
    ("POST", "/api/v1/integrity/conflicts"): (404,),
    ("GET", "/api/v1/access-records"): (404,),  # the subject named in the query is unknown
}

# Routes that speak another protocol's error format: its own media types, not problem+json.
OPEN311_ERRORS: dict[str, Any] = {"application/json": {}, "text/xml": {}}  # GeoReport v2: [{"code", "description"}]
BEARER_ERRORS: dict[str, Any] = {"application/json": {}}  # RFC 6750: {"error", "error_description"} + WWW-Authenticate
FOREIGN_FORMATS: tuple[tuple[str, dict[str, Any], tuple[int, ...]], ...] = (
    ("/open311/", OPEN311_ERRORS, (400, 403, 404)),
    ("/api/v1/agency/", BEARER_ERRORS, (401, 403)),
)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


@dataclass(frozen=True)
class Operation:
    path: str
    methods: frozenset[str]
    dependant: Dependant


def operations(app: FastAPI) -> Iterator[Operation]:
    """The app's documented operations with their full paths (routers included under a prefix too)."""
    for route in app.router.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            dependant = getattr(context, "dependant", None)
            if dependant is None or not getattr(context, "include_in_schema", False):
                continue
            path, methods = getattr(context, "path_format", None), getattr(context, "methods", None)
            if path is not None:
                yield Operation(path, frozenset(methods or ()), dependant)


def answers(route: Operation, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, derived from its parameters and dependencies."""
    statuses: set[int] = set(DOMAIN_ANSWERS.get((method, route.path), ()))
    calls = set(_calls(route.dependant))
    if optional_actor in calls:
        statuses.add(401)
        if method in UNSAFE_METHODS:
            statuses.add(403)
    if current_actor in calls:
        statuses |= {401, 403}
    if route.dependant.path_params:
        statuses.add(404)
    body = operation.get("requestBody", {}).get("content", {})
    if body:
        statuses |= {400, 422}
    if operation.get("parameters"):
        statuses.add(422)
    return statuses


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS.get(status, "Refused"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _foreign(path: str) -> tuple[dict[str, Any], tuple[int, ...]] | None:
    for prefix, media, statuses in FOREIGN_FORMATS:
        if path.startswith(prefix):
            return media, statuses
    return None


def declare(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem answers to every operation of ``document`` (FastAPI's generated spec)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)  # FastAPI's own 422 shape; ours is the problem above
    for route in operations(app):
        path_item = document.get("paths", {}).get(route.path)
        if path_item is None:
            continue
        for method in route.methods:
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(answers(route, method, operation)):
                responses[str(status)] = _problem_response(status)
            foreign = _foreign(route.path)
            if foreign is not None:
                media, statuses = foreign
                for status in statuses:
                    responses[str(status)] = {"description": DESCRIPTIONS[status], "content": media}
    return document


def install(app: FastAPI) -> None:
    """Serve the declared document at the app's OpenAPI URL (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                openapi_version=app.openapi_version,
            )
            app.openapi_schema = declare(app, document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
