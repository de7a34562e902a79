"""One run of a service process, from its saved state to the next stop, with the trace of what it did.

The engine (SpiffWorkflow) runs scripts, gateways and timers; it stops at business-rule tasks, service tasks
and user tasks (``process.py``), which this runner performs: a decision table is evaluated with the parameters
in force on the decisive date, a registry is asked through the gateway (the information mediator), and a user
task hands the case to an officer. Every step lands in the trace, which is what the applicant is shown (inputs
with their sources, the rule that fired and its citation) and what a re-run must reproduce.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from shaffof.automation import process, sandbox
from shaffof.automation.errors import DecisionInputInvalid, ProcessFailed, ScriptRefused
from shaffof.automation.package import AutomationPackage
from shaffof.automation.registries import TOPICS, Inquiry, RegistryGateway

Status = Literal["decided", "officer", "waiting"]
LANGUAGES = ("uz", "ru", "en")
MAX_STEPS = 200  # a process that loops without stopping is a modelling error, not a reason to hang a worker


@dataclass
class RunResult:
    status: Status
    state: str  # the serialized workflow, to keep with the case
    trace: dict[str, Any]
    outcome: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)
    citations: list[dict[str, Any]] = field(default_factory=list)


def process_data(form_schema: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """The process's starting data: every field the form declares (None where the applicant left it out)."""
    return {name: None for name in form_schema.get("properties", {})} | dict(form)


def new_trace(package: AutomationPackage, decisive_date: dt.date, form: dict[str, Any]) -> dict[str, Any]:
    return {
        "model_digest": package.digest,
        "process": package.process.process_id,
        "decisive_date": decisive_date.isoformat(),
        "parameters": package.parameter_citations_on(decisive_date),
        "inputs": {name: {"value": value, "source": "application form"} for name, value in form.items()},
        "steps": [],
    }


def run(
    package: AutomationPackage,
    *,
    state: str | None,
    data: dict[str, Any],
    trace: dict[str, Any],
    gateway: RegistryGateway,
    inquiry: Inquiry | None,
    at: dt.datetime,
) -> RunResult:
    """Advance the process as far as it goes; raises :class:`ProcessFailed` (the case is parked) on a failure."""
    decisive_date = dt.date.fromisoformat(trace["decisive_date"])
    try:
        workflow = process.load(state) if state is not None else _start(package, data)
        return _advance(package, workflow, trace, gateway, inquiry, decisive_date, at)
    except (DecisionInputInvalid, ScriptRefused, ProcessFailed):
        raise
    except SpiffWorkflowException as error:
        raise ProcessFailed(f"The process failed: {error}") from error
    except (ValueError, TypeError, ArithmeticError, NameError, KeyError) as error:
        raise ProcessFailed(f"The process failed: {type(error).__name__}: {error}") from error


def _start(package: AutomationPackage, data: dict[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(package.process.spec, script_engine=sandbox.script_engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    return workflow


def _advance(
    package: AutomationPackage,
    workflow: BpmnWorkflow,
    trace: dict[str, Any],
    gateway: RegistryGateway,
    inquiry: Inquiry | None,
    decisive_date: dt.date,
    at: dt.datetime,
) -> RunResult:
    steps: list[dict[str, Any]] = trace["steps"]

    def engine_step(task: Task) -> None:
        spec = task.task_spec
        if spec.bpmn_id and type(spec).__name__ == "ScriptTask":
            steps.append({"task": spec.bpmn_id, "name": spec.bpmn_name, "type": "script"})

    workflow.refresh_timers()
    for _ in range(MAX_STEPS):
        workflow.do_engine_steps(did_complete_task=engine_step)
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
        if not ready:
            break
        task = ready[0]
        binding = package.process.bindings.get(task.task_spec.bpmn_id)
        if binding is None or binding.kind == "officer":
            steps.append({"task": task.task_spec.bpmn_id, "name": task.task_spec.bpmn_name, "type": "officer"})
            return RunResult("officer", process.dump(workflow), trace)
        if binding.kind == "registry":
            answer = gateway.query(binding.target, inquiry, at)
            values = {k: v for k, v in answer.values.items() if k in TOPICS[binding.target].values}
            task.data.update(values)
            for name, value in values.items():
                trace["inputs"][name] = {
                    "value": value,
                    "source": answer.source,
                    "fetched_at": answer.fetched_at.isoformat(),
                    "message_id": answer.message_id,
                }
            steps.append(
                {
                    "task": task.task_spec.bpmn_id,
                    "name": task.task_spec.bpmn_name,
                    "type": "registry",
                    "topic": binding.target,
                    "message_id": answer.message_id,  # the mediator's log entry: what a replay reuses
                    "values": values,
                }
            )
        else:
            table = package.tables[binding.target]
            out_of_force = package.config.out_of_force(decisive_date)
            evaluation = table.evaluate(task.data, package.parameters_on(decisive_date), out_of_force)
            result = evaluation.result
            if binding.result_variable:
                task.data[binding.result_variable] = result
            elif isinstance(result, dict):
                task.data.update(result)
            steps.append(
                {
                    "task": task.task_spec.bpmn_id,
                    "name": task.task_spec.bpmn_name,
                    "type": "decision",
                    **evaluation.trace(),
                    "rules_not_in_force": sorted(out_of_force),
                }
            )
        task.run()
    else:
        raise ProcessFailed(f"The process did not stop within {MAX_STEPS} steps.")
    if not workflow.is_completed():
        return RunResult("waiting", process.dump(workflow), trace)
    return _decided(workflow, trace)


def _decided(workflow: BpmnWorkflow, trace: dict[str, Any]) -> RunResult:
    data = workflow.data if workflow.data.get("outcome") else workflow.last_task.data if workflow.last_task else {}
    outcome = data.get("outcome")
    if not isinstance(outcome, str) or not outcome:
        raise ProcessFailed("The process ended without an outcome: no decision rule matched the case.")
    reasons = {lang: str(data.get(f"reason_{lang}") or "") for lang in LANGUAGES}
    citations: list[dict[str, Any]] = []
    for step in trace["steps"]:
        for match in step.get("matched", []):
            if match["citation"] not in citations:
                citations.append(match["citation"])
    trace["outcome"] = outcome
    trace["reasons"] = reasons
    trace["citations"] = citations
    return RunResult("decided", process.dump(workflow), trace, outcome, reasons, citations)


def citation_text(citation: dict[str, Any]) -> str:
    """``ZRU-445 Art. 28(1)`` — how tests and people name a rule's norm."""
    text = str(citation["law"])
    if citation.get("article"):
        text += f" Art. {citation['article']}"
    if citation.get("part"):
        text += f"({citation['part']})"
    return text
