"""``shaffof``: serve, worker, init, demo, services validate|import, ledger sequence|keygen, verify-log,
export, verify-evidence, archive retention|holds|hold|release|dispose."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from shaffof.config import Settings

if TYPE_CHECKING:
    from shaffof.cases.service import SlaReport
    from shaffof.platform import Platform

app = typer.Typer(help="Shaffof — e-government services platform.", no_args_is_help=True)
services_app = typer.Typer(help="Service packages: validate and import.", no_args_is_help=True)
app.add_typer(services_app, name="services")
ledger_app = typer.Typer(help="The transparency log: sequence leaves, make a log key.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
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
    """Migrate the database to the latest schema, import the service packages, set up the CA (once)."""
    from shaffof.catalog.errors import CatalogueInvalid
    from shaffof.catalog.service import import_packages
    from shaffof.db import migrate
    from shaffof.errors import DomainError
    from shaffof.pki.errors import PkiAlreadyInitialised
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
        console.print(
            f"Services: {len(report.services_created)} new, {len(report.services_new_version)} new version(s), "
            f"{len(report.services_unchanged)} unchanged; agencies: {len(report.agencies_created)} new."
        )
        try:  # the certification authority, once (signatures, timestamps, revocation need it)
            platform.pki.initialise()
            console.print("Certification authority set up (root and issuing CA, TSA, OCSP responder).")
        except PkiAlreadyInitialised:
            pass
        sealed = _ensure_eseals(platform)
        if sealed:
            console.print(f"E-seals issued for {len(sealed)} agencies (they seal decision documents).")
    except CatalogueInvalid as error:
        _print_problems([f"{e.path}: {e.message}" for e in error.errors])
        raise typer.Exit(1) from None
    except DomainError as error:
        errors.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()


@app.command()
def demo(
    scale: Annotated[float, typer.Option(min=0.001, help="multiply the 2,000 persons and 10,000 cases")] = 1.0,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 2026,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing if demo data is already loaded")] = False,
    services_dir: Annotated[Path | None, typer.Option(help="service packages")] = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="load-test generator: write the cases set-based (millions in minutes), without ledger leaves, "
            "outbox rows or documents — for benchmarks, not for verify-log",
        ),
    ] = False,
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
                    platform, services_dir or settings.services_dir, scale=scale, seed=seed, bulk=bulk, progress=report
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
    console.print("Most services need the sign-in level 'substantial': connect an authenticator app on /account first.")


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
        # Live streams (SSE) stay open until their clients leave: on shutdown they are cut after 10 s, and the
        # clients reconnect (with Last-Event-ID) to another process.
        timeout_graceful_shutdown=10,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="one pass over the due messages, then exit")] = False,
) -> None:
    """Deliver queued notifications (e-mail, SMS) with retries and backoff, until stopped (SIGINT/SIGTERM)."""
    import signal
    import threading

    from shaffof.db.engine import Database
    from shaffof.notify.worker import OutboxWorker, PassReport
    from shaffof.observability import configure_logging, get_logger
    from shaffof.platform import Platform

    log = get_logger("shaffof.worker")

    settings = _settings()
    configure_logging()
    db = Database(settings.resolved_database_url)
    outbox = OutboxWorker.from_settings(settings, db)

    def summary(report: PassReport) -> str:
        text = f"delivered {report.delivered}, retrying {report.retrying}, failed {report.failed}"
        if report.waiting:
            text += f"; {report.waiting} waiting for a channel to be configured"
        return text + ("; another worker holds the outbox lease (standing by)" if report.standing_by else "")

    platform = Platform.build(settings, db)
    try:
        if once:
            console.print(f"SLA monitor: {_sla_summary(platform.monitor_sla())}.")
            console.print(f"Automated processes: {platform.advance_automation().by_status or 'none due'}.")
            console.print(f"Decision documents issued: {platform.issue_decisions()}.")
            console.print(f"Mediator message-log entries sealed: {platform.seal_message_log()}.")
            console.print(f"Integrity monitor: {_integrity_summary(platform.scan_integrity())}.")
            purpose = platform.destroy_purpose_achieved()
            console.print(f"Personal data destroyed, purpose achieved: {purpose.destroyed} ({purpose.cases} cases).")
            for channel in outbox.not_ready():
                errors.print(f"[yellow]{channel.value}: not configured; its messages stay queued.[/yellow]")
            try:
                console.print(f"Outbox: {summary(outbox.run_once())}.")
            finally:
                outbox.release()
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())

        def monitor() -> None:  # the SLA monitor ticks beside the outbox
            while True:
                try:
                    platform.monitor_sla()
                    platform.issue_decisions()
                    platform.seal_message_log()  # the message log is timestamped in batches (X-Road)
                    platform.scan_integrity()
                    platform.destroy_purpose_achieved()  # ZRU-547 Art. 17, tombstones left
                except Exception:
                    log.exception("SLA monitor, decision documents or integrity monitor pass failed")
                if stop.wait(settings.sla_interval_seconds):
                    return

        def automate() -> None:  # automated decisions: queued processes run within a poll interval
            while True:
                try:
                    platform.advance_automation()
                except Exception:
                    log.exception("automated processes pass failed")
                if stop.wait(settings.worker_poll_seconds):
                    return

        threading.Thread(target=monitor, name="sla-monitor", daemon=True).start()
        threading.Thread(target=automate, name="automation", daemon=True).start()
        console.print(f"Worker {outbox.worker_id} delivering notifications and monitoring deadlines; Ctrl+C stops it.")
        outbox.run(stop, poll_seconds=settings.worker_poll_seconds)
    finally:
        db.dispose()


def _ensure_eseals(platform: Platform) -> list[str]:
    """Every agency gets an e-seal certificate, once: decision documents are sealed with it."""
    from shaffof.catalog.service import list_agencies
    from shaffof.pki.errors import CertificateNotFound

    issued = []
    with platform.db.reading() as session:
        codes = [agency.code for agency in list_agencies(session)]
    for code in codes:
        with platform.db.reading() as session:
            try:
                platform.pki.eseal(session, code)
                continue
            except CertificateNotFound:
                pass
        platform.pki.issue_eseal(None, code)
        issued.append(code)
    return issued


def _sla_summary(report: SlaReport) -> str:
    moved = ", ".join(f"{count} → {state}" for state, count in sorted(report.changed.items())) or "no changes"
    return f"{report.checked} case(s) checked; {moved}; {report.escalated} escalated"


@app.command()
def sla() -> None:
    """Run the SLA monitor once: move cases to at_risk / overdue / long_overdue and escalate."""
    from shaffof.platform import Platform

    platform = Platform.build(_settings())
    try:
        console.print(f"SLA monitor: {_sla_summary(platform.monitor_sla())}.")
    finally:
        platform.db.dispose()


@ledger_app.command("sequence")
def ledger_sequence(
    follow: Annotated[bool, typer.Option("--follow", help="keep integrating every interval until stopped")] = False,
) -> None:
    """Integrate committed leaves into the tree (gapless indexes) and sign a checkpoint."""
    import signal
    import threading

    from shaffof.ledger.sequencer import SequencerReport
    from shaffof.platform import Platform

    settings = _settings()
    platform = Platform.build(settings)

    def show(report: SequencerReport) -> None:
        line = f"Integrated {report.integrated} leaves; the tree has {report.tree_size}."
        if report.checkpoint is not None:
            signed = report.checkpoint
            line += f" Signed checkpoint {signed.tree_size} at {signed.timestamp:%Y-%m-%d %H:%M:%S} UTC."
        console.print(line)
        if report.unsigned:
            errors.print(f"[red]No checkpoint signed:[/red] {platform.ledger.status().signing}")
        if report.unstamped:
            errors.print(f"The newest checkpoint has no timestamp: {report.unstamped}", style="yellow", markup=False)

    try:
        if not follow:
            report = platform.ledger.sequence()
            show(report)
            if report.unsigned:
                raise typer.Exit(1)
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        console.print("Sequencing the ledger; Ctrl+C stops.")
        while not stop.wait(settings.ledger_sequencer_interval_seconds):
            try:
                report = platform.ledger.sequence()
            except Exception as error:
                errors.print(f"[red]Sequencer failed:[/red] {error}")
                continue
            if report.integrated or report.checkpoint or report.unsigned:
                show(report)
    finally:
        platform.db.dispose()


@ledger_app.command("keygen")
def ledger_keygen(path: Annotated[Path, typer.Argument(help="where to write the new private key (PEM)")]) -> None:
    """Make a new Ed25519 log key (mode 0600); point SHAFFOF_LEDGER_KEY_FILE at it."""
    from shaffof.ledger.keys import generate_key_file

    try:
        key = generate_key_file(path)
    except FileExistsError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Log key written to {path} (key id {key.key_id}). Keep it secret; publish its public key:")
    console.print(key.public_pem, markup=False, highlight=False)


@app.command("verify-log")
def verify_log(
    public_key: Annotated[
        Path | None, typer.Option(help="the log's public key (PEM) to check signatures with; default: the log key")
    ] = None,
    blobs: Annotated[bool, typer.Option("--blobs/--no-blobs", help="re-hash every blob of the archive")] = True,
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="the CA (PEM) to check checkpoint timestamps with; default: the platform's"),
    ] = None,
) -> None:
    """Recompute the log from its leaves; check checkpoints and their timestamps, case events, logged records
    (tombstones, …) and blobs. Exit 1 on any discrepancy."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from shaffof.ledger import audit
    from shaffof.platform import Platform

    settings = _settings()
    platform = Platform.build(settings)
    try:
        key = platform.ledger.public_key()
        if public_key is not None:
            loaded = load_pem_public_key(public_key.read_bytes())
            if not isinstance(loaded, Ed25519PublicKey):
                errors.print(f"[red]{public_key} is not an Ed25519 public key.[/red]")
                raise typer.Exit(2)
            key = loaded
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def report_progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = progress.add_task(f"Checking {phase}", total=total)
                progress.update(tasks[phase], completed=done, total=total)

            timestamper = platform.ledger.timestamper
            trust = timestamper.trust() if timestamper is not None else None
            if ca is not None:
                from shaffof.pki.chain import TrustAnchors

                trust = TrustAnchors.from_pem(ca.read_bytes())
            result = audit.verify_log(
                platform.db,
                public_key=key,
                blobs=platform.blobs if blobs else None,
                records=platform.ledger.record_sources,
                subject_records=platform.ledger.subject_sources,
                tsa_trust=trust,
                progress=report_progress,
            )
    finally:
        platform.db.dispose()
    counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
    if not result.ok:
        _print_problems([str(d) for d in result.discrepancies] + result.summary_of_suppressed())
        errors.print(f"[red]The log does not verify[/red] ({counts}).")
        raise typer.Exit(1)
    console.print(f"[green]OK[/green]: {counts} verified.")


