"""The statistics over HTTP: the GovStack-style API, its CSV twin and dictionary, ratings, and the public
dashboard page with its SVG charts and tables — all from cases filed and decided through the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.conftest import SERVICES
from tests.factories import APPEAL_FORM, World, token

BODY = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}


def _file_and_decide(client: TestClient, count: int, *, channel: str = "portal") -> list[str]:
    alice, officer = token(client, "alice"), token(client, "yunushok.officer")
    numbers = []
    for _ in range(count):
        number = client.post("/api/v1/cases", json={**BODY, "channel": channel}, headers=alice).json()[
            "registration_number"
        ]
        assert client.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200
        decided = client.post(
            f"/api/v1/officer/cases/{number}/decide",
            json={"outcome": "approved", "reason": "Ko'rib chiqildi"},
            headers=officer,
        )
        assert decided.status_code == 200, decided.text
        numbers.append(number)
    return numbers


def _this_month() -> str:
    return dt.datetime.now(ZoneInfo("Asia/Tashkent")).strftime("%Y-%m")


def test_the_api_reports_what_happened_and_the_csv_says_the_same(client: TestClient, world: World) -> None:
    numbers = _file_and_decide(client, 3)
    client.post("/api/v1/cases", json={**BODY, "channel": "service_centre"}, headers=token(client, "bob"))
    rated = client.post(f"/api/v1/cases/{numbers[0]}/rating", json={"score": 4}, headers=token(client, "alice"))
    assert rated.status_code == 201, rated.text

    response = client.get("/api/v1/statistics", params={"group_by": "agency", "agency": "YUNUSHOK"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["filters"]["to_month"] == _this_month()
    (row,) = report["rows"]
    measures = row["measures"]
    assert (row["key"], measures["received"], measures["received_online"], measures["decided"]) == (
        "YUNUSHOK",
        4,
        3,
        3,
    )
    assert measures["on_time_share"] == 1.0 and measures["median_processing_days"] == 0
    assert (measures["ratings"], measures["average_rating"]) == (1, 4.0)
    assert measures["small"] is True  # three decisions: shown, never ranked

    exported = client.get("/api/v1/statistics.csv", params={"group_by": "agency", "agency": "YUNUSHOK"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["key"], r["received"], r["decided"], r["online_share"]) for r in rows] == [
        ("YUNUSHOK", "4", "3", "0.75"),
        ("total", "4", "3", "0.75"),
    ]
    dictionary = client.get("/api/v1/statistics/dictionary").json()
    assert [entry["name"] for entry in dictionary] == list(rows[0])  # every column is explained
    assert all(entry["definition"] for entry in dictionary)


def test_bad_filters_get_a_problem_naming_the_field(client: TestClient, world: World) -> None:
    unknown = client.get("/api/v1/statistics", params={"agnecy": "YUNUSHOK"})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["errors"] == [{"path": "query/agnecy", "message": "unknown parameter"}]
    future = client.get("/api/v1/statistics", params={"to": "2999-01"})
    assert future.status_code == 422
    assert [e["path"] for e in future.json()["errors"]] == ["to"]
    no_agency = client.get("/api/v1/statistics.csv", params={"agency": "NOSUCH"})
    assert no_agency.status_code == 422
    assert [e["path"] for e in no_agency.json()["errors"]] == ["agency"]
    grouping = client.get("/api/v1/statistics", params={"group_by": "person"})
    assert grouping.status_code == 422
    assert grouping.json()["errors"][0]["path"] == "query/group_by"


def test_a_rating_is_refused_before_the_answer_and_from_others(client: TestClient, world: World) -> None:
    number = client.post("/api/v1/cases", json=BODY, headers=token(client, "alice")).json()["registration_number"]
    early = client.post(f"/api/v1/cases/{number}/rating", json={"score": 5}, headers=token(client, "alice"))
    assert early.status_code == 409
    stranger = client.post(f"/api/v1/cases/{number}/rating", json={"score": 1}, headers=token(client, "bob"))
    assert stranger.status_code == 404
    out_of_range = client.post(f"/api/v1/cases/{number}/rating", json={"score": 6}, headers=token(client, "alice"))
    assert out_of_range.status_code == 422
    assert out_of_range.json()["errors"][0]["path"] == "score"


def test_the_dashboard_page_shows_charts_with_tables_and_flags_small_numbers(client: TestClient, world: World) -> None:
    _file_and_decide(client, 10)  # YUNUSHOK reaches the small-number threshold of 10 decisions
    client.post("/api/v1/cases", json={**BODY, "agency": "CHILHOK"}, headers=token(client, "bob"))
    page = client.get("/statistics", params={"lang": "en"})
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    charts = re.findall(r'<svg[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', html)
    assert len(charts) == 2  # the trend and the comparison (nothing is overdue yet)
    for labelled_by in charts:
        for element_id in labelled_by.split():
            assert f'id="{element_id}"' in html
    assert html.count("<table>") == 3 and html.count('<th scope="row">') >= 2
    comparison = html.split('id="comparison-title"')[1].split("</section>")[0]
    assert "Yunusabad" in comparison.split("small-numbers")[0]  # ranked: ten decisions
    assert "Chilanzar" in comparison.split("small-numbers", 1)[1]  # listed apart: too few to compare
    assert "<script" not in html
    assert 'href="/api/v1/statistics.csv?lang=en&amp;group_by=agency"' in html

    russian = client.get("/statistics", params={"lang": "ru"}).text
    assert "Прозрачность в цифрах" in russian


def test_the_dashboard_page_shows_a_bad_filter_next_to_its_field(client: TestClient, world: World) -> None:
    page = client.get("/statistics", params={"lang": "en", "to": "2999-12"})
    assert page.status_code == 422
    assert 'href="#to"' in page.text and 'aria-invalid="true" aria-describedby="to-error"' in page.text


def test_the_egdi_page_shows_where_a_country_stands_with_sources(client: TestClient, world: World) -> None:
    page = client.get("/statistics/egdi", params={"lang": "en", "edition": "2016", "country": "UZB"})
    assert page.status_code == 200
    html = page.text
    assert "Component that moves the score most: TII" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert 'href="http://www.ut.uz/en/it/uzbekistan_joins_the_countries' in html  # each value with its source
    assert "0.5434" in html
    # The catalogue's self-assessment: the shipped services all cite their legal basis.
    shipped = sum(1 for package in SERVICES.iterdir() if (package / "service.yaml").is_file())
    assert f"cites the legal norms it rests on</th><td>{shipped} / {shipped}</td><td>100.0 %" in html
    page_2024 = client.get("/statistics/egdi", params={"lang": "uz", "country": "UZB"}).text
    assert "0.7999" in page_2024 and "manbasi topilmadi" in page_2024
    unknown = client.get("/statistics/egdi", params={"edition": "1999", "lang": "en"})
    assert unknown.status_code == 422 and 'href="#edition"' in unknown.text


def test_officers_see_their_agency_figures_down_to_the_cases(client: TestClient, world: World) -> None:
    numbers = _file_and_decide(client, 2)
    open_case = client.post("/api/v1/cases", json=BODY, headers=token(client, "alice")).json()["registration_number"]
    officer = token(client, "yunushok.officer")
    figures = client.get("/api/v1/officer/statistics", params={"group_by": "service"}, headers=officer)
    assert figures.status_code == 200, figures.text
    assert figures.json()["filters"]["agency"] == "YUNUSHOK"
    assert figures.json()["total"]["received"] == 3 and figures.json()["total"]["decided"] == 2
    decided = client.get("/api/v1/officer/statistics/cases", params={"measure": "decided"}, headers=officer).json()
    assert decided["registration_numbers"] == sorted(numbers) and decided["truncated"] is False
    received = client.get("/api/v1/officer/statistics/cases", params={"measure": "received"}, headers=officer).json()
    assert received["registration_numbers"] == sorted([*numbers, open_case])
    late = client.get("/api/v1/officer/statistics/cases", params={"measure": "decided_late"}, headers=officer).json()
    assert late["registration_numbers"] == []

    other = client.get(
        "/api/v1/officer/statistics/cases",
        params={"measure": "received", "agency": "YUNUSHOK"},
        headers=token(client, "adliya.officer"),
    )
    assert other.status_code == 403
    citizen = client.get("/api/v1/officer/statistics", headers=token(client, "alice"))
    assert citizen.status_code == 403
    auditor = client.get(
        "/api/v1/officer/statistics/cases", params={"measure": "received"}, headers=token(client, "auditor")
    )
    assert len(auditor.json()["registration_numbers"]) == 3
    assert client.get("/api/v1/officer/statistics/cases", params={"measure": "received"}).status_code == 401
    public_with_measure = client.get("/api/v1/statistics", params={"measure": "received"})
    assert public_with_measure.status_code == 422  # not a parameter of the public figures
