"""``shaffof deadline`` and ``shaffof calendar show|add`` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from shaffof.cli.main import app
from shaffof.config import Settings
from shaffof.db.engine import Database
from tests.factories import World


@pytest.fixture
def runner(database: Database, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SHAFFOF_DATABASE_URL", database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SHAFFOF_DATA_DIR", str(settings.data_dir))
    return CliRunner()


def test_deadline_prints_the_due_date_the_explanation_and_the_norm(runner: CliRunner) -> None:
    result = runner.invoke(app, ["deadline", "zru445-answer", "2026-03-06T10:00:00+05:00"])
    assert result.exit_code == 0, result.output
    assert "zru445-answer: due 2026-03-24" in result.output
    assert "a day off (Nowruz)" in result.output
    assert "ZRU-445 Art. 28(1)" in result.output and "https://lex.uz/docs/3336171" in result.output
    proposal = runner.invoke(app, ["deadline", "zru445-proposal", "2026-03-02T10:00:00+05:00", "--lang", "ru"])
    assert "zru445-proposal-notice: due 2026-03-12" in proposal.output and "Поступило" in proposal.output


def test_deadline_refuses_a_time_without_an_offset(runner: CliRunner) -> None:
    result = runner.invoke(app, ["deadline", "zru445-answer", "2026-03-06T10:00:00"])
    assert result.exit_code == 2
    assert "received_at" in result.output


def test_calendar_add_then_show(runner: CliRunner) -> None:
    added = runner.invoke(app, ["calendar", "add", "2027-03-23", "--day-off", "--reason", "Decree PF-1 of 2027"])
    assert added.exit_code == 0, added.output
    assert "2027-03-23: day_off" in added.output and "0 deadline(s)" in added.output
    again = runner.invoke(app, ["calendar", "add", "2027-03-23", "--working-day", "--reason", "changed our mind"])
    assert again.exit_code == 1 and "already" in again.output
    bad = runner.invoke(app, ["calendar", "add", "2027-02-30", "--day-off", "--reason", "Decree"])
    assert bad.exit_code == 1 and "date" in bad.output
    neither = runner.invoke(app, ["calendar", "add", "2027-03-24", "--reason", "Decree"])
    assert neither.exit_code == 2
    not_admin = runner.invoke(
        app, ["calendar", "add", "2027-03-24", "--day-off", "--reason", "Decree", "--admin", "toshhok.head"]
    )
    assert not_admin.exit_code == 1 and "administrator" in not_admin.output
    shown = runner.invoke(app, ["calendar", "show", "2027"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "2027-03-23" in shown.output and "Decree PF-1 of 2027" in shown.output
    assert "working days" in shown.output