@app.command("export")
def export(
    case_number: Annotated[str | None, typer.Argument(help="the case's registration number")] = None,
    out: Annotated[
        Path | None, typer.Option(help="the file to write (default: <CASE_NUMBER>.zip; stdout for --stats)")
    ] = None,
    stats: Annotated[bool, typer.Option("--stats", help="export the open statistics instead of a case")] = False,
    output_format: Annotated[str, typer.Option("--format", help="with --stats: csv or json")] = "csv",
    dictionary: Annotated[bool, typer.Option("--dictionary", help="with --stats: the data dictionary")] = False,
    group_by: Annotated[
        str, typer.Option("--group-by", help="with --stats: total|agency|service|region|month")
    ] = "agency",
    from_month: Annotated[str | None, typer.Option("--from", help="with --stats: first month, YYYY-MM")] = None,
    to_month: Annotated[str | None, typer.Option("--to", help="with --stats: last month, YYYY-MM")] = None,
    agency: Annotated[str | None, typer.Option(help="with --stats: agency code")] = None,
    service: Annotated[str | None, typer.Option(help="with --stats: service code")] = None,
    region: Annotated[str | None, typer.Option(help="with --stats: ISO 3166-2 region")] = None,
) -> None:
    """Export a case as an evidence package (ZIP) that `shaffof verify-evidence` checks offline; with --stats,
    the open statistics as CSV or JSON (aggregates only) or their data dictionary."""
    if stats:
        from shaffof.reports.cli import export_stats

        export_stats(out, output_format, dictionary, group_by, from_month, to_month, agency, service, region)
        return
    if case_number is None:
        errors.print("[red]Name a case's registration number, or use --stats.[/red]")
        raise typer.Exit(2)
    from shaffof.archive.evidence import export_case
    from shaffof.errors import DomainError
    from shaffof.platform import Platform

    platform = Platform.build(_settings())
    try:
        public_key = platform.ledger.public_key()
        pem = platform.ledger.public_key_pem() if public_key is not None else None
        package = export_case(platform.db, platform.blobs, case_number, log_public_pem=pem)
        applicant = platform.cases.applicant_of(package.registration_number)
        if applicant is not None:  # the data tracker: the applicant sees the export (before the file exists)
            platform.privacy.on_case_export(package.registration_number, applicant[1])
    except DomainError as error:
        errors.print(f"[red]{error.detail}[/red]", highlight=False)
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()
    target = out or Path(f"{package.registration_number}.zip")
    target.write_bytes(package.data)
    console.print(
        f"{target}: {package.events} events, {package.documents} documents, {package.signatures} signatures, "
        f"checkpoint of {package.checkpoint_size} leaves.",
        highlight=False,
        markup=False,
    )
    if package.unproven_events:
        errors.print(
            f"[yellow]{package.unproven_events} event(s) not covered by the latest checkpoint yet; "
            "export again after the next checkpoint (`shaffof ledger sequence`).[/yellow]"
        )


