"""The public dashboard over the demo data set (loaded through the domain, as `make serve` does): charts and
tables are there, and the figures agree with a straightforward recount from the cases."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shaffof.cases.models import Case, CaseState
from shaffof.cases.ratings import CaseRating
from shaffof.cli.main import app as cli
from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.web.app import create_app
from tests.conftest import SERVICES, TEST_SECRET

TASHKENT = ZoneInfo("Asia/Tashkent")


def test_the_dashboard_shows_the_demo_data_and_agrees_with_a_recount(database: Database, tmp_path: Path) -> None:
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SERVICES_DIR": str(SERVICES),
        "SHAFFOF_ARGON2_TIME_COST": "1",
        "SHAFFOF_ARGON2_MEMORY_KIB": "8192",
    }
    loaded = CliRunner().invoke(cli, ["demo", "--scale", "0.02"], env=env)
    assert loaded.exit_code == 0, loaded.output
    settings = Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET, services_dir=SERVICES)
    app = create_app(settings, db=database)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/statistics", params={"lang": "uz"})
        assert page.status_code == 200
        assert len(re.findall(r'<svg[^>]*role="img"', page.text)) == 3  # trend, comparison, overdue board
        assert page.text.count("<table>") == 3
        report = client.get("/api/v1/statistics", params={"group_by": "agency"}).json()

    now = dt.datetime.now(dt.UTC)
    first = dt.datetime.fromisoformat(report["filters"]["from_month"] + "-01").replace(tzinfo=TASHKENT)
    with database.reading() as session:
        cases = list(session.scalars(sa.select(Case)))
        rated = session.scalar(sa.select(sa.func.count()).select_from(CaseRating).where(CaseRating.rated_at >= first))
    in_period = [c for c in cases if c.received_at >= first]
    decided = [c for c in cases if c.decided_at is not None and c.decided_at >= first]
    open_states = {CaseState.submitted, CaseState.registered, CaseState.in_review, CaseState.info_requested}
    overdue = [c for c in cases if c.state in open_states and c.due_at is not None and c.due_at < now]
    total = report["total"]
    assert total["received"] == len(in_period) > 0
    assert total["decided"] == len(decided) > 0
    assert total["decided_on_time"] == sum(1 for c in decided if c.due_at is None or c.decided_at <= c.due_at)
    assert total["overdue_now"] == len(overdue)
    assert total["ratings"] == rated > 0
