"""`shaffof demo` loads a consistent data set through the domain rules (what `make serve` relies on)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from shaffof.cases.models import Case, CaseEvent, CaseSignature, CaseState
from shaffof.catalog.models import Service
from shaffof.cli.main import app as cli
from shaffof.db.engine import Database
from shaffof.identity import pinfl
from shaffof.identity.models import Person
from tests.conftest import SERVICES


def test_demo_loads_persons_and_cases_in_every_state_and_refuses_twice(database: Database, tmp_path: Path) -> None:
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SERVICES_DIR": str(SERVICES),
        "SHAFFOF_ARGON2_TIME_COST": "1",
        "SHAFFOF_ARGON2_MEMORY_KIB": "8192",
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["demo", "--scale", "0.05"], env=env)
    assert result.exit_code == 0, result.output
    assert "100 persons, 500 cases" in result.output
    with database.reading() as session:
        for code in session.scalars(sa.select(Person.pinfl)):
            pinfl.parse(code)  # every demo PINFL is valid
        states = set(session.scalars(sa.select(Case.state).distinct()))
        assert {CaseState.registered, CaseState.in_review, CaseState.decided, CaseState.closed} <= states
        numbers = list(session.scalars(sa.select(Case.registration_number)))
        assert len(numbers) == len(set(numbers)) >= 500
        # Every case has a gapless timeline that starts with its submission.
        gaps = session.execute(
            sa.select(CaseEvent.case_id)
            .group_by(CaseEvent.agency_id, CaseEvent.case_id)
            .having(sa.func.max(CaseEvent.seq) != sa.func.count())
        ).all()
        assert gaps == []
        # Services with legal effect took only signed submissions: each first-instance case carries the
        # citizen's verified, timestamped signature (forwarded and review cases refer to their origin's).
        signed = (
            sa.select(CaseSignature.case_id)
            .where(
                CaseSignature.agency_id == Case.agency_id,
                CaseSignature.case_id == Case.id,
                CaseSignature.purpose == "submission",
                CaseSignature.timestamp.is_not(None),
            )
            .exists()
        )
        needing = sa.select(Case.id).join(Service, Service.id == Case.service_id).where(Service.signature_required)
        assert session.scalar(sa.select(sa.func.count()).select_from(needing.where(signed).subquery())) > 50
        assert not session.scalars(needing.where(~signed, Case.parent_case_id.is_(None))).all()
    again = runner.invoke(cli, ["demo", "--scale", "0.05"], env=env)
    assert again.exit_code == 1 and "already holds the demo data" in again.output
    assert runner.invoke(cli, ["demo", "--if-empty"], env=env).exit_code == 0


def test_the_demo_refuses_a_ca_younger_than_its_history(database: Database, tmp_path: Path) -> None:
    """Signatures dated over the past year need a CA that existed then (make serve loads the demo first)."""
    env = {
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
        "SHAFFOF_SERVICES_DIR": str(SERVICES),
    }
    runner = CliRunner()
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0  # a CA dated today
    refused = runner.invoke(cli, ["demo", "--scale", "0.01"], env=env)
    assert refused.exit_code == 1 and "load the demo into a fresh database" in refused.output
    with database.reading() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_demo_is_refused_in_production(database: Database, tmp_path: Path) -> None:
    env = {
        "SHAFFOF_ENV": "production",
        "SHAFFOF_SECRET_KEY": "a-production-secret-of-sufficient-length-0123456789",
        "SHAFFOF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "SHAFFOF_DATA_DIR": str(tmp_path / "var"),
    }
    result = CliRunner().invoke(cli, ["demo", "--scale", "0.01"], env=env)
    assert result.exit_code == 1
    assert "refused in production" in result.output
