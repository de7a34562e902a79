"""``shaffof stats rebuild|show``, ``shaffof export --stats`` and ``shaffof egdi``: the statistics from the
command line (imports are lazy, like the rest of the CLI, so ``shaffof --help`` stays fast)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from shaffof.platform import Platform
    from shaffof.reports.schemas import StatisticsReport

app = typer.Typer(help="Statistics: rebuild the rollups, show the figures.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _platform() -> Platform:
    from shaffof.cli.main import _settings
    from shaffof.platform import Platform

    return Platform.build(_settings())


def _report(
    group_by: str,
    from_month: str | None,
    to_month: str | None,
    agency: str | None,
    service: str | None,
    region: str | None,
    lang: str = "en",
) -> StatisticsReport:
    from shaffof.errors import DomainError
    from shaffof.reports.schemas import GroupBy
    from shaffof.reports.service import Filters

    try:
        grouping = GroupBy(group_by)
    except ValueError:
        errors.print(f"[red]--group-by takes one of: {', '.join(g.value for g in GroupBy)}[/red]")
        raise typer.Exit(2) from None
    platform = _platform()
    try:
        return platform.statistics.report(
            Filters(from_month=from_month, to_month=to_month, agency=agency, service=service, region=region),
            grouping,
            language=lang,
        )
    except DomainError as error:
        errors.print(f"[red]{error.detail}[/red]", highlight=False)
        for problem in error.errors:
            errors.print(f"  {problem.path}: {problem.message}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    finally:
        platform.db.dispose()


GroupOption = Annotated[str, typer.Option("--group-by", help="total, agency, service, region or month")]
FromOption = Annotated[str | None, typer.Option("--from", help="first month, YYYY-MM (default: 11 months back)")]
ToOption = Annotated[str | None, typer.Option("--to", help="last month, YYYY-MM (default: this month)")]
AgencyOption = Annotated[str | None, typer.Option(help="agency code")]
ServiceOption = Annotated[str | None, typer.Option(help="service code")]
RegionOption = Annotated[str | None, typer.Option(help="ISO 3166-2 region")]


@app.command("rebuild")
def rebuild() -> None:
    """Recount the rollups from every stored case event and rating (after a restore or an upgrade)."""
    platform = _platform()
    try:
        counted = platform.rollups.rebuild(platform.db)
    finally:
        platform.db.dispose()
    console.print(f"Rollups rebuilt from {counted:,} case events.")


@app.command("show")
def show(
    group_by: GroupOption = "agency",
    from_month: FromOption = None,
    to_month: ToOption = None,
    agency: AgencyOption = None,
    service: ServiceOption = None,
    region: RegionOption = None,
) -> None:
    """The figures as a table (small groups marked and listed last, unranked)."""
    report = _report(group_by, from_month, to_month, agency, service, region)
    table = Table(title=f"Shaffof statistics {report.filters.from_month} – {report.filters.to_month}")
    for column in (
        "group",
        "received",
        "online",
        "decided",
        "on time",
        "overdue now",
        "median d",
        "p90 d",
        "contested",
        "changed",
        "rating",
        "note",
    ):
        table.add_column(column, justify="left" if column in ("group", "note") else "right")
    rows = sorted(report.rows, key=lambda r: (r.measures.small, r.key))
    for row in [*rows, None]:
        key, m = (row.key, row.measures) if row is not None else ("TOTAL", report.total)
        table.add_row(
            key,
            f"{m.received:,}",
            _pct(m.online_share),
            f"{m.decided:,}",
            _pct(m.on_time_share),
            "" if m.overdue_now is None else f"{m.overdue_now:,}",
            _num(m.median_processing_days),
            _num(m.p90_processing_days),
            _pct(m.contested_share),
            _pct(m.changed_on_review_share),
            _num(m.average_rating),
            "too few to compare" if m.small and row is not None else "",
        )
    console.print(table)


def export_stats(
    out: Path | None,
    output_format: str,
    dictionary: bool,
    group_by: str,
    from_month: str | None,
    to_month: str | None,
    agency: str | None,
    service: str | None,
    region: str | None,
) -> None:
    """``shaffof export --stats``: the open data (CSV or JSON) or its data dictionary, to a file or stdout."""
    from shaffof.reports import opendata

    if output_format not in ("csv", "json"):
        errors.print("[red]--format takes csv or json[/red]")
        raise typer.Exit(2)
    if dictionary:
        text = opendata.dictionary_csv() if output_format == "csv" else _dictionary_json()
    else:
        report = _report(group_by, from_month, to_month, agency, service, region)
        text = opendata.to_csv(report) if output_format == "csv" else opendata.to_json(report)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"{out}: {len(text.splitlines()):,} lines of {output_format.upper()}.", highlight=False)


def _dictionary_json() -> str:
    import json

    from shaffof.reports.dictionary import DICTIONARY

    return json.dumps([entry.model_dump() for entry in DICTIONARY], ensure_ascii=False, indent=2) + "\n"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f} %"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
