"""Open311 GeoReport v2: a real Open311 client library (georeport) reads the services and the requests of a
real server; a request posted the way Open311 clients post (form-encoded, api_key) becomes an appeal with its
statutory due date as ``expected_datetime``; malformed requests are refused in Open311's error format."""

from __future__ import annotations

import datetime as dt

import requests
import sqlalchemy as sa
import xmltodict
from fastapi.testclient import TestClient
from georeport import GeoReport

from shaffof.cases.models import Case
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.web.app import create_app
from tests.factories import World, token
from tests.integration.test_live import serving

DESCRIPTION = "Yunusobod 4-kvartal, 12-uy oldidagi yo'lda katta chuqur bor. Mashinalar shikastlanmoqda."


def _post(base: str, fmt: str = "json", **fields: str) -> requests.Response:
    return requests.post(f"{base}/open311/v2/requests.{fmt}", data=fields, timeout=30)


def test_an_open311_client_submits_and_reads_a_request(settings: Settings, database: Database, world: World) -> None:
    app = create_app(settings, db=database)
    with serving(app) as base:
        api_key = requests.post(
            f"{base}/api/v1/auth/login", json={"login": "alice", "password": "correct horse battery staple"}, timeout=30
        ).json()["access_token"]
        client = GeoReport(f"{base}/open311/v2")
        services = client.get_service_list()
        assert {s["service_code"] for s in services} >= {"roads", "street-lighting", "waste", "water"}
        definition = client.get_service_definition("roads")
        assert definition["attributes"][0]["code"] == "response_channel"
        as_xml = GeoReport(f"{base}/open311/v2", output_format="xml")
        assert {s["service_code"] for s in as_xml.get_service_list()} == {s["service_code"] for s in services}

        posted = _post(
            base,
            api_key=api_key,
            service_code="roads",
            jurisdiction_id="YUNUSHOK",
            lat="41.364",
            long="69.289",
            address_string="Yunusobod 4-kvartal, 12-uy",
            description=DESCRIPTION,
            **{"attribute[response_channel]": "electronic"},
        )
        assert posted.status_code == 201, posted.text
        (receipt,) = posted.json()
        number = receipt["service_request_id"]
        assert number.startswith("YUNUSHOK-")

        read = client.get_service_request(number)
        assert read["status"] == "open" and read["service_code"] == "roads"
        assert (read["lat"], read["long"], read["address"]) == (41.364, 69.289, "Yunusobod 4-kvartal, 12-uy")
        assert read["description"] is None  # the applicant's words stay with the case
        case = requests.get(f"{base}/api/v1/cases/{number}", headers={"Authorization": f"Bearer {api_key}"}, timeout=30)
        due = dt.datetime.fromisoformat(case.json()["deadline"]["due_at"])
        assert dt.datetime.fromisoformat(read["expected_datetime"].replace("Z", "+00:00")) == due
        assert case.json()["channel"] == "api" and case.json()["form"]["topic"] == "roads_transport"

        read_xml = as_xml.get_service_request(number)
        assert read_xml["service_request_id"] == number and read_xml["status"] == "open"
        assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [number]
        assert client.get_service_requests(status="closed") == []
        tokens = requests.get(f"{base}/open311/v2/tokens/{receipt['token']}.json", timeout=30).json()
        assert tokens == [{"token": receipt["token"], "service_request_id": number}]


def test_malformed_requests_are_refused_in_open311_format_and_file_nothing(client: TestClient, world: World) -> None:
    api_key = token(client, "alice")["Authorization"].split()[1]
    good = {"api_key": api_key, "service_code": "roads", "lat": "41.3", "long": "69.2", "description": DESCRIPTION}

    def post(fmt: str = "json", **changes: str | None) -> tuple[int, object]:
        fields = {k: v for k, v in {**good, **changes}.items() if v is not None}
        response = client.post(f"/open311/v2/requests.{fmt}", data=fields)
        body = xmltodict.parse(response.text) if fmt == "xml" else response.json()
        return response.status_code, body

    status, body = post(service_code=None)
    assert (status, body) == (400, [{"code": 400, "description": body[0]["description"]}])  # type: ignore[index]
    assert "service_code" in body[0]["description"]  # type: ignore[index]
    status, body = post(lat="91.5")
    assert status == 400 and "lat" in body[0]["description"]  # type: ignore[index]
    status, body = post(long="east")
    assert status == 400 and "decimal degrees" in body[0]["description"]  # type: ignore[index]
    status, body = post(lat=None, long=None)
    assert status == 400 and "location" in body[0]["description"]  # type: ignore[index]
    status, body = post(service_code="potholes-on-mars")
    assert status == 404
    status, body = post(api_key="not-a-token")
    assert status == 403
    status, body = post(description="Chuqur")
    assert status == 400 and body[0]["description"].startswith("description")  # type: ignore[index]
    status, body = post(jurisdiction_id="ADLIYA")
    assert status == 400 and body[0]["description"].startswith("jurisdiction_id")  # type: ignore[index]
    status, body = post("xml", lat="-100")
    assert status == 400 and body["errors"]["error"]["code"] == "400"  # type: ignore[index]
    with world.platform.db.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0

    assert client.get("/open311/v2/services.yaml").status_code == 404
    assert client.get("/open311/v2/requests.json", params={"status": "pending"}).status_code == 400
    assert client.get("/open311/v2/requests/NOSUCH-2026-000001.json").json()[0]["code"] == 404
    discovery = client.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
