"""``shaffof stats rebuild|show|findings``, ``shaffof export --stats`` and ``shaffof egdi``: the statistics from the
command line (imports are lazy, like the rest of the CLI, so ``shaffof --help`` stays fast)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from shaffof.errors import DomainError
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
        _refuse(error)
    finally:
        platform.db.dispose()


def _refuse(error: DomainError) -> NoReturn:
    """A refused request: the domain's reason and each field's problem on stderr, exit code 1."""
    errors.print(f"[red]{error.detail}[/red]", highlight=False)
    for problem in error.errors:
        errors.print(f"  {problem.path}: {problem.message}", highlight=False, markup=False)
    raise typer.Exit(1) from None


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


@app.command("findings")
def findings(
    agency: AgencyOption = None,
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    lang: Annotated[str, typer.Option(help="uz, ru or en: the rules' titles")] = "en",
) -> None:
    """Open integrity findings counted per body and rule — the open-data aggregate (counts only)."""
    from shaffof.errors import DomainError
    from shaffof.reports import opendata

    if output_format not in ("table", "csv", "json") or lang not in ("uz", "ru", "en"):
        errors.print("[red]--format takes table, csv or json; --lang takes uz, ru or en[/red]")
        raise typer.Exit(2)
    with contextlib.redirect_stdout(sys.stderr):  # start-up warnings must not mix with the data on stdout
        platform = _platform()
    try:
        report = platform.statistics.findings_report(agency, language=lang)
    except DomainError as error:
        _refuse(error)
    finally:
        platform.db.dispose()
    if output_format == "csv":
        typer.echo(opendata.findings_csv(report), nl=False)
        return
    if output_format == "json":
        typer.echo(report.model_dump_json(indent=2))
        return
    table = Table(title=f"Open integrity findings ({agency or 'every body'})")
    for column in ("agency", "rule", "severity", "open", "note", "basis"):
        table.add_column(column, justify="right" if column == "open" else "left")
    for row in report.rows:
        table.add_row(
            row.agency or "(no body named)",
            row.rule_title,
            row.severity,
            f"{row.open_findings:,}",
            "few" if row.small else "",
            row.basis,
        )
    console.print(table)
    console.print(f"Total open: {report.total:,}")


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
        with contextlib.redirect_stdout(sys.stderr):  # start-up warnings must not mix with the data on stdout
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


def egdi(
    edition: Annotated[str, typer.Option(help="survey edition (year)")] = "2024",
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-3 code: where it stands, what moves it")] = None,
    raw: Annotated[
        Path | None, typer.Option(help="CSV of raw indicators (a 'country' column + the edition's indicators)")
    ] = None,
    self_assessment: Annotated[
        bool, typer.Option("--self-assessment", help="this deployment's catalogue on OSI-style features")
    ] = False,
) -> None:
    """The UN E-Government Development Index: the shipped published values (with sources) and each EGDI
    recomputed from its published components, ranked and charted; or components computed from raw indicators."""
    from shaffof.errors import DomainError
    from shaffof.reports import egdi as un

    if self_assessment:
        _self_assessment()
        return
    try:
        method, _ = un.load()
        chosen = un.edition(edition)
        console.print(f"{method.formula} — {method.source.title}\n{method.source.url}", highlight=False)
        if raw is not None:
            _egdi_from_raw(un, chosen, raw)
            return
        if country is not None:
            _egdi_standing(un, edition, country)
            return
        rows = un.reproduce(edition)
    except DomainError as error:
        _refuse(error)
    table = Table(title=f"EGDI {edition} (published values; empty where no source was found)")
    for column in ("rank", "country", "EGDI", "OSI", "TII", "HCI", "(OSI+TII+HCI)/3", "= to 3 d.p.", "group", ""):
        table.add_column(column, justify="left" if column in ("country", "group", "") else "right")
    for row in rows:
        c = row["country"]
        table.add_row(
            _num(c.rank),
            f"{c.name} ({c.code})",
            _fixed(c.egdi),
            _fixed(c.osi),
            _fixed(c.tii),
            _fixed(c.hci),
            _fixed(row["computed"]),
            {True: "yes", False: "NO", None: "—"}[row["matches"]],
            un.group(c.egdi) if c.egdi is not None else "",
            "█" * round((c.egdi or 0) * 40),
        )
    console.print(table)
    for row in rows:
        for source in row["country"].sources:
            console.print(f"  {row['country'].code}: {source.title} — {source.url}", highlight=False, markup=False)
    if any(row["matches"] is False for row in rows):
        errors.print("[red]A published EGDI does not follow from its published components.[/red]")
        raise typer.Exit(1)


def _self_assessment() -> None:
    from shaffof.reports.selfassessment import assess

    with contextlib.redirect_stdout(sys.stderr):
        platform = _platform()
    try:
        features = assess(platform.db)
    finally:
        platform.db.dispose()
    table = Table(title="This deployment's catalogue on OSI-style service-provision features")
    for column in ("feature", "services", "share"):
        table.add_column(column, justify="left" if column == "feature" else "right")
    for feature in features:
        table.add_row(feature.description["en"], f"{feature.services_with} / {feature.services}", _pct(feature.share))
    console.print(table)


def _egdi_standing(un: Any, edition: str, code: str) -> None:
    standing = un.standing(edition, code)
    c = standing.country
    console.print(
        f"{c.name}: EGDI {c.egdi:.4f} ({standing.group.replace('_', ' ')}), world rank {c.rank}; "
        f"{standing.position} of the {standing.of} shipped countries with an EGDI.",
        highlight=False,
    )
    if standing.moves_most is None:
        console.print(
            "Its components are not shipped for this edition (no source found), so no component can be named."
        )
        return
    for component, gain in sorted(standing.gains.items(), key=lambda item: -item[1]):
        console.print(f"  {component.upper()}: {getattr(c, component):.4f}; reaching the best adds {gain:.4f} to EGDI")
    console.print(f"{standing.moves_most.upper()} moves its score most.")


def _egdi_from_raw(un: Any, chosen: Any, path: Path) -> None:
    raw = un.read_indicator_csv(path.read_text(encoding="utf-8"), chosen.indicators)
    components = un.components_from_indicators(raw, chosen.indicators)
    scored = sorted(
        ((country, un.egdi(values, chosen.component_weights), values) for country, values in components.items()),
        key=lambda item: -item[1],
    )
    table = Table(title=f"EGDI computed from raw indicators, method of {chosen.year} ({len(scored)} countries)")
    for column in ("#", "country", "EGDI", "OSI", "TII", "HCI", "group"):
        table.add_column(column, justify="left" if column in ("country", "group") else "right")
    for position, (country, value, parts) in enumerate(scored, start=1):
        table.add_row(
            str(position),
            country,
            f"{value:.4f}",
            f"{parts['osi']:.4f}",
            f"{parts['tii']:.4f}",
            f"{parts['hci']:.4f}",
            un.group(value),
        )
    console.print(table)


def _fixed(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"
