"""``/open311/v2/``: GeoReport v2 in JSON and XML, errors in its own format (a list of {code, description}).

Routes parse the client's parameters and call one Open311 operation; the format comes from the path's
extension, as the specification has it (``services.json``, ``requests.xml``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shaffof.open311.errors import Open311Error
from shaffof.open311.service import SPECIFICATION, Open311
from shaffof.web.deps import PlatformDep
from shaffof.web.ui.views import choose_language

router = APIRouter(prefix="/open311/v2", tags=["open311"])

# The XML document and item element of each answer (GeoReport v2).
XML_NAMES = {
    "services": ("services", "service"),
    "definition": ("service_definition", None),
    "requests": ("service_requests", "request"),
    "tokens": ("service_requests", "request"),
    "discovery": ("discovery", None),
}


def open311(platform: PlatformDep) -> Open311:
    return Open311(platform.db, platform.cases)


def _render(fmt: str, kind: str, data: Any, status: int = 200) -> Response:
    if fmt == "xml":
        root_name, item_name = XML_NAMES[kind]
        root = ET.Element(root_name)
        if item_name is None:
            _fill(root, data)
        else:
            for item in data:
                _fill(ET.SubElement(root, item_name), item)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode").encode()
        return Response(body, status_code=status, media_type="text/xml; charset=utf-8")
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json")


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list):
                container = ET.SubElement(element, key)
                for entry in item:
                    _fill(ET.SubElement(container, key[:-1] if key.endswith("s") else key), entry)
            else:
                _fill(ET.SubElement(element, key), item)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def _errors(fmt: str, error: Open311Error) -> Response:
    entries = [{"code": error.http_status, "description": error.detail}]
    if fmt == "xml":
        root = ET.Element("errors")
        for entry in entries:
            _fill(ET.SubElement(root, "error"), entry)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode").encode()
        return Response(body, status_code=error.http_status, media_type="text/xml; charset=utf-8")
    return Response(
        json.dumps(entries, ensure_ascii=False), status_code=error.http_status, media_type="application/json"
    )


def _answer(fmt: str, kind: str, produce: Callable[[], Any], status: int = 200) -> Response:
    if fmt not in ("json", "xml"):
        return _errors("json", Open311Error(404, f"format {fmt!r} is not served: use .json or .xml"))
    try:
        return _render(fmt, kind, produce(), status)
    except Open311Error as error:
        return _errors(fmt, error)


def _params(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items()}


def _language(request: Request) -> str:
    return choose_language(request, request.query_params.get("lang"))


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, platform: PlatformDep) -> Response:
    base = (platform.settings.public_url or str(request.base_url)).rstrip("/")
    document = {
        "changeset": "2026-11-24T00:00:00Z",
        "contact": "Shaffof — appeals about local issues become appeals under ZRU-445",
        "key_service": f"{base}/api/v1/auth/login (a citizen's API token is the api_key)",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": "2026-11-24T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return _answer(fmt, "discovery", lambda: document)


@router.get("/services.{fmt}")
def services(fmt: str, request: Request, platform: PlatformDep) -> Response:
    return _answer(fmt, "services", lambda: open311(platform).services(_language(request)))


@router.get("/services/{code}.{fmt}")
def definition(code: str, fmt: str, request: Request, platform: PlatformDep) -> Response:
    return _answer(fmt, "definition", lambda: open311(platform).definition(code, _language(request)))


@router.post("/requests.{fmt}")
async def post_request(fmt: str, request: Request, platform: PlatformDep) -> Response:
    form = await request.form()
    params = {key: value for key, value in form.items() if isinstance(value, str)}
    params = {**_params(request), **params}  # the specification allows parameters in the query too
    return _answer(fmt, "requests", lambda: [open311(platform).submit(params, _language(request))], status=201)


@router.get("/requests.{fmt}")
def get_requests(fmt: str, request: Request, platform: PlatformDep) -> Response:
    clock = platform.cases.clock
    return _answer(fmt, "requests", lambda: open311(platform).requests(_params(request), clock(), _language(request)))


@router.get("/requests/{number}.{fmt}")
def get_request(number: str, fmt: str, request: Request, platform: PlatformDep) -> Response:
    return _answer(fmt, "requests", lambda: open311(platform).request(number, _language(request)))


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: str, platform: PlatformDep) -> Response:
    return _answer(fmt, "tokens", lambda: open311(platform).token(token))


__all__: Sequence[str] = ("router",)
