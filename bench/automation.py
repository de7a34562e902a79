"""Automated decisions: how fast, and what SpiffWorkflow's serialization costs per step.

In one run, on one backend (a SQLite file or a throwaway PostgreSQL 15 cluster, as bench/deadlines.py):

  1. **baseline** — a plain evaluation of the child allowance's DMN table (``DecisionTable.evaluate``: FEEL cells,
     hit policy, citations), the same inputs each time;
  2. **process in memory** — the whole BPMN process from a fresh start (SpiffWorkflow: start, registry task,
     sandboxed script, gateway condition, business-rule task with the same table, end) and its trace, no database;
  3. **serialize / deserialize** — ``process.dump`` / ``process.load`` of a running instance (what is stored with
     the case after each step, and read back before the next), and the size of the JSON;
  4. **end to end** — N child-allowance applications submitted through ``Cases.submit`` (each queues its run;
     unsigned, from a copy of the package without ``signature_required`` — the submission is not timed),
     then the worker's ``Automation.advance`` timed over all of them: per case it asks the population registry
     through the information mediator (policy check, message-log entry, the person's access record and its ledger
     leaf — the mediator's own transaction), runs the process, then in one transaction locks the case, stores state
     and trace, decides through the decide path (events, ledger leaves, notices) and commits. Decisions per
     second, and every case checked decided.

    .venv/bin/python bench/automation.py [--backend sqlite|postgresql] [--cases N] [--repeat R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
warnings.filterwarnings("ignore", category=DeprecationWarning)

import sqlalchemy as sa  # noqa: E402
import yaml  # noqa: E402
from bench.deadlines import database, machine  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.factories import World  # noqa: E402
from tests.integration import registry_data  # noqa: E402

from shaffof.automation import package as packages  # noqa: E402
from shaffof.automation import process  # noqa: E402
from shaffof.automation.models import AutomationRun, RunStatus  # noqa: E402
from shaffof.automation.registries import StatedAnswers  # noqa: E402
from shaffof.automation.runner import new_trace, process_data, run  # noqa: E402
from shaffof.cases.models import Case, Outcome  # noqa: E402
from shaffof.cases.schemas import CaseSubmit  # noqa: E402
from shaffof.config import Settings  # noqa: E402
from shaffof.db import migrate  # noqa: E402
from shaffof.db.engine import Database  # noqa: E402
from shaffof.platform import Platform  # noqa: E402

SERVICES = REPO / "services"
DEMO = SERVICES / "child-allowance"
FORM = {
    "household_size": 5,
    "unofficial_income_uzs": 2_500_000,
    "payment_method": "post_office",
    "contact_phone": "+998901234567",
    "consent_to_data_check": True,
}
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def in_memory(repeat: int) -> tuple[list[float], list[float], list[float], list[float], int]:
    package, problems = packages.load(DEMO)
    assert package is not None, problems
    form_schema = yaml.safe_load((DEMO / "service.yaml").read_text())["form"]
    day = dt.date(2026, 3, 1)
    parameters = package.parameters_on(day)
    table = package.tables["child_allowance_eligibility"]
    inputs = {"income_per_member": 500_000, "household_size": 5, "has_disabled": False}
    at = dt.datetime.now(dt.UTC)
    answers = StatedAnswers({"population.family": {"applicant_age": 34, "applicant_sex": "F", "children_under_18": 2}})

    def whole() -> None:
        result = run(
            package,
            state=None,
            data=process_data(form_schema, FORM),
            trace=new_trace(package, day, FORM),
            gateway=answers,
            inquiry=None,
            at=at,
        )
        assert result.outcome == "approved"

    baseline = timed(lambda: table.evaluate(inputs, parameters), repeat)
    whole_runs = timed(whole, repeat)
    # A running instance, stopped where the engine waits: the registry task (the first step's state).
    workflow = process.BpmnWorkflow(package.process.spec, script_engine=process.sandbox.script_engine())
    workflow.do_engine_steps()
    state = process.dump(workflow)
    dumps = timed(lambda: process.dump(workflow), repeat)
    loads = timed(lambda: process.load(state), repeat)
    return baseline, whole_runs, dumps, loads, len(state.encode())


def end_to_end(backend: str, cases: int) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as directory, database(backend, Path(directory)) as (url, label):
        migrate.upgrade(url)
        settings = Settings(
            data_dir=Path(directory) / "var",
            secret_key="bench-secret-key-that-is-long-enough-0123456789",
            argon2_time_cost=1,
            argon2_memory_kib=8 * 1024,
            services_dir=SERVICES,
        )
        db = Database(url)
        try:
            platform = Platform.build(settings, db)
            # The submissions are not what is measured: take them unsigned (the shipped package requires the
            # applicant's signature, which the timed worker pass never looks at).
            services = Path(directory) / "services"
            shutil.copytree(SERVICES, services)
            package = services / "child-allowance" / "service.yaml"
            package.write_text(package.read_text().replace("signature_required: true", "signature_required: false"))
            world = World.build(platform, services)
            registry_data.load(world)  # alice's family in the population registry; the demo access policies
            alice = world.actors["alice"]
            for _ in range(cases):
                platform.cases.submit(alice, CaseSubmit(service="child-allowance", form=FORM))
            start = time.perf_counter()
            report = platform.automation.advance(limit=cases)
            elapsed = time.perf_counter() - start
            # The same decide path without the process: lock the case, decide it (events, ledger leaves,
            # notices), commit — on a second batch of the same applications.
            numbers = [
                platform.cases.submit(alice, CaseSubmit(service="child-allowance", form=FORM)).case.registration_number
                for _ in range(cases)
            ]
            start = time.perf_counter()
            for number in numbers:
                with db.uow() as uow:
                    case = uow.session.scalar(
                        sa.select(Case).where(Case.registration_number == number).with_for_update()
                    )
                    assert case is not None
                    platform.cases.decide_automatically(uow.session, case, Outcome.approved, "baseline", {})
                    uow.commit()
            decide_only = time.perf_counter() - start
            with db.reading() as session:
                decided = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(AutomationRun)
                    .where(AutomationRun.status == RunStatus.decided)
                )
            if report.by_status != {"decided": cases} or decided != cases:
                console.print(f"[red]not every case was decided: {report.by_status}, {decided} stored[/red]")
                raise SystemExit(1)
        finally:
            db.dispose()
    return elapsed, decide_only, label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cases", type=int, default=200, help="applications decided end to end")
    parser.add_argument("--repeat", type=int, default=300, help="samples of each in-memory measurement")
    args = parser.parse_args()

    for key, value in machine().items():
        console.print(f"{key:>13}: {value}")
    baseline, whole, dumps, loads, size = in_memory(args.repeat)
    elapsed, decide_only, label = end_to_end(args.backend, args.cases)
    base = statistics.median(baseline)

    table = Table(title=f"Automated decisions — medians of {args.repeat} samples; end to end on {label}")
    for column in ("measurement", "median", "× DMN table alone"):
        table.add_column(column, justify="right" if column != "measurement" else "left")

    def row(name: str, seconds: float) -> None:
        table.add_row(name, f"{seconds * 1e3:.3f} ms", f"{seconds / base:.1f}")

    row("DMN table alone (baseline)", base)
    row("whole BPMN process in memory, with trace", statistics.median(whole))
    row(f"serialize a running instance ({size:,} bytes JSON)", statistics.median(dumps))
    row("deserialize it", statistics.median(loads))
    row(f"the decide path alone, per case ({args.cases} cases)", decide_only / args.cases)
    row(f"end to end per case (worker, {args.cases} cases)", elapsed / args.cases)
    console.print(table)
    console.print(
        f"End to end: {args.cases} applications decided in {elapsed:.2f} s = {args.cases / elapsed:.1f} decisions/s "
        f"(registry through the mediator, process, trace and state stored, decide path with events, ledger leaves "
        f"and notices, commit); "
        f"the decide path alone: {args.cases / decide_only:.1f} decisions/s, so the process adds "
        f"{(elapsed - decide_only) / args.cases * 1e3:.1f} ms per case."
    )


if __name__ == "__main__":
    main()
