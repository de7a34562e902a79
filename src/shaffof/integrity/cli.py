"""``shaffof integrity scan|rules|findings|dismiss|report|officer|assignment-rule|conflict``.

The console is trusted as an administrator (whoever runs it holds the database); it reads as an auditor.
Acts that the law attributes to a person — dismissing a finding, declaring a conflict — name that person's
login with ``--as`` and pass the same domain checks as over the API.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from shaffof.identity.actor import Actor
from shaffof.identity.models import Role

if TYPE_CHECKING:
    from shaffof.integrity.schemas import ScanSummary
    from shaffof.platform import Platform

app = typer.Typer(
    help="Accountability and integrity: the monitor, findings, assignment, conflicts.", no_args_is_help=True
)

CONSOLE_AUDITOR = Actor(account_id=0, role=Role.auditor, display_name="console")


def _platform() -> Platform:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    with contextlib.redirect_stdout(sys.stderr):
        return Platform.build(_settings())


def _fail(message: str) -> typer.Exit:
    from shaffof.cli.main import errors

    errors.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(1)


def _actor(platform: Platform, login: str) -> Actor:
    from shaffof.identity import service as identity

    with platform.db.reading() as session:
        account = identity.find_account_by_login(session, login)
        if account is None:
            raise _fail(f"No account {login!r}.")
        return identity.actor_of(account)


def summary(report: ScanSummary) -> str:
    text = f"{len(report.checked_rules)} rule(s) run; {report.new} new finding(s), {report.seen_again} seen again"
    text += f"; {report.open_total} open"
    for code, why in report.not_run.items():
        text += f"; {code} not run ({why})"
    return text


@app.command("scan")
def scan() -> None:
    """Run every integrity rule once (the worker does it on each pass); new hits become findings."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from shaffof.cli.main import console

    platform = _platform()
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("Integrity rules", total=len(platform.integrity.rules))

            def report(code: str, done: int, total: int) -> None:
                progress.update(task, completed=done, description=f"Integrity rules ({code})")

            result = platform.integrity.scan(progress=report)
    finally:
        platform.db.dispose()
    console.print(f"Integrity monitor: {summary(result)}.")


@app.command("rules")
def rules(lang: Annotated[str, typer.Option(help="uz, ru or en")] = "en") -> None:
    """The rules with their severity and the norm each one protects."""
    from shaffof.cli.main import console

    platform = _platform()
    try:
        for rule in platform.integrity.rule_views(lang):
            console.print(
                f"[bold]{rule.code}[/bold] ({rule.severity.value}): {rule.title} — {rule.basis}", highlight=False
            )
    finally:
        platform.db.dispose()


@app.command("findings")
def findings(
    agency: Annotated[str | None, typer.Option(help="only this body's findings")] = None,
    include_dismissed: Annotated[bool, typer.Option("--all", help="dismissed ones too")] = False,
) -> None:
    """The board of findings, most severe first."""
    from shaffof.cli.main import console
    from shaffof.integrity.models import FindingStatus

    platform = _platform()
    try:
        rows = platform.integrity.findings(CONSOLE_AUDITOR, status=None if include_dismissed else FindingStatus.open)
    finally:
        platform.db.dispose()
    shown = [f for f in rows if agency is None or f.agency == agency]
    for f in shown:
        where = f.case or f.officer or "—"
        console.print(
            f"#{f.id} [{f.severity.value}] {f.rule} {f.agency or '—'} {where} ({f.status.value}) — {f.basis}",
            highlight=False,
        )
    console.print(f"{len(shown)} finding(s).")


@app.command("dismiss")
def dismiss(
    finding: Annotated[int, typer.Argument(help="the finding's number")],
    reason: Annotated[str, typer.Option(help="why it is a false positive (required)")] = "",
    as_login: Annotated[str, typer.Option("--as", help="the head of the body who dismisses it")] = "",
) -> None:
    """Dismiss a false positive, with a reason, as the head of the body."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        actor = _actor(platform, as_login)
        view = platform.integrity.dismiss(actor, finding, reason)
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    console.print(f"Finding #{view.id} dismissed by {view.dismissed_by}: {view.dismissal_reason}")


@app.command("report")
def report(agency: Annotated[str, typer.Argument(help="the body's code, e.g. TOSHHOK")]) -> None:
    """The officer accountability report of one body (not public)."""
    from rich.table import Table

    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        lines = platform.integrity.report(CONSOLE_AUDITOR, agency)
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    table = Table("officer", "cases", "decided", "on time %", "reversed on review", "open findings", "rating 1-5")
    for line in lines:
        table.add_row(
            f"{line.officer} ({line.login})",
            str(line.cases.value),
            str(line.decided.value),
            "—" if line.on_time_percent.value is None else f"{line.on_time_percent.value}",
            str(line.reversed_on_review.value),
            str(line.findings.value),
            "—"
            if line.average_rating.value is None
            else f"{line.average_rating.value} ({len(line.average_rating.cases)})",
        )
    console.print(table)


@app.command("officer")
def officer(
    login: Annotated[str, typer.Argument(help="the officer's login")],
    skill: Annotated[list[str] | None, typer.Option(help="a skill tag (repeat); replaces the officer's tags")] = None,
    pinfl: Annotated[str | None, typer.Option(help="link the account to the officer's own person record")] = None,
) -> None:
    """Set an officer's skill tags and link them to their person record (recusal needs it)."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        with platform.db.uow() as uow:
            account = platform.integrity.set_officer(uow, login, skills=skill, pinfl=pinfl)
            uow.commit()
            console.print(f"{account.login}: updated.")
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()


@app.command("assignment-rule")
def assignment_rule(
    agency: Annotated[str, typer.Argument(help="the body's code")],
    service: Annotated[str | None, typer.Option(help="only this service (default: all of the body's)")] = None,
    strategy: Annotated[str, typer.Option(help="workload_balanced or round_robin")] = "workload_balanced",
    skill: Annotated[list[str] | None, typer.Option(help="a skill tag assignees need (repeat)")] = None,
) -> None:
    """Set how the body's new cases are routed to its officers."""
    from pydantic import ValidationError

    from shaffof.cli.main import console
    from shaffof.errors import DomainError
    from shaffof.integrity.schemas import AssignmentRuleSet

    try:
        command = AssignmentRuleSet(agency=agency, service=service, strategy=strategy, skills=skill or [])
    except ValidationError as error:
        raise _fail(str(error)) from None
    platform = _platform()
    try:
        with platform.db.uow() as uow:
            rule = platform.integrity.set_assignment_rule(uow, command)
            uow.commit()
            console.print(f"{agency} {service or '(all services)'}: {rule.strategy.value}, skills {rule.skills}.")
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()


@app.command("conflict")
def conflict(
    pinfl: Annotated[str, typer.Argument(help="the person the officer has a conflict of interest with")],
    reason: Annotated[str, typer.Option(help="the nature of the conflict (kept from colleagues)")] = "",
    as_login: Annotated[str, typer.Option("--as", help="the officer who declares it")] = "",
) -> None:
    """Declare an officer's conflict of interest with a person."""
    from shaffof.cli.main import console
    from shaffof.errors import DomainError

    platform = _platform()
    try:
        platform.integrity.declare_conflict(_actor(platform, as_login), pinfl, reason)
    except DomainError as error:
        raise _fail(error.detail) from None
    finally:
        platform.db.dispose()
    console.print(
        "Conflict declared: the officer will not be assigned, and cannot take or decide, that person's cases."
    )
