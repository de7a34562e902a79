"""Service packages with processes and tables: refused at validation with file, element id and reason;
the shipped demo's rule tests pass; dated parameters decide by the decisive date."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from shaffof.automation import package as packages
from shaffof.automation import sandbox
from shaffof.automation.errors import ScriptRefused
from shaffof.automation.testing import run_tests
from shaffof.catalog.package import load_packages
from shaffof.cli.main import app

SERVICES = Path(__file__).resolve().parents[3] / "services"
DEMO = SERVICES / "child-allowance"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "child-allowance"
    shutil.copytree(DEMO, folder)
    return folder


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new), encoding="utf-8")


def test_the_demo_package_loads_and_its_rule_tests_pass() -> None:
    package, problems = packages.load(DEMO)
    assert problems == [] and package is not None
    form = yaml.safe_load((DEMO / "service.yaml").read_text())["form"]
    results = run_tests(package, form)
    assert len(results) == 7 and all(r.passed for r in results), results


def test_a_wrong_expectation_fails_its_rule_test(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(
        folder / "tests.yaml",
        'expect: {outcome: rejected, citations: ["DEMO-NAFAQA"], rules: [Rule_small_family]}',
        "expect: {outcome: approved, rules: [Rule_small_family_disabled]}",
    )
    package, _ = packages.load(folder)
    assert package is not None
    form = yaml.safe_load((DEMO / "service.yaml").read_text())["form"]
    [failed] = [r for r in run_tests(package, form) if not r.passed]
    assert failed.detail == (
        "expected approved citing [] by ['Rule_small_family_disabled']; "
        "got rejected citing ['DEMO-NAFAQA'] by ['Rule_small_family']"
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "element", "reason"),
    [
        (
            "decision.dmn",
            "<text>DEMO-NAFAQA</text>\n        </annotationEntry>\n      </rule>\n    </decisionTable>",
            "<text></text>\n        </annotationEntry>\n      </rule>\n    </decisionTable>",
            "Rule_income_above",
            "no legal citation",
        ),
        (  # an illustrative rule set has no articles: numbering one would invent a norm
            "decision.dmn",
            "<text>DEMO-NAFAQA</text>\n        </annotationEntry>\n      </rule>\n    </decisionTable>",
            "<text>DEMO-NAFAQA Art. 5(2)</text>\n        </annotationEntry>\n      </rule>\n    </decisionTable>",
            "Rule_income_above",
            "without article numbers it does not have",
        ),
        (  # a law that is not illustrative is cited by article
            "automation.yaml",
            "    illustrative: true",
            "    illustrative: false",
            "parameters/income_threshold_uzs/values/0/citation",
            "names no article",
        ),
        ("decision.dmn", "<text>&lt; 3</text>", "<text>&lt;= 3</text>", "Rule_small_family", "overlap"),
        (
            "decision.dmn",
            "<text>&gt; income_threshold_uzs</text>",
            "<text>&gt; ceiling</text>",
            "child_allowance_eligibility",
            "unknown name(s) ceiling",
        ),
        (
            "process.bpmn",
            "has_disabled = bool(has_disabled_member)",
            "import os",
            "Task_income_per_member",
            "Import is not allowed",
        ),
        (
            "process.bpmn",
            "has_disabled = bool(has_disabled_member)",
            "x = open('/etc/passwd')",
            "Task_income_per_member",
            "only these functions may be called",
        ),
        (
            "process.bpmn",
            "has_disabled = bool(has_disabled_member)",
            "x = ().__class__",
            "Task_income_per_member",
            "Attribute is not allowed",
        ),
        (
            "process.bpmn",
            "applicant_age &gt;= 18 and children_under_18 &gt; 0",
            "__import__('os')",
            "Flow_adult",
            "condition refused",
        ),
        ("process.bpmn", "bpmn:userTask", "bpmn:sendTask", "Task_officer_check", "'sendTask' is not supported"),
        (
            "process.bpmn",
            'camunda:topic="population.family"',
            'camunda:topic="tax.income"',
            "Task_population_registry",
            "unknown registry topic",
        ),
        (
            "process.bpmn",
            'camunda:decisionRef="child_allowance_eligibility"',
            'camunda:decisionRef="pension"',
            "Task_eligibility",
            "not in the package's DMN",
        ),
    ],
)
def test_bad_models_are_refused_with_file_element_and_reason(
    tmp_path: Path, file: str, old: str, new: str, element: str, reason: str
) -> None:
    folder = _copy(tmp_path)
    _edit(folder / file, old, new)
    package, problems = packages.load(folder)
    assert package is None
    assert any(p.file == folder / file and p.path == element and reason in p.message for p in problems), problems


def test_overlapping_periods_of_a_parameter_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "automation.yaml", "until: 2026-05-31", "until: 2026-06-30")
    _, problems = packages.load(folder)
    assert [p.path for p in problems] == ["parameters/income_threshold_uzs"] and "overlap" in problems[0].message


def test_services_validate_names_the_file_and_element(tmp_path: Path) -> None:
    services = tmp_path / "services"
    shutil.copytree(SERVICES, services)
    _edit(
        services / "child-allowance" / "decision.dmn",
        '"Income per family member is at or below the threshold and the family has at least 3 members."</text>\n'
        "        </outputEntry>\n        <annotationEntry>\n          <text>DEMO-NAFAQA</text>",
        '"Income per family member is at or below the threshold and the family has at least 3 members."</text>\n'
        "        </outputEntry>\n        <annotationEntry>\n          <text></text>",
    )
    assert len(load_packages(services).problems) == 1
    result = CliRunner().invoke(app, ["services", "validate", str(services)])
    assert result.exit_code == 1
    assert "decision.dmn: Rule_low_income_family: rule 1 has no legal citation" in " ".join(result.output.split())


def test_services_test_runs_the_shipped_rule_tests() -> None:
    result = CliRunner().invoke(app, ["services", "test", str(SERVICES)])
    assert result.exit_code == 0, result.output
    assert "14 of 14 rule tests passed in 3 service(s)." in result.output


def test_the_threshold_in_force_depends_on_the_decisive_date() -> None:
    import datetime as dt

    package, _ = packages.load(DEMO)
    assert package is not None
    assert package.parameters_on(dt.date(2026, 5, 31))["income_threshold_uzs"] == 650_000
    assert package.parameters_on(dt.date(2026, 6, 1))["income_threshold_uzs"] == 720_000
    assert "income_threshold_uzs" not in package.parameters_on(dt.date(2024, 12, 31))


@pytest.mark.parametrize(
    "script", ["x = [a for a in b]", "def f(): pass", "x = lambda: 1", "x = min(key=abs)", "x = b'1'"]
)
def test_the_sandbox_refuses_what_is_outside_the_allowed_set(script: str) -> None:
    with pytest.raises(ScriptRefused):
        sandbox.check(script)


def test_the_sandbox_runs_arithmetic_without_builtins() -> None:
    environment = sandbox.SandboxedEnvironment()
    context = {"a": 7, "b": 2}
    environment.execute("c = max(a, b) // b\nd = round(a / b)", context)
    assert context["c"] == 3 and context["d"] == 4
    assert environment.evaluate("c > 2 and d in [3, 4]", context) is True


def _with_rule_periods(tmp_path: Path, periods: str) -> Path:
    folder = _copy(tmp_path)
    config = folder / "automation.yaml"
    config.write_text(config.read_text() + "rules:\n" + periods)
    return folder


def test_a_repealed_rule_no_longer_decides_cases_of_later_dates(tmp_path: Path) -> None:
    import datetime as dt

    from shaffof.automation.package import TestCase, TestExpectation
    from shaffof.automation.testing import run_case

    folder = _with_rule_periods(
        tmp_path, "  Rule_small_family_disabled:\n    from: 2025-01-01\n    until: 2026-05-31\n"
    )
    package, problems = packages.load(folder)
    assert problems == [] and package is not None
    form = yaml.safe_load((DEMO / "service.yaml").read_text())["form"]
    case = TestCase(
        name="a couple with a disabled member",
        date=dt.date(2026, 3, 1),
        form={"household_size": 2, "unofficial_income_uzs": 900_000, "has_disabled_member": True},
        registries={"population.family": {"applicant_age": 29, "applicant_sex": "F", "children_under_18": 1}},
        expect=TestExpectation(outcome="approved", citations=["DEMO-NAFAQA"], rules=["Rule_small_family_disabled"]),
    )
    assert run_case(package, case, form).passed
    later = run_case(package, case.model_copy(update={"date": dt.date(2026, 7, 1)}), form)
    assert not later.passed and "no decision rule matched" in later.detail


def test_overlaps_count_only_among_rules_in_force_on_the_same_day(tmp_path: Path) -> None:
    periods = (
        "  Rule_small_family:\n    from: 2025-01-01\n    until: 2025-12-31\n"
        "  Rule_low_income_family:\n    from: 2026-01-01\n"
    )
    folder = _with_rule_periods(tmp_path, periods)
    _edit(
        folder / "decision.dmn",
        '<text>&lt; 3</text>\n        </inputEntry>\n        <inputEntry id="Rule_small_family_in3">',
        '<text>&lt;= 3</text>\n        </inputEntry>\n        <inputEntry id="Rule_small_family_in3">',
    )
    assert packages.load(folder)[1] == []  # never both in force
    overlapping = _with_rule_periods(tmp_path / "b", "  Rule_small_family:\n    from: 2025-01-01\n")
    _edit(
        overlapping / "decision.dmn",
        '<text>&lt; 3</text>\n        </inputEntry>\n        <inputEntry id="Rule_small_family_in3">',
        '<text>&lt;= 3</text>\n        </inputEntry>\n        <inputEntry id="Rule_small_family_in3">',
    )
    assert any("overlap" in p.message for p in packages.load(overlapping)[1])


def test_a_period_for_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    folder = _with_rule_periods(tmp_path, "  Rule_gone:\n    from: 2025-01-01\n")
    _, problems = packages.load(folder)
    assert [(p.path, p.message) for p in problems] == [
        ("rules/Rule_gone", "no rule of the decision tables has this id")
    ]
