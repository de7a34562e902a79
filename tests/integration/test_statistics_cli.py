"""``shaffof stats``, ``shaffof export --stats`` and ``shaffof egdi`` against a real database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shaffof.cli.main import app
from shaffof.config import Settings
from shaffof.db.engine import Database
from tests.factories import World
from tests.integration.test_statistics import _history

WIDE = {"COLUMNS": "220"}


@pytest.fixture
def runner(database: Database, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SHAFFOF_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHAFFOF_DATA_DIR", str(settings.data_dir))
    return CliRunner()


def test_export_stats_writes_the_open_data_and_its_dictionary(runner: CliRunner, world: World, tmp_path: Path) -> None:
    _history(world)
    target = tmp_path / "stats.csv"
    written = runner.invoke(app, ["export", "--stats", "--from", "2026-03", "--to", "2026-04", "--out", str(target)])
    assert written.exit_code == 0, written.output
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))}
    assert (rows["YUNUSHOK"]["received"], rows["YUNUSHOK"]["decided"], rows["YUNUSHOK"]["small"]) == ("4", "2", "True")
    assert rows["total"]["received"] == "6"
    as_json = runner.invoke(
        app, ["export", "--stats", "--format", "json", "--group-by", "month", "--from", "2026-03", "--to", "2026-04"]
    )
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert [(r["key"], r["measures"]["received"]) for r in report["rows"]] == [("2026-03", 5), ("2026-04", 1)]
    dictionary = runner.invoke(app, ["export", "--stats", "--dictionary"])
    assert dictionary.stdout.splitlines()[0] == "name,type,unit,definition,source"
    assert set(rows["total"]) == {line.split(",")[0] for line in dictionary.stdout.splitlines()[1:]}


def test_bad_statistics_requests_exit_non_zero_naming_the_field(runner: CliRunner) -> None:
    future = runner.invoke(app, ["export", "--stats", "--to", "2999-01"])
    assert future.exit_code == 1 and "to: 2999-01 is in the future" in future.output
    unknown = runner.invoke(app, ["stats", "show", "--agency", "NOSUCH"])
    assert unknown.exit_code == 1 and "agency" in unknown.output
    assert runner.invoke(app, ["export", "--stats", "--format", "xlsx"]).exit_code == 2
    assert runner.invoke(app, ["export"]).exit_code == 2  # neither a case nor --stats


def test_stats_rebuild_and_show(runner: CliRunner, world: World) -> None:
    _history(world)
    rebuilt = runner.invoke(app, ["stats", "rebuild"])
    assert rebuilt.exit_code == 0 and "Rollups rebuilt" in rebuilt.output
    shown = runner.invoke(app, ["stats", "show", "--from", "2026-03", "--to", "2026-04"], env=WIDE)
    assert shown.exit_code == 0, shown.output
    assert "YUNUSHOK" in shown.output and "too few to compare" in shown.output and "TOTAL" in shown.output


def test_egdi_reproduces_published_values_and_computes_from_raw_indicators(runner: CliRunner, tmp_path: Path) -> None:
    reproduced = runner.invoke(app, ["egdi", "--edition", "2016"], env=WIDE)
    assert reproduced.exit_code == 0, reproduced.output
    assert "0.5434" in reproduced.output and "yes" in reproduced.output
    assert "https://" in reproduced.output  # every value with its source
    standing = runner.invoke(app, ["egdi", "--edition", "2016", "--country", "UZB"], env=WIDE)
    assert "TII moves its score most" in standing.output
    raw = tmp_path / "raw.csv"
    raw.write_text(
        "country,osi_raw,internet_users,mobile_subscriptions,active_mobile_broadband,fixed_broadband,adult_literacy,"
        "gross_enrolment,expected_years_of_schooling,mean_years_of_schooling\n"
        "AAA,0.9,90,120,90,40,99,90,16,12\nBBB,0.5,60,110,60,10,95,70,12,9\nCCC,0.2,30,80,20,2,70,50,9,5\n",
        encoding="utf-8",
    )
    computed = runner.invoke(app, ["egdi", "--raw", str(raw)], env=WIDE)
    assert computed.exit_code == 0, computed.output
    lines = [line for line in computed.output.splitlines() if "AAA" in line or "CCC" in line]
    assert "1.0000" in lines[0] and "0.0000" in lines[1]  # the best scores 1 on every component, the last 0
    broken = tmp_path / "broken.csv"
    broken.write_text("country,osi_raw\nAAA,x\n", encoding="utf-8")
    refused = runner.invoke(app, ["egdi", "--raw", str(broken)], env=WIDE)
    assert refused.exit_code == 1 and "internet_users: missing column" in refused.output