@app.command("verify-evidence")
def verify_evidence(
    file: Annotated[Path, typer.Argument(help="an evidence package (ZIP) from `shaffof export`")],
    ca: Annotated[Path, typer.Option("--ca", help="the CA certificate (PEM) you trust, e.g. from /pki/ca.pem")],
    log_key: Annotated[Path, typer.Option("--log-key", help="the log's public key (PEM) you trust")],
) -> None:
    """Verify an evidence package offline. Exit 0 valid, 1 any problem (each listed), 2 unreadable input."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from shaffof.archive.evidence_verify import PackageUnreadable
    from shaffof.archive.evidence_verify import verify_evidence as check
    from shaffof.pki.chain import TrustAnchors

    try:
        data, ca_pem = file.read_bytes(), ca.read_bytes()
        TrustAnchors.from_pem(ca_pem)  # a CA file without a root certificate is refused here, not later
        key = load_pem_public_key(log_key.read_bytes())
    except (OSError, ValueError) as error:
        errors.print(f"Cannot read the package, the CA or the log key: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if not isinstance(key, Ed25519PublicKey):
        errors.print(f"[red]{log_key} is not an Ed25519 public key.[/red]")
        raise typer.Exit(2)
    try:
        report = check(data, ca_pem=ca_pem, log_key=key)
    except PackageUnreadable as error:
        errors.print(f"{file}: {error}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    counts = (
        f"{report.files} files, {report.events} events, {report.proofs} inclusion proofs against the checkpoint "
        f"of {report.checkpoint_size} leaves, {report.seals} signatures, {report.timestamps} checkpoint timestamps"
        + (", consistency with the first checkpoint" if report.consistency else "")
        + (f", {report.disposed} disposed documents (tombstones)" if report.disposed else "")
    )
    if not report.ok:
        _print_problems([str(problem) for problem in report.problems])
        errors.print(f"[red]The evidence package of {report.registration_number} does not verify[/red] ({counts}).")
        raise typer.Exit(1)
    console.print(f"[green]OK[/green]: {report.registration_number}: {counts} verified.", highlight=False)


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


# --------------------------------------------------------------------------- deadlines and the calendar

calendar_app = typer.Typer(help="The legal calendar: working days, holidays, overrides.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


@app.command("deadline")
def deadline(
    policy: Annotated[
        str, typer.Argument(help="a policy name, e.g. zru445-answer (see GET /api/v1/deadlines/policies)")
    ],
    received_at: Annotated[str, typer.Argument(help="ISO 8601 with an offset, e.g. 2026-03-06T10:00:00+05:00")],
    lang: Annotated[str, typer.Option(help="uz, ru or en")] = "en",
) -> None:
    """Print the due date(s) of POLICY for a receipt at RECEIVED_AT, with the explanation and the citation."""
    from shaffof.errors import DomainError
    from shaffof.platform import Platform

    platform = Platform.build(_settings())
    try:
        result = platform.deadlines.calculate(policy, received_at, lang)
    except DomainError as error:
        _print_problems([f"{e.path}: {e.message}" for e in error.errors] or [error.detail])
        raise typer.Exit(2) from None
    finally:
        platform.db.dispose()
    for item in (result, *result.interim):
        console.print(f"[bold]{item.policy}[/bold]: due {item.due_on.isoformat()} (until {item.due_at.isoformat()})")
        console.print(item.explanation.text, markup=False, highlight=False, soft_wrap=True)
        norm = f"Norm: {item.citation}" + (f" — {item.citation.url}" if item.citation.url else "")
        console.print(norm, markup=False, highlight=False, soft_wrap=True)


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(help="e.g. 2026")],
    six_day_week: Annotated[bool, typer.Option("--six-day-week", help="Sunday is the only weekend day")] = False,
    lang: Annotated[str, typer.Option(help="uz, ru or en")] = "en",
) -> None:
    """The year's holidays, decree days, swapped working days and overrides, and its working-day count."""
    from rich.table import Table

    from shaffof.deadlines.calendar import WorkingWeek
    from shaffof.errors import DomainError
    from shaffof.platform import Platform

    platform = Platform.build(_settings())
    week = WorkingWeek.six_days if six_day_week else WorkingWeek.five_days
    try:
        shown = platform.deadlines.calendar_year(year, week, lang)
    except DomainError as error:
        errors.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(2) from None
    finally:
        platform.db.dispose()
    table = Table(title=f"{year}: {shown.working_days} working days, {shown.non_working_days} days off ({week.value})")
    for column in ("date", "weekday", "status", "why"):
        table.add_column(column)
    for day in shown.days:
        status = "[green]working[/green]" if day.working else "[red]day off[/red]"
        table.add_row(day.date.isoformat(), day.date.strftime("%a"), status, f"{day.reason} ({day.source.value})")
    console.print(table)
    for override in shown.overrides:
        console.print(
            f"override {override.date}: {override.kind.value} — {override.reason} "
            f"(by {override.entered_by}, {override.entered_at:%Y-%m-%d %H:%M} UTC)",
            markup=False,
        )


