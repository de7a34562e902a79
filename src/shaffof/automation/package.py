"""The automation part of a service package: ``automation.yaml``, ``process.bpmn``, ``*.dmn``, ``tests.yaml``.

Read and checked in one pass that reports every problem with its file, element id and reason (``shaffof
services validate``); a package that passes is *versioned by content*: the digest of its files is the model
version a decision names, and the files are stored with the service version so a decision can be re-run on
exactly the rules that made it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shaffof.automation import dmn, feel
from shaffof.automation.parameters import Parameter, feel_values, in_force, versions
from shaffof.automation.process import ProcessModel, read_process
from shaffof.automation.registries import TOPICS
from shaffof.canonical_json import canonicalize

CONFIG_FILE = "automation.yaml"
TESTS_FILE = "tests.yaml"


class LawEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    url: str | None = None
    illustrative: bool = Field(
        default=False,
        description="not a norm of the legal ground (shared/legal.md): cited by its code alone, marked in the trace",
    )


class RulePeriod(BaseModel):
    """When a rule is in force (a rule added or repealed by an amendment); rules not listed always are."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    valid_from: dt.date = Field(alias="from")
    valid_until: dt.date | None = Field(default=None, alias="until", description="inclusive")

    def in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


class AutomationConfig(BaseModel):
    """The contents of ``automation.yaml``."""

    model_config = ConfigDict(extra="forbid")

    process: str = "process.bpmn"
    decisions: list[str] = Field(default_factory=lambda: ["decision.dmn"], min_length=1)
    decisive_date: Literal["submission", "decision"] = Field(
        default="submission", description="whose day's rules and parameters decide the case"
    )
    confirm_negative: bool = Field(
        default=False, description="a negative automated outcome waits for an officer's confirmation"
    )
    laws: dict[str, LawEntry] = Field(min_length=1, description="the laws the citations name, by code")
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    rules: dict[str, RulePeriod] = Field(default_factory=dict, description="validity periods of rules, by rule id")

    def out_of_force(self, on: dt.date) -> frozenset[str]:
        return frozenset(rule for rule, period in self.rules.items() if not period.in_force(on))

    def change_dates(self) -> list[dt.date]:
        """Every date on which a parameter or a rule comes into or goes out of force."""
        dates = set(versions(self.parameters))
        for period in self.rules.values():
            dates.add(period.valid_from)
            if period.valid_until is not None:
                dates.add(period.valid_until + dt.timedelta(days=1))
        return sorted(dates)


class TestExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(description="approved, rejected, … or 'officer' when the process hands over")
    citations: list[str] = Field(default_factory=list)
    rules: list[str] | None = Field(default=None, description="the rule ids expected to fire, in order")


class TestCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    date: dt.date
    form: dict[str, Any]
    registries: dict[str, dict[str, Any]] = Field(default_factory=dict)
    expect: TestExpectation


@dataclass(frozen=True)
class Problem:
    file: Path
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


@dataclass
class AutomationPackage:
    """A checked automation package, ready to run."""

    config: AutomationConfig
    process: ProcessModel
    tables: dict[str, dmn.DecisionTable]
    files: dict[str, str]  # file name → text, as stored with the service version
    tests: list[TestCase] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """The model version: SHA-256 of the files' RFC 8785 canonical JSON."""
        return model_digest(self.files)

    def parameters_on(self, on: dt.date) -> dict[str, feel.Value]:
        return feel_values(in_force(self.config.parameters, on))

    def parameter_citations_on(self, on: dt.date) -> dict[str, dict[str, Any]]:
        values = in_force(self.config.parameters, on)
        return {
            name: {
                "value": feel.to_json(v.value),
                "valid_from": v.valid_from.isoformat(),
                "valid_until": v.valid_until.isoformat() if v.valid_until else None,
                "citation": dmn.parse_citation(v.citation, self.laws).model_dump(mode="json", exclude_none=True),
                "illustrative": self.laws[v.citation.split()[0]].illustrative,
            }
            for name, v in values.items()
        }

    @property
    def laws(self) -> dict[str, dmn.Law]:
        return {code: dmn.Law(entry.title, entry.url, entry.illustrative) for code, entry in self.config.laws.items()}


def model_digest(files: Mapping[str, str]) -> str:
    return hashlib.sha256(canonicalize(dict(files))).hexdigest()


def has_automation(folder: Path) -> bool:
    return (folder / CONFIG_FILE).exists()


def load(folder: Path) -> tuple[AutomationPackage | None, list[Problem]]:
    """Read a package folder's automation files (None, [] when it has none: the default lifecycle)."""
    if not has_automation(folder):
        if (folder / "process.bpmn").exists() or list(folder.glob("*.dmn")):
            return None, [Problem(folder / CONFIG_FILE, "(file)", "missing: a process or decision table needs it")]
        return None, []
    files: dict[str, str] = {}
    problems: list[Problem] = []
    names = [CONFIG_FILE, TESTS_FILE, *(p.name for p in folder.glob("*.bpmn")), *(p.name for p in folder.glob("*.dmn"))]
    for name in sorted(set(names)):
        path = folder / name
        if not path.exists():
            continue
        try:
            files[name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(path, "(file)", f"cannot be read: {error}"))
    if problems:
        return None, problems
    return build(files, folder)


