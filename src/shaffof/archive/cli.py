"""``shaffof archive retention|holds|hold|release|dispose``: the retention schedule, legal holds and disposal.

Each command acts as an account (``--as LOGIN``, default ``admin``) and the archive domain decides whether
that account may (administrators and archivists): the console is not a way around the policy.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shaffof.identity.actor import Actor
    from shaffof.platform import Platform

app = typer.Typer(help="The archive: retention schedule, legal holds, disposal with tombstones.", no_args_is_help=True)

AsLogin = Annotated[str, typer.Option("--as", help="the archivist's or administrator's login to act as")]


def _platform() -> Platform:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    with contextlib.redirect_stdout(sys.stderr):  # start-up warnings to stderr; stdout is the command's
        return Platform.build(_settings())


def _actor(platform: Platform, login: str) -> Actor:
    from shaffof.cli.main import errors
    from shaffof.identity import service as identity

    with platform.db.reading() as session:
        account = identity.find_account_by_login(session, login)
    if account is None:
        errors.print(f"[red]No account {login!r}; pass --as LOGIN of an archivist or administrator.[/red]")
        raise typer.Exit(2)
    return identity.actor_of(account)


def _refused(error: Exception) -> typer.Exit:
    from shaffof.cli.main import _print_problems
    from shaffof.errors import DomainError

    assert isinstance(error, DomainError)
    _print_problems([f"{e.path}: {e.message}" for e in error.errors] or [error.detail])
    return typer.Exit(1)


@app.command("retention")
def retention(login: AsLogin = "admin") -> None:
    """The retention classes: which documents, how long after the case closes, and on what ground."""
    from rich.table import Table

    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        schedule = platform.archive.retention(_actor(platform, login))
    except DomainError as error:
        raise _refused(error) from None
    finally:
        platform.db.dispose()
    table = Table(title=f"Retention schedule ({schedule.source})")
    for column in ("class", "document types", "kept", "ground"):
        table.add_column(column)
    for item in schedule.classes:
        kept = "permanently" if item.retain_years is None else f"{item.retain_years} years after the case closes"
        ground = str(item.citation) if item.citation else ""
        ground = f"{item.basis}; {ground}" if ground else item.basis
        table.add_row(f"{item.code}\n{item.title['en']}", ", ".join(item.document_types), kept, ground)
    console.print(table)


@app.command("holds")
def holds(
    case_number: Annotated[str | None, typer.Argument(help="only this case's holds")] = None,
    login: AsLogin = "admin",
) -> None:
    """Legal holds, in force and lifted."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        found = platform.archive.holds(_actor(platform, login), registration_number=case_number)
    except DomainError as error:
        raise _refused(error) from None
    finally:
        platform.db.dispose()
    for hold in found:
        state = "IN FORCE" if hold.in_force else f"lifted {hold.released_at:%Y-%m-%d} ({hold.release_reason})"
        console.print(
            f"{hold.registration_number} #{hold.seq}: {state}; placed {hold.placed_at:%Y-%m-%d} — {hold.reason} "
            f"[{hold.authority}]",
            markup=False,
            highlight=False,
        )
    if not found:
        console.print("No legal holds.")


@app.command("hold")
def hold(
    case_number: Annotated[str, typer.Argument(help="the case's registration number")],
    reason: Annotated[str, typer.Option(help="why the case's records must be kept")],
    authority: Annotated[str, typer.Option(help="who ordered it (court, decision, date)")],
    login: AsLogin = "admin",
) -> None:
    """Place a legal hold on a case: none of its content is disposed of until the hold is lifted."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        placed = platform.archive.place_hold(_actor(platform, login), case_number, reason, authority)
    except DomainError as error:
        raise _refused(error) from None
    finally:
        platform.db.dispose()
    console.print(f"Hold #{placed.seq} placed on {placed.registration_number}.", highlight=False)


@app.command("release")
def release(
    case_number: Annotated[str, typer.Argument(help="the case's registration number")],
    seq: Annotated[int, typer.Argument(help="the hold's number (see `shaffof archive holds CASE`)")],
    reason: Annotated[str, typer.Option(help="why the hold ends")],
    authority: Annotated[str, typer.Option(help="who lifted it (court, decision, date)")],
    login: AsLogin = "admin",
) -> None:
    """Lift a legal hold (it stays in the history); the case's content follows its schedule again."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        lifted = platform.archive.release_hold(_actor(platform, login), case_number, seq, reason, authority)
    except DomainError as error:
        raise _refused(error) from None
    finally:
        platform.db.dispose()
    console.print(f"Hold #{lifted.seq} on {lifted.registration_number} lifted.", highlight=False)


@app.command("dispose")
def dispose(
    authority: Annotated[str, typer.Option(help="the act approving the disposal (e.g. the expert commission's)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what is due; change nothing")] = False,
    login: AsLogin = "admin",
) -> None:
    """Dispose of content whose retention ended (not under a hold): each leaves a tombstone with its leaf."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        actor = _actor(platform, login)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("Disposing", total=None, visible=not dry_run)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = platform.archive.dispose(actor, authority, dry_run=dry_run, progress=advance)
    except DomainError as error:
        raise _refused(error) from None
    finally:
        platform.db.dispose()
    for item in report.due:
        cases = ", ".join(sorted({record.registration_number for record in item.records}))
        console.print(
            f"{'due' if dry_run else 'disposed'}: {item.sha256} ({item.size} bytes, {item.retention_class}, "
            f"kept until {item.retain_until:%Y-%m-%d}) of {cases}",
            markup=False,
            highlight=False,
        )
    verb = "would be disposed of" if dry_run else "disposed of, each with a tombstone in the ledger"
    count = len(report.due) if dry_run else len(report.disposed)
    console.print(f"{count} content(s) {verb}; {report.held} kept by legal holds.", highlight=False)
