"""``shaffof services test`` (rules as law, tested) and ``shaffof automation run|trace|replay``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shaffof.identity.actor import Actor
from shaffof.identity.models import Role

if TYPE_CHECKING:
    from shaffof.platform import Platform

app = typer.Typer(
    help="Automated decisions: run queued processes, show a trace, replay a decision.", no_args_is_help=True
)


@contextmanager
def _platform() -> Iterator[Platform]:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    built = Platform.build(_settings())
    try:
        yield built
    finally:
        built.db.dispose()


def _auditor() -> Actor:
    """The console reads as an auditor (every case, changing none): whoever runs it holds the database."""
    return Actor(account_id=0, role=Role.auditor, display_name="console")


def services_test(
    directory: Annotated[Path, typer.Argument(help="folder of service packages")] = Path("services"),
) -> None:
    """Run every package's tests.yaml through its real process and decision tables."""
    from shaffof.automation.testing import run_tests
    from shaffof.catalog.service import validate_packages
    from shaffof.cli.main import _print_problems, console, errors

    catalogue = validate_packages(directory)
    if not catalogue.ok:
        _print_problems([str(p) for p in catalogue.problems])
        raise typer.Exit(1)
    forms = {s.code: s.form for s in catalogue.services}
    failed = total = 0
    for code, package in sorted(catalogue.automation.items()):
        for result in run_tests(package, forms[code]):
            total += 1
            if result.passed:
                console.print(f"[green]pass[/green] {code}: {result.name}", highlight=False)
            else:
                failed += 1
                errors.print(f"[red]FAIL[/red] {code}: {result.name}: {result.detail}", highlight=False)
    console.print(f"{total - failed} of {total} rule tests passed in {len(catalogue.automation)} service(s).")
    if failed:
        raise typer.Exit(1)


@app.command("run")
def run_pass(limit: Annotated[int, typer.Option(help="runs per pass")] = 100) -> None:
    """One pass over the queued processes (the worker does this continuously)."""
    from shaffof.cli.main import console

    with _platform() as built:
        report = built.automation.advance(limit=limit)
    console.print(f"{report.checked} process(es) advanced: {report.by_status or 'none due'}.")


@app.command("trace")
def trace(registration_number: str) -> None:
    """The decision record of a case as JSON (the console is trusted as an auditor)."""

    with _platform() as built:
        record = built.automation.trace(_auditor(), registration_number)
    typer.echo(json.dumps(record.model_dump(mode="json"), ensure_ascii=False, indent=2))


@app.command("replay")
def replay(registration_number: str) -> None:
    """Re-run a decision on its stored model version and recorded inputs; exit 1 if it does not reproduce."""
    from shaffof.cli.main import console, errors

    with _platform() as built:
        result = built.automation.replay(registration_number)
    line = (
        f"{registration_number}: model {result.model_digest[:12]}, stored {result.stored_outcome} "
        f"{result.stored_rules}, replayed {result.replayed_outcome} {result.replayed_rules}"
    )
    if not result.reproduced:
        errors.print(f"[red]NOT reproduced[/red] {line}", highlight=False)
        raise typer.Exit(1)
    console.print(f"reproduced — {line}", highlight=False)
