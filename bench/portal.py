"""What a server-rendered page costs beside the JSON the same domain call returns.

Per backend this script migrates a fresh database, loads the shipped catalogue and the test accounts
(``tests.factories.World``), files N appeals to one hokimiyat through the cases domain, and then times, in
the same process over the ASGI client (no network; the figures are the app's own cost):

  - ``GET /healthz`` — the baseline: routing, middleware, a tiny JSON body;
  - ``GET /api/v1/officer/queue?limit=200`` and ``GET /officer`` — the officer's queue as JSON and as the page
    (the page also resolves the session cookie, renders 200 rows with translated labels and the filters);
  - ``GET /api/v1/services`` and ``GET /`` — the catalogue as JSON and as the page;
  - ``GET /cases/{n}`` — a citizen's case page (case, timeline, documents);
  - ``GET /officer/cases/{n}`` — the officer's case page of a case in review whose decision awaits a second
    officer (four-eyes: the pending proposal is looked up for that case alone), and the same page for the
    head of the body (plus the body's officers for the reassign form).

Medians of R rounds, and each one's ratio to the baseline measured in the same run.

    .venv/bin/python bench/portal.py [--backend sqlite|postgresql|both] [--cases N] [--rounds R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.filterwarnings("ignore")

import sqlalchemy as sa  # noqa: E402
from deadlines import database, machine  # noqa: E402  (bench/deadlines.py)
from fastapi.testclient import TestClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import APPEAL_FORM, PASSWORD, World  # noqa: E402

from shaffof.cases.models import Outcome  # noqa: E402
from shaffof.cases.schemas import CaseSubmit  # noqa: E402
from shaffof.catalog.models import Service  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.platform import Platform  # noqa: E402
from shaffof.web.app import create_app  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
console = Console()


def sign_in(client: TestClient, login: str) -> None:
    """A browser session (cookie) for the pages."""
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD, "mode": "session"})
    assert response.status_code == 200, response.text


def token(client: TestClient, login: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def timed(requests: list[tuple[str, TestClient, str, dict[str, str]]], rounds: int) -> dict[str, float]:
    """Median milliseconds per request kind; the kinds take turns within each round, so a burst of load on
    the shared machine hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name, *_ in requests}
    for _ in range(rounds):
        for name, client, path, headers in requests:
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            samples[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return {name: statistics.median(values) for name, values in samples.items()}


def run(backend: str, n: int, rounds: int) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="shaffof-bench-portal-") as root,
        database(backend, Path(root)) as (
            url,
            label,
        ),
    ):
        migrate.upgrade(url)
        db = Database(url)
        settings = Settings(
            data_dir=Path(root) / "var", argon2_time_cost=1, argon2_memory_kib=8192, services_dir=REPO / "services"
        )
        world = World.build(Platform.build(settings, db), REPO / "services")
        started = time.perf_counter()
        number = ""
        for _ in range(n):
            command = CaseSubmit(service="appeal-to-hokimiyat", agency="TOSHHOK", form=APPEAL_FORM)
            number = world.platform.cases.submit(world.actors["alice"], command).case.registration_number
        console.print(f"[bold]{backend}[/bold]: {label}; {n:,} appeals filed in {time.perf_counter() - started:.1f} s")
        with db.uow() as uow:  # four-eyes for appeals too, so the decision below waits for a second officer
            service = uow.session.scalar(
                sa.select(Service).where(Service.code == "appeal-to-hokimiyat", Service.is_current)
            )
            assert service is not None
            service.integrity = {**(service.integrity or {}), "four_eyes": ["approved"]}
            uow.commit()
        proposer = world.actors[world.assignee(number)]
        world.platform.cases.take(proposer, number)
        world.platform.cases.decide(proposer, number, Outcome.approved, "Chiroqlar tuzatildi.")
        second = "toshhok.officer2" if world.assignee(number) == "toshhok.officer" else "toshhok.officer"
        app = create_app(settings, db=db)
        with (
            TestClient(app, base_url="https://testserver") as officer,
            TestClient(app, base_url="https://testserver") as citizen,
            TestClient(app, base_url="https://testserver") as reviewer,
            TestClient(app, base_url="https://testserver") as head,
        ):
            sign_in(officer, "toshhok.officer")
            sign_in(citizen, "alice")
            sign_in(reviewer, second)
            sign_in(head, "toshhok.head")
            assert f"/officer/cases/{number}/approve" in reviewer.get(f"/officer/cases/{number}").text  # four-eyes
            assert f"/officer/cases/{number}/reassign" in head.get(f"/officer/cases/{number}").text
            api = token(officer, "toshhok.officer")
            for path in ("/healthz", "/officer", "/", f"/cases/{number}"):  # warm-up (templates compile)
                (citizen if path.startswith("/cases") else officer).get(path)
            medians = timed(
                [
                    ("GET /healthz (baseline)", officer, "/healthz", {}),
                    ("GET /api/v1/officer/queue?limit=200 (JSON)", officer, "/api/v1/officer/queue?limit=200", api),
                    ("GET /officer (page, 200 rows)", officer, "/officer", {}),
                    ("GET /api/v1/services (JSON)", officer, "/api/v1/services", {}),
                    ("GET / (catalogue page)", officer, "/", {}),
                    ("GET /cases/{n} (citizen's case page)", citizen, f"/cases/{number}", {}),
                    ("GET /officer/cases/{n} (awaiting approval)", reviewer, f"/officer/cases/{number}", {}),
                    ("GET /officer/cases/{n} (head: + reassign form)", head, f"/officer/cases/{number}", {}),
                ],
                rounds,
            )
        db.dispose()
    table = Table(title=f"{backend} — {n:,} open cases, median of {rounds} requests each")
    for column in ("request", "ms (median)", "÷ baseline"):
        table.add_column(column, justify="left" if column == "request" else "right")
    baseline = medians["GET /healthz (baseline)"]
    for name, ms in medians.items():
        table.add_row(name, f"{ms:.2f}", f"{ms / baseline:.1f}")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    console.print("Shaffof benchmark: portal pages beside the JSON API (bench/portal.py)")
    for key, value in machine().items():
        console.print(f"  {key:<13} {value}")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.cases, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
