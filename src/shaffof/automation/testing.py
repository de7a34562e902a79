"""Rules as law, tested: a package's ``tests.yaml`` cases run through the real process and tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shaffof.automation.errors import DecisionInputInvalid, ProcessFailed, ScriptRefused
from shaffof.automation.package import AutomationPackage, TestCase
from shaffof.automation.registries import StatedAnswers
from shaffof.automation.runner import citation_text, new_trace, process_data, run


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    detail: str  # what came out, when it is not what was expected


def run_case(package: AutomationPackage, case: TestCase, form_schema: dict[str, Any]) -> TestResult:
    at = dt.datetime.combine(case.date, dt.time(9), tzinfo=dt.UTC)
    trace = new_trace(package, case.date, case.form)
    try:
        result = run(
            package,
            state=None,
            data=process_data(form_schema, case.form),
            trace=trace,
            gateway=StatedAnswers(case.registries),
            inquiry=None,
            at=at,
        )
    except (ProcessFailed, DecisionInputInvalid, ScriptRefused) as error:
        return TestResult(case.name, False, f"failed: {error.detail}")
    outcome = result.outcome if result.status == "decided" else result.status
    cited = [citation_text(c) for c in result.citations]
    fired = [m["rule"] for step in result.trace["steps"] for m in step.get("matched", [])]
    rules_match = case.expect.rules is None or fired == case.expect.rules
    if outcome == case.expect.outcome and cited == case.expect.citations and rules_match:
        return TestResult(case.name, True, "")
    expected_rules = "" if case.expect.rules is None else f" by {case.expect.rules}"
    got_rules = "" if case.expect.rules is None else f" by {fired}"
    return TestResult(
        case.name,
        False,
        f"expected {case.expect.outcome} citing {case.expect.citations}{expected_rules}; "
        f"got {outcome} citing {cited}{got_rules}",
    )


def run_tests(package: AutomationPackage, form_schema: dict[str, Any]) -> list[TestResult]:
    return [run_case(package, case, form_schema) for case in package.tests]
