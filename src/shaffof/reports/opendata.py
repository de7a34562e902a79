"""Open data: the statistics as CSV and JSON, one flat row per group, columns as in the data dictionary."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from shaffof.reports.dictionary import DICTIONARY
from shaffof.reports.schemas import FindingsReport, Measures, StatisticsReport

COLUMNS = tuple(entry.name for entry in DICTIONARY)


def rows(report: StatisticsReport) -> list[dict[str, Any]]:
    """The report flattened: the groups' rows, then the total."""
    groups = [(row.key, row.label, row.measures) for row in report.rows]
    groups.append(("total", "total", report.total))
    return [_flat(report, key, label, measures) for key, label, measures in groups]


def _flat(report: StatisticsReport, key: str, label: str, measures: Measures) -> dict[str, Any]:
    values = measures.model_dump()
    head = {
        "group_by": report.group_by.value,
        "key": key,
        "label": label,
        "from_month": report.filters.from_month,
        "to_month": report.filters.to_month,
    }
    return {name: head[name] if name in head else values[name] for name in COLUMNS}


def to_csv(report: StatisticsReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(report):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def to_json(report: StatisticsReport) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"


def dictionary_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "type", "unit", "definition", "source"])
    for entry in DICTIONARY:
        writer.writerow([entry.name, entry.type, entry.unit, entry.definition, entry.source])
    return buffer.getvalue()


FINDING_COLUMNS = ("agency", "rule", "severity", "open_findings", "small", "basis")


def findings_csv(report: FindingsReport) -> str:
    """Open integrity findings per body and rule as CSV (counts only; an empty agency names no body)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FINDING_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in report.rows:
        writer.writerow({k: "" if v is None else v for k, v in row.model_dump().items()})
    return buffer.getvalue()
