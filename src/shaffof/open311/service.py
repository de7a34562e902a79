"""Open311 GeoReport v2 onto Shaffof: service types → a service and a form value, requests → appeals.

A request posted by an Open311 client becomes an appeal (ariza) to a hokimiyat through the ordinary
submission — registered on receipt, with its statutory deadline (ZRU-445 Art. 23, 28(1)) — in one
transaction with the place it is about. ``expected_datetime`` is that statutory due date. The client acts
for a signed-in citizen: its ``api_key`` is the citizen's API token (anonymous appeals are left
unconsidered under ZRU-445 Art. 29, so Shaffof takes none). Reading requests is public and shows the
place, the service and the progress, never the applicant or the text they wrote (ZRU-547).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from shaffof.cases.lifecycle import OPEN_STATES
from shaffof.cases.models import Case, CaseState, Channel
from shaffof.cases.schemas import CaseSubmit
from shaffof.cases.service import Cases
from shaffof.catalog.models import Agency
from shaffof.db.engine import Database
from shaffof.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthenticated
from shaffof.identity import service as identity
from shaffof.identity.models import TokenKind
from shaffof.open311.errors import Open311Error
from shaffof.open311.models import Open311Request

CATALOGUE = Path(__file__).parent / "services.yaml"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RANGE = dt.timedelta(days=90)  # GeoReport v2: a search spans at most 90 days, the last 90 by default
# Which part of the appeal form an Open311 parameter fills, to name the parameter in errors.
PARAMETER_OF_FIELD = {
    "form/text": "description",
    "form/subject": "description",
    "form/problem_address": "address_string",
    "form/response_channel": "attribute[response_channel]",
    "agency": "jurisdiction_id",
}


@dataclass(frozen=True)
class ServiceType:
    code: str
    topic: str
    group: str
    keywords: tuple[str, ...]
    name: dict[str, str]
    description: dict[str, str]


@cache
def catalogue() -> tuple[str, dict[str, ServiceType]]:
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    types = {
        entry["code"]: ServiceType(
            code=entry["code"],
            topic=entry["topic"],
            group=entry["group"],
            keywords=tuple(entry["keywords"]),
            name=entry["name"],
            description=entry["description"],
        )
        for entry in data["services"]
    }
    return data["shaffof_service"], types


class Open311:
    def __init__(self, db: Database, cases: Cases) -> None:
        self._db = db
        self._cases = cases

    # ------------------------------------------------------------------ services

    def services(self, language: str) -> list[dict[str, Any]]:
        _, types = catalogue()
        return [
            {
                "service_code": t.code,
                "service_name": t.name[language],
                "description": t.description[language],
                "metadata": True,
                "type": "realtime",
                "keywords": ", ".join(t.keywords),
                "group": t.group,
            }
            for t in types.values()
        ]

    def definition(self, code: str, language: str) -> dict[str, Any]:
        service_type = self._type(code)
        choices = {"uz": ("Elektron", "Pochta orqali"), "ru": ("Электронно", "Почтой"), "en": ("Electronic", "By post")}
        question = {
            "uz": "Javobni qanday olasiz?",
            "ru": "Как получить ответ?",
            "en": "How should the answer reach you?",
        }
        return {
            "service_code": service_type.code,
            "attributes": [
                {
                    "variable": True,
                    "code": "response_channel",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": None,
                    "order": 1,
                    "description": question[language],
                    "values": [
                        {"key": "electronic", "name": choices[language][0]},
                        {"key": "post", "name": choices[language][1]},
                    ],
                }
            ],
        }

    def _type(self, code: str | None) -> ServiceType:
        if not code:
            raise Open311Error(400, "service_code is required: one of GET /open311/v2/services.json")
        _, types = catalogue()
        if code not in types:
            raise Open311Error(404, f"service_code {code!r} is unknown; see GET /open311/v2/services.json")
        return types[code]

    # ------------------------------------------------------------------ posting

    def submit(self, params: dict[str, str], language: str) -> dict[str, Any]:
        """``POST requests``: the parameters as the client sent them (form-encoded)."""
        service_type = self._type(params.get("service_code"))
        lat, long = _coordinates(params.get("lat"), params.get("long"))
        address = (params.get("address_string") or "").strip() or None
        if lat is None and address is None and not params.get("address_id"):
            raise Open311Error(400, "a location is required: lat and long, or address_string")
        if address is not None and len(address) > 300:
            raise Open311Error(400, "address_string: at most 300 characters")
        description = " ".join((params.get("description") or "").split())
        if len(description) < 20:
            raise Open311Error(400, "description: describe the issue in at least 20 characters")
        form: dict[str, Any] = {
            "topic": service_type.topic,
            "subject": _subject(description),
            "text": description,
            "problem_address": address or f"{lat:.6f}, {long:.6f}",
        }
        if params.get("attribute[response_channel]"):
            form["response_channel"] = params["attribute[response_channel]"]
        shaffof_service, _ = catalogue()
        command = CaseSubmit(
            service=shaffof_service, agency=params.get("jurisdiction_id") or None, form=form, channel=Channel.api
        )
        with self._db.uow() as uow:
            actor = identity.authenticate(uow.session, params.get("api_key", ""), TokenKind.api)
            if actor is None:
                raise Open311Error(
                    403, "api_key is missing, unknown or expired: use a citizen's token from POST /api/v1/auth/login"
                )
            try:
                public = self._cases.submit(actor, command, uow=uow).case
            except DomainError as error:
                raise _as_open311(error) from None
            case = uow.session.scalar(sa.select(Case).where(Case.registration_number == public.registration_number))
            assert case is not None
            token = uuid.uuid4()
            uow.session.add(
                Open311Request(
                    agency_id=case.agency_id,
                    case_id=case.id,
                    token=token,
                    service_code=service_type.code,
                    lat=lat,
                    long=long,
                    address_string=address,
                    requested_at=case.received_at,
                )
            )
            uow.commit()
        due = public.deadline.due_at
        return {
            "service_request_id": public.registration_number,
            "token": str(token),
            "service_notice": f"Registered as {public.registration_number}; the answer is due by "
            f"{due.isoformat() if due else 'the statutory deadline'} (ZRU-445 Art. 28(1)).",
            "account_id": None,
        }

    # ------------------------------------------------------------------ reading

    def requests(self, params: dict[str, str], now: dt.datetime, language: str) -> list[dict[str, Any]]:
        statement = self._select()
        if params.get("service_request_id"):
            numbers = [n.strip() for n in params["service_request_id"].split(",") if n.strip()]
            statement = statement.where(Case.registration_number.in_(numbers))
        else:
            end = _instant(params.get("end_date"), "end_date") or now
            start = _instant(params.get("start_date"), "start_date") or end - MAX_RANGE
            if start > end:
                raise Open311Error(400, "start_date is after end_date")
            if end - start > MAX_RANGE:
                raise Open311Error(400, "a search spans at most 90 days (start_date to end_date)")
            statement = statement.where(Open311Request.requested_at >= start, Open311Request.requested_at <= end)
            if params.get("service_code"):
                codes = [c.strip() for c in params["service_code"].split(",")]
                for code in codes:
                    self._type(code)
                statement = statement.where(Open311Request.service_code.in_(codes))
            if params.get("status"):
                wanted = {s.strip() for s in params["status"].split(",")}
                if not wanted <= {"open", "closed"}:
                    raise Open311Error(400, "status takes open, closed or both (comma-separated)")
                open_states = [*OPEN_STATES, CaseState.forwarded]
                if wanted == {"open"}:
                    statement = statement.where(Case.state.in_(open_states))
                elif wanted == {"closed"}:
                    statement = statement.where(Case.state.not_in(open_states))
        with self._db.reading() as session:
            rows = session.execute(statement.order_by(Open311Request.requested_at.desc()).limit(1000)).all()
        return [_request(request, case, agency_name, language) for request, case, agency_name in rows]

    def request(self, number: str, language: str) -> list[dict[str, Any]]:
        with self._db.reading() as session:
            rows = session.execute(self._select().where(Case.registration_number == number)).all()
        if not rows:
            raise Open311Error(404, f"there is no Open311 request {number!r}")
        return [_request(request, case, agency_name, language) for request, case, agency_name in rows]

    def token(self, token: str) -> list[dict[str, Any]]:
        try:
            value = uuid.UUID(token)
        except ValueError:
            raise Open311Error(400, "token: not a token given by POST requests") from None
        with self._db.reading() as session:
            number = session.scalar(
                sa.select(Case.registration_number)
                .join(
                    Open311Request,
                    sa.and_(Open311Request.agency_id == Case.agency_id, Open311Request.case_id == Case.id),
                )
                .where(Open311Request.token == value)
            )
        if number is None:
            raise Open311Error(404, f"there is no request with the token {token}")
        return [{"token": token, "service_request_id": number}]

    def _select(self) -> sa.Select[Open311Request, Case, dict[str, str]]:
        return (
            sa.select(Open311Request, Case, Agency.name)
            .join(Case, sa.and_(Case.agency_id == Open311Request.agency_id, Case.id == Open311Request.case_id))
            .join(Agency, Agency.id == Case.agency_id)
        )


def _request(request: Open311Request, case: Case, agency_name: dict[str, str], language: str) -> dict[str, Any]:
    _, types = catalogue()
    service_type = types.get(request.service_code)
    is_open = case.state in OPEN_STATES or case.state is CaseState.forwarded
    notes = {
        CaseState.forwarded: "forwarded to the competent body, which answers it (ZRU-445)",
        CaseState.decided: f"decided: {case.outcome.value if case.outcome else ''}",
        CaseState.closed: f"decided: {case.outcome.value if case.outcome else ''}; closed",
    }.get(case.state, case.state.value.replace("_", " "))
    return {
        "service_request_id": case.registration_number,
        "status": "open" if is_open else "closed",
        "status_notes": notes,
        "service_name": service_type.name[language] if service_type else request.service_code,
        "service_code": request.service_code,
        "description": None,  # the applicant's words are not published (ZRU-547)
        "agency_responsible": agency_name.get(language, ""),
        "service_notice": None,
        "requested_datetime": _w3c(case.received_at),
        "updated_datetime": _w3c(case.updated_at),
        "expected_datetime": _w3c(case.due_at) if case.due_at else None,
        "address": request.address_string,
        "address_id": None,
        "zipcode": None,
        "lat": request.lat,
        "long": request.long,
        "media_url": None,
    }


def _coordinates(lat: str | None, long: str | None) -> tuple[float | None, float | None]:
    if not lat and not long:
        return None, None
    if not lat or not long:
        raise Open311Error(400, "lat and long go together: give both or neither")
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        raise Open311Error(400, "lat and long must be decimal degrees (WGS84), e.g. lat=41.3111&long=69.2797") from None
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise Open311Error(400, f"lat {lat} is outside -90..90")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise Open311Error(400, f"long {long} is outside -180..180")
    return latitude, longitude


def _subject(description: str) -> str:
    first = description.split(". ")[0].strip()
    return (first if len(first) >= 5 else description)[:200]


def _instant(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name}: use the W3C format, e.g. 2026-04-01T00:00:00Z") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _w3c(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _as_open311(error: DomainError) -> Open311Error:
    """A refusal by the cases domain, said in Open311's words (parameters, not form paths)."""
    if error.errors:
        named = "; ".join(f"{PARAMETER_OF_FIELD.get(e.path, e.path)}: {e.message}" for e in error.errors)
        return Open311Error(400, named)
    status = 403 if isinstance(error, Forbidden | Unauthenticated) else 404 if isinstance(error, NotFound) else 400
    if isinstance(error, InvalidInput):
        status = 400
    return Open311Error(status, error.detail)