@calendar_app.command("add")
def calendar_add(
    date: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="the decree or the reason (shown to citizens)")],
    day_off: Annotated[bool, typer.Option("--day-off", help="a decreed extra day off")] = False,
    working_day: Annotated[bool, typer.Option("--working-day", help="a weekend day made a working day")] = False,
    admin: Annotated[str, typer.Option(help="the administrator's login it is entered as")] = "admin",
) -> None:
    """Enter a calendar override; the due dates of open cases whose count passes the date move at once."""
    from shaffof.deadlines.calendar import OverrideKind
    from shaffof.deadlines.schemas import OverrideCreate
    from shaffof.errors import DomainError
    from shaffof.identity import service as identity
    from shaffof.platform import Platform

    if day_off == working_day:
        errors.print("[red]Give exactly one of --day-off and --working-day.[/red]")
        raise typer.Exit(2)
    platform = Platform.build(_settings())
    try:
        with platform.db.reading() as session:
            account = identity.find_account_by_login(session, admin)
        if account is None:
            errors.print(f"[red]No account {admin!r}; pass --admin LOGIN of an administrator.[/red]")
            raise typer.Exit(2)
        kind = OverrideKind.day_off if day_off else OverrideKind.working_day
        try:
            command = OverrideCreate(date=date, kind=kind, reason=reason)
            result = platform.deadlines.add_override(identity.actor_of(account), command)
        except DomainError as error:
            _print_problems([f"{e.path}: {e.message}" for e in error.errors] or [error.detail])
            raise typer.Exit(1) from None
        except ValueError as error:  # pydantic: a reason too short or too long
            errors.print(f"[red]{error}[/red]", markup=False)
            raise typer.Exit(2) from None
    finally:
        platform.db.dispose()
    console.print(
        f"{result.date}: {result.kind.value} ({result.reason}); "
        f"{result.recomputed_deadlines} deadline(s) of open cases moved."
    )