def build(files: Mapping[str, str], folder: Path) -> tuple[AutomationPackage | None, list[Problem]]:
    """Check and assemble a package from its files' texts (``folder`` only names them in problems)."""
    problems: list[Problem] = []

    def text_of(name: str) -> str | None:
        if name not in files:
            problems.append(Problem(folder / name, "(file)", "missing: automation.yaml names it"))
            return None
        return files[name]

    try:
        config = AutomationConfig.model_validate(yaml.safe_load(files[CONFIG_FILE]))
    except (yaml.YAMLError, ValidationError) as error:
        return None, _problems(folder / CONFIG_FILE, error)
    laws = {code: dmn.Law(entry.title, entry.url, entry.illustrative) for code, entry in config.laws.items()}
    for name, parameter in config.parameters.items():
        for index, value in enumerate(parameter.values):
            try:
                dmn.parse_citation(value.citation, laws)
            except ValueError as error:
                problems.append(Problem(folder / CONFIG_FILE, f"parameters/{name}/values/{index}/citation", str(error)))

    tables: dict[str, dmn.DecisionTable] = {}
    declared: set[str] = set()
    for name in config.decisions:
        text = text_of(name)
        if text is None:
            continue
        declared |= dmn.declared_decisions(text.encode())
        found, table_problems = dmn.read_tables(text.encode(), laws)
        problems += [Problem(folder / name, p.element, p.message) for p in table_problems]
        for table in found:
            problems += [Problem(folder / name, p.element, p.message) for p in _table_problems(table, config)]
            tables[table.decision_id] = table

    known_rules = {rule.id for table in tables.values() for rule in table.rules}
    for rule_id in config.rules:
        if known_rules and rule_id not in known_rules:
            problems.append(
                Problem(folder / CONFIG_FILE, f"rules/{rule_id}", "no rule of the decision tables has this id")
            )

    process_text = text_of(config.process)
    process = None
    if process_text is not None:
        process, process_problems = read_process(process_text.encode(), decisions=declared, topics=set(TOPICS))
        problems += [Problem(folder / config.process, p.element, p.message) for p in process_problems]

    tests: list[TestCase] = []
    if TESTS_FILE in files:
        try:
            tests = [TestCase.model_validate(item) for item in (yaml.safe_load(files[TESTS_FILE]) or [])]
        except (yaml.YAMLError, ValidationError, TypeError) as error:
            problems += _problems(folder / TESTS_FILE, error)
    if problems or process is None:
        return None, problems
    kept = {
        name: files[name]
        for name in sorted({CONFIG_FILE, config.process, *config.decisions} | ({TESTS_FILE} & set(files)))
    }
    return AutomationPackage(config, process, tables, kept, tests), []


def _table_problems(table: dmn.DecisionTable, config: AutomationConfig) -> list[dmn.Problem]:
    """Names the table uses must be declared parameters; UNIQUE tables must not overlap on any date."""
    problems = []
    undeclared = sorted(table.names() - set(config.parameters))
    if undeclared:
        problems.append(
            dmn.Problem(table.decision_id, f"unknown name(s) {', '.join(undeclared)}: declare them as parameters")
        )
        return problems
    if table.hit_policy != "UNIQUE":
        return problems
    dates = config.change_dates() or [dt.date.today()]
    reported: set[tuple[str, str]] = set()
    for day in dates:
        values = feel_values(in_force(config.parameters, day))
        if not table.names() <= set(values):
            continue  # not every parameter is in force that day: no case can be decided by the table then
        try:
            pairs = table.overlaps(values, config.out_of_force(day))
        except feel.FeelError as error:
            problems.append(dmn.Problem(table.decision_id, f"with the parameters in force on {day}: {error}"))
            continue
        for first, second in pairs:
            if (first.id, second.id) not in reported:
                reported.add((first.id, second.id))
                problems.append(
                    dmn.Problem(
                        second.id,
                        f"hit policy UNIQUE: rules {first.row} ({first.id}) and {second.row} ({second.id}) overlap "
                        f"(with the parameters in force on {day}); make them exclusive or use FIRST",
                    )
                )
    return problems


def _problems(file: Path, error: Exception) -> list[Problem]:
    if isinstance(error, ValidationError):
        return [Problem(file, "/".join(str(p) for p in e["loc"]) or "(root)", e["msg"]) for e in error.errors()]
    return [Problem(file, "(file)", f"not valid: {error}")]


def from_files(files: Mapping[str, str]) -> AutomationPackage:
    """Rebuild a stored package (the files kept with a service version) to re-run its decisions."""
    package, problems = build(files, Path("(stored)"))
    if package is None:
        raise ValueError(f"the stored automation model no longer loads: {'; '.join(map(str, problems))}")
    return package
