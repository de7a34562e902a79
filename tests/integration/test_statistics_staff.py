"""The staff dashboard (issue 10, part 4) and the integrity findings in the statistics: an officer's and a
head's figures for their own agency, every figure a link to the list of exactly the cases it counts, the
open findings per rule on the head's dashboard and as open data — each checked against a recount."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from html import unescape

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.cases.models import Case, Outcome
from shaffof.cases.schemas import CaseSubmit
from shaffof.catalog.models import Agency, Service
from shaffof.cli.main import app
from shaffof.config import Settings
from shaffof.db.base import utcnow
from shaffof.db.engine import Database
from shaffof.integrity.models import Finding, FindingStatus
from shaffof.integrity.rules import RULES
from shaffof.integrity.service import Integrity
from shaffof.reports.schemas import GroupBy, Measure
from shaffof.reports.service import Filters
from tests.factories import APPEAL_FORM, World, token
from tests.integration.portal.pages import sign_in

FIGURE = re.compile(r'<dt>([^<]+)</dt><dd><a href="(/officer/statistics/cases\?[^"]+)">([\d\s,.\xa0]+)</a></dd>')
LISTED = re.compile(r'<td><a href="/officer/cases/([^"]+)">')


def _file(world: World, citizen: str = "alice", agency: str = "TOSHHOK") -> str:
    command = CaseSubmit(service="appeal-to-hokimiyat", agency=agency, form=APPEAL_FORM)
    return world.platform.cases.submit(world.actors[citizen], command).case.registration_number


def _decide(world: World, number: str, *, close: bool = False) -> None:
    officer = world.actors[world.assignee(number)]
    world.platform.cases.take(officer, number)
    world.platform.cases.decide(officer, number, Outcome.approved, "Qonun asosida ko'rib chiqildi.")
    if close:
        world.platform.cases.close(officer, number, "Javob yuborildi.")


def _number(text: str) -> int:
    return int(re.sub(r"\D", "", unescape(text)))


def test_every_figure_of_the_officers_dashboard_lists_exactly_the_cases_it_counts(
    client: TestClient, world: World
) -> None:
    decided = [_file(world) for _ in range(3)]
    for number in decided:
        _decide(world, number)
    still_open = _file(world, "bob")
    elsewhere = _file(world, agency="YUNUSHOK")

    sign_in(client, "toshhok.officer")
    page = client.get("/officer/statistics", params={"lang": "en"})
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="en">' in html and "<script" not in html
    assert 'href="/officer/statistics"' in html  # registered in the staff's navigation
    figures = {label: (unescape(link), _number(value)) for label, link, value in FIGURE.findall(html)}
    assert {label: value for label, (_link, value) in figures.items()} == {
        "Received": 4,
        "Decided": 3,
        "Decided after the deadline": 0,
        "Overdue now": 0,
        "Decided automatically": 0,
        "Contested": 0,
    }
    for label, (link, value) in figures.items():
        listing = client.get(link)
        assert listing.status_code == 200, (label, listing.text)
        numbers = LISTED.findall(listing.text)
        assert len(numbers) == value, label  # the list behind the figure is the figure
        assert elsewhere not in numbers
    received = client.get(figures["Received"][0]).text
    assert set(LISTED.findall(received)) == {*decided, still_open}
    # What the queue shows — number, service, state, deadline — and nothing of the applicant.
    assert "<td>appeal-to-hokimiyat</td>" in received and "Registered" in received and "<time datetime=" in received
    for person in ("Aziza", "Karimova", "Bobur", "Toshmatov", world.pinfls["alice"]):
        assert person not in received and person not in html
    by_service = html.split('id="by-service"')[1].split("</table>")[0]
    assert '/officer/statistics/cases?measure=decided&amp;service=appeal-to-hokimiyat">3</a>' in by_service
    # The head's dashboard is the same page; Russian and Uzbek come from the catalogues.
    assert "Статистика ведомства" in client.get("/officer/statistics", params={"lang": "ru"}).text
    assert "Tashkilot statistikasi" in client.get("/officer/statistics", params={"lang": "uz"}).text


def test_each_sees_only_the_agency_the_policy_allows(client: TestClient, world: World) -> None:
    mine, theirs = _file(world), _file(world, agency="YUNUSHOK")
    anonymous = client.get("/officer/statistics", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")

    sign_in(client, "toshhok.officer")
    other = client.get("/officer/statistics", params={"agency": "YUNUSHOK", "lang": "en"})
    assert other.status_code == 403 and "your own agency" in other.text
    listing = client.get("/officer/statistics/cases", params={"measure": "received", "agency": "YUNUSHOK"})
    assert listing.status_code == 403 and theirs not in listing.text
    assert 'id="agency"' not in client.get("/officer/statistics").text  # staff do not choose the agency

    sign_in(client, "alice")
    assert client.get("/officer/statistics").status_code == 403
    assert client.get("/officer/statistics/cases", params={"measure": "received"}).status_code == 403

    sign_in(client, "auditor")
    every = client.get("/officer/statistics/cases", params={"measure": "received", "lang": "en"})
    assert set(LISTED.findall(every.text)) == {mine, theirs}
    one = client.get("/officer/statistics/cases", params={"measure": "received", "agency": "YUNUSHOK"})
    assert LISTED.findall(one.text) == [theirs]
    assert 'id="agency"' in client.get("/officer/statistics").text


def test_bad_filters_are_shown_next_to_their_fields_and_count_nothing(client: TestClient, world: World) -> None:
    sign_in(client, "toshhok.officer")
    future = client.get("/officer/statistics", params={"to": "2999-12", "lang": "en"})
    assert future.status_code == 422
    assert 'href="#to"' in future.text and 'id="to-error"' in future.text and 'aria-invalid="true"' in future.text
    assert 'id="figures"' not in future.text
    unknown = client.get("/officer/statistics", params={"service": "no-such-service", "lang": "en"})
    assert unknown.status_code == 422 and 'href="#service"' in unknown.text
    no_measure = client.get("/officer/statistics/cases", params={"measure": "everything", "lang": "en"})
    assert no_measure.status_code == 422 and 'href="#measure"' in no_measure.text


def _findings_recount(world: World, agency: str | None = None) -> Counter[tuple[str | None, str]]:
    with world.platform.db.reading() as session:
        codes = {agency_id: code for agency_id, code in session.execute(sa.select(Agency.id, Agency.code))}
        rows = session.scalars(sa.select(Finding).where(Finding.status == FindingStatus.open)).all()
    counted = Counter((codes.get(f.agency_id) if f.agency_id else None, f.rule_code) for f in rows)
    return Counter({key: n for key, n in counted.items() if agency is None or key[0] == agency})


def _seed_findings(world: World) -> None:
    """Cases closed without a signed answer at two bodies, then the monitor run past its grace period."""
    for agency in ("TOSHHOK", "TOSHHOK", "YUNUSHOK"):
        _decide(world, _file(world, agency=agency), close=True)
    Integrity(world.platform.db, clock=lambda: utcnow() + dt.timedelta(days=2)).scan()


def test_open_findings_per_rule_are_on_the_heads_dashboard_and_in_the_open_data(
    client: TestClient, world: World
) -> None:
    _seed_findings(world)
    toshhok = _findings_recount(world, "TOSHHOK")
    assert toshhok[("TOSHHOK", "closed_without_signed_answer")] == 2

    sign_in(client, "toshhok.officer")  # officers see the figures, not the board of findings
    assert 'id="findings"' not in client.get("/officer/statistics", params={"lang": "en"}).text

    sign_in(client, "toshhok.head")
    page = client.get("/officer/statistics", params={"lang": "en"}).text
    table = page.split('id="findings"')[1].split("</table>")[0]
    shown = {
        title: _number(count)
        for title, count in re.findall(r'<th scope="row">([^<]+)</th>.*?<td>(\d+)(?: <small>|</td>)', table)
    }
    titles = {rule.code: rule.title["en"] for rule in RULES}
    assert shown == {titles[rule]: count for (_agency, rule), count in toshhok.items()}
    assert "ZRU-793" in table  # the norm each rule protects, as data
    assert "YUNUSHOK" not in table and "Yunusobod" not in table

    # Open data: every body's counts, no case and no officer, small counts flagged; CSV says the same.
    report = client.get("/api/v1/statistics/integrity").json()
    assert Counter({(r["agency"], r["rule"]): r["open_findings"] for r in report["rows"]}) == _findings_recount(world)
    assert report["total"] == sum(_findings_recount(world).values())
    assert all(r["small"] for r in report["rows"])  # fewer than ten each
    assert set(report["rows"][0]) == {
        "agency",
        "agency_name",
        "rule",
        "rule_title",
        "severity",
        "basis",
        "open_findings",
        "small",
    }
    exported = list(csv.DictReader(io.StringIO(client.get("/api/v1/statistics/integrity.csv").text)))
    assert [(r["agency"], r["rule"], int(r["open_findings"])) for r in exported] == [
        (r["agency"] or "", r["rule"], r["open_findings"]) for r in report["rows"]
    ]
    public = client.get("/statistics", params={"lang": "en"}).text  # the public dashboard links the open data
    assert 'href="/api/v1/statistics/integrity.csv?lang=en"' in public and "Open findings of the integrity" in public
    assert client.get("/api/v1/statistics/integrity", params={"agency": "NOPE"}).status_code == 422
    assert client.get("/api/v1/statistics/integrity", params={"agnecy": "TOSHHOK"}).status_code == 422

    # A dismissed finding is no longer counted.
    head = token(client, "toshhok.head")
    finding = next(f for f in client.get("/api/v1/integrity/findings", headers=head).json())
    dismissed = client.post(
        f"/api/v1/integrity/findings/{finding['id']}/dismiss",
        json={"reason": "Javob qog'ozda imzolangan va arxivga topshirilgan"},
        headers=head,
    )
    assert dismissed.status_code == 200, dismissed.text
    after = client.get("/api/v1/statistics/integrity", params={"agency": "TOSHHOK"}).json()
    assert after["total"] == sum(toshhok.values()) - 1 == sum(_findings_recount(world, "TOSHHOK").values())


def test_the_case_lists_follow_the_figures_for_an_auditor_across_agencies(world: World) -> None:
    """The domain's lists match the rollups' figures for every agency (a recount through the API of issue 10)."""
    for agency in ("TOSHHOK", "YUNUSHOK", "YUNUSHOK"):
        _decide(world, _file(world, agency=agency))
    _file(world, "bob", agency="CHILHOK")
    statistics = world.platform.statistics
    auditor = world.actors["auditor"]
    report = statistics.report(Filters(), GroupBy.agency)
    with world.platform.db.reading() as session:
        received = Counter(
            code for (code,) in session.execute(sa.select(Agency.code).join(Case, Case.agency_id == Agency.id)).all()
        )
    for row in report.rows:
        listing = statistics.cases_behind(auditor, Measure.received, Filters(agency=row.key))
        assert len(listing.cases) == row.measures.received == received[row.key], row.key
        assert {c.agency for c in listing.cases} == {row.key}
        decided = statistics.cases_behind(auditor, Measure.decided, Filters(agency=row.key))
        assert len(decided.cases) == row.measures.decided, row.key
        assert all(c.state == "decided" for c in decided.cases)


def test_shaffof_stats_findings_prints_the_same_counts(
    database: Database, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_findings(world)
    monkeypatch.setenv("SHAFFOF_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHAFFOF_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    as_json = runner.invoke(app, ["stats", "findings", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert Counter({(r["agency"], r["rule"]): r["open_findings"] for r in report["rows"]}) == _findings_recount(world)
    table = runner.invoke(app, ["stats", "findings", "--agency", "TOSHHOK"], env={"COLUMNS": "220"})
    assert table.exit_code == 0 and "Closed without a signed answer" in table.output and "YUNUSHOK" not in table.output
    as_csv = runner.invoke(app, ["stats", "findings", "--format", "csv", "--agency", "YUNUSHOK"])
    assert as_csv.stdout.splitlines()[0] == "agency,rule,severity,open_findings,small,basis"
    assert all(line.startswith("YUNUSHOK,") for line in as_csv.stdout.splitlines()[1:])
    unknown = runner.invoke(app, ["stats", "findings", "--agency", "NOSUCH"])
    assert unknown.exit_code == 1 and "agency" in unknown.output
    assert runner.invoke(app, ["stats", "findings", "--format", "xlsx"]).exit_code == 2


def test_shaffof_egdi_self_assessment_counts_the_catalogue(
    database: Database, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAFFOF_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHAFFOF_DATA_DIR", str(settings.data_dir))
    with world.platform.db.reading() as session:
        services = list(session.scalars(sa.select(Service).where(Service.is_current)))
    signed = sum(s.signature_required for s in services)
    shown = CliRunner().invoke(app, ["egdi", "--self-assessment"], env={"COLUMNS": "220"})
    assert shown.exit_code == 0, shown.output
    line = next(line for line in shown.output.splitlines() if "electronic signature" in line)
    assert f"{signed} / {len(services)}" in line


def test_the_self_assessment_speaks_the_pages_language(client: TestClient, world: World) -> None:
    russian = client.get("/statistics/egdi", params={"lang": "ru"}).text
    assert "ссылается на нормы права, на которых основана" in russian
    assert "asoslangan huquqiy normalarni ko&#39;rsatadi" in client.get("/statistics/egdi", params={"lang": "uz"}).text
