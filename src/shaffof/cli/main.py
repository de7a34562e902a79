"""``shaffof``: serve, init, demo, services validate|import."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from shaffof.config import Settings

app = typer.Typer(help="Shaffof — e-government services platform.", no_args_is_help=True)
services_app = typer.Typer(help="Service packages: validate and import.", no_args_is_help=True)
app.add_typer(services_app, name="services")
console = Console()
errors = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as error:
        errors.print(f"[red]Configuration refused:[/red] {error}")
        raise typer.Exit(2) from None


@app.command()
def init(
    services_dir: Annotated[Path | None, typer.Option(help="service packages to import")] = None,
    no_services: Annotated[bool, typer.Option("--no-services", help="only migrate the schema")] = False,
) -> None:
    """Create or migrate the database to the latest schema and import the service packages."""
    from shaffof.catalog.errors import CatalogueInvalid
    from shaffof.catalog.service import import_packages
    from shaffof.db import migrate
    from shaffof.platform import Platform

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.resolved_database_url)
    console.print(f"Schema at revision [bold]{migrate.current_revision(settings.resolved_database_url)}[/bold].")
    if no_services:
        return
    platform = Platform.build(settings)
    try:
        with platform.db.uow() as uow:
            report = import_packages(uow, services_dir or settings.services_dir)
    except CatalogueInvalid as error:
        _print_problems([f"{e.path}: {e.message}" for e in error.errors])
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    console.print(
        f"Services: {len(report.services_created)} new, {len(report.services_new_version)} new version(s), "
        f"{len(report.services_unchanged)} unchanged; agencies: {len(report.agencies_created)} new."
    )


@app.command()
def demo(
    scale: Annotated[float, typer.Option(min=0.001, help="multiply the 2,000 persons and 10,000 cases")] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 2026,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing if demo data is already loaded")] = False,
    services_dir: Annotated[Path | None, typer.Option(help="service packages")] = None,
) -> None:
    """Load the demo data: agencies, services, staff, persons and cases (through the domain rules)."""
    from shaffof.demo.loader import DEMO_PASSWORD, DemoRefused, has_demo_data, load_demo
    from shaffof.platform import Platform

    settings = _settings()
    platform = Platform.build(settings)
    try:
        if if_empty and has_demo_data(platform):
            console.print("Demo data already loaded.")
            return
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def report(task: str, done: int, total: int) -> None:
                if task not in tasks:
                    tasks[task] = progress.add_task(f"Loading {task}", total=total)
                progress.update(tasks[task], completed=done)

            try:
                result = load_demo(
                    platform, services_dir or settings.services_dir, scale=scale, seed=seed, progress=report
                )
            except DemoRefused as error:
                errors.print(f"[red]{error}[/red]")
                raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    console.print(
        f"Demo loaded: {result.agencies} agencies, {result.services} services, {result.staff} officers, "
        f"{result.persons} persons, {result.cases} cases."
    )
    console.print(
        f"Sign in as 'admin', 'auditor', '<agency>.officer1' (e.g. 'toshhok.officer1'), '<agency>.head' or a "
        f"citizen's PINFL, password [bold]{DEMO_PASSWORD}[/bold] (demo only)."
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="server processes")] = 1,
) -> None:
    """Serve the API and the portal."""
    import uvicorn

    from shaffof.observability import configure_logging

    settings = _settings()
    configure_logging()
    uvicorn.run(
        "shaffof.web.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=False,
    )


def _print_problems(problems: list[str]) -> None:
    """One ``file: path: message`` line per problem (editors and grep understand it)."""
    for item in problems:
        errors.print(item, markup=False, highlight=False, soft_wrap=True)
    errors.print(f"[red]{len(problems)} problem(s).[/red]")


@services_app.command("validate")
def services_validate(
    directory: Annotated[Path, typer.Argument(help="folder of service packages")] = Path("services"),
) -> None:
    """Check every service package; list each error with its file and path."""
    from shaffof.catalog.service import validate_packages

    catalogue = validate_packages(directory)
    if not catalogue.ok:
        _print_problems([str(p) for p in catalogue.problems])
        raise typer.Exit(1)
    console.print(f"OK: {len(catalogue.agencies)} agencies, {len(catalogue.services)} services.")


@services_app.command("import")
def services_import(
    directory: Annotated[Path, typer.Argument(help="folder of service packages")] = Path("services"),
) -> None:
    """Import the packages (a changed package becomes a new version; cases keep theirs)."""
    from shaffof.catalog.errors import CatalogueInvalid
    from shaffof.catalog.service import import_packages
    from shaffof.platform import Platform

    platform = Platform.build(_settings())
    try:
        with platform.db.uow() as uow:
            report = import_packages(uow, directory)
    except CatalogueInvalid as error:
        _print_problems([f"{e.path}: {e.message}" for e in error.errors])
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    for label, items in (
        ("new", report.services_created),
        ("new version", report.services_new_version),
        ("unchanged", report.services_unchanged),
    ):
        console.print(f"{label}: {', '.join(items) or '—'}")


def main() -> None:  # pragma: no cover - console entry
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