# --------------------------------------------------------------------------- automated decisions
from shaffof.automation import cli as automation_cli  # noqa: E402

app.add_typer(automation_cli.app, name="automation")
services_app.command("test")(automation_cli.services_test)

# --------------------------------------------------------------------------- PKI and signature verification
# The commands live with their domain (pki/cli.py); it imports its dependencies lazily, like this module.
from shaffof.oidc import cli as oidc_cli  # noqa: E402
from shaffof.pki import cli as pki_cli  # noqa: E402

app.add_typer(pki_cli.app, name="pki")
app.add_typer(oidc_cli.app, name="oidc")
app.command("verify")(pki_cli.verify)

from shaffof.archive import cli as archive_cli  # noqa: E402

app.add_typer(archive_cli.app, name="archive")

# --------------------------------------------------------------------------- personal data (mediator/cli.py)
from shaffof.mediator import cli as mediator_cli  # noqa: E402

app.add_typer(mediator_cli.app, name="mediator")
app.add_typer(mediator_cli.keys_app, name="keys")

# Statistics and the EGDI calculator live with their domain (reports/cli.py).
from shaffof.reports import cli as reports_cli  # noqa: E402

app.add_typer(reports_cli.app, name="stats")
app.command("egdi")(reports_cli.egdi)
from shaffof.integrity import cli as integrity_cli  # noqa: E402
from shaffof.integrity.cli import summary as _integrity_summary  # noqa: E402

app.add_typer(integrity_cli.app, name="integrity")


def main() -> None:  # pragma: no cover - console entry
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
