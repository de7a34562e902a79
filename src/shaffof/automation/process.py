"""BPMN 2.0 service processes, run by SpiffWorkflow.

A package's ``process.bpmn`` is the file a standard modeller (Camunda Modeler, bpmn.io) saves. We check it
element by element before accepting it — a task type we cannot run, a script outside the allowed set, a
business-rule task without its decision — and name the element and the reason.

SpiffWorkflow runs the flow (gateways, scripts, timers) and serializes a running instance to JSON, which is
kept with the case. Business-rule and service tasks are parsed as *manual* tasks so the engine stops at them
and :mod:`shaffof.automation.runner` does the work — our DMN engine for the former (citations, hit policies,
dated parameters), the registry gateway for the latter — recording each step in the decision's trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ManualTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from shaffof.automation import sandbox
from shaffof.automation.errors import ScriptRefused

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# What a service process may contain (the flow-level elements a modeller writes inside <process>).
FLOW_ELEMENTS = frozenset(
    {
        "startEvent",
        "endEvent",
        "sequenceFlow",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "scriptTask",
        "businessRuleTask",
        "serviceTask",
        "userTask",
        "task",
        "intermediateCatchEvent",
        "boundaryEvent",
        "laneSet",
        "textAnnotation",
        "association",
        "documentation",
        "extensionElements",
    }
)
EVENT_DEFINITIONS_ALLOWED = frozenset({"timerEventDefinition"})


@dataclass(frozen=True)
class Binding:
    """What the runner does at a task the engine stops at."""

    kind: str  # "decision" (business-rule task), "registry" (service task) or "officer" (user task)
    target: str  # the decision id, the registry topic, or "" for an officer
    result_variable: str | None = None


@dataclass(frozen=True)
class Problem:
    element: str
    message: str


@dataclass
class ProcessModel:
    """A checked process: its SpiffWorkflow spec, and the bindings of the tasks the runner performs."""

    process_id: str
    spec: Any
    bindings: dict[str, Binding] = field(default_factory=dict)


class _ParkedTaskParser(TaskParser):  # type: ignore[misc]
    """Business-rule and service tasks become manual tasks: the engine stops there and the runner acts."""


class _Parser(BpmnParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        full_tag("businessRuleTask"): (_ParkedTaskParser, ManualTask),
        full_tag("serviceTask"): (_ParkedTaskParser, ManualTask),
    }


_XML = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_SERIALIZER = BpmnWorkflowSerializer()


def read_process(content: bytes, *, decisions: set[str], topics: set[str]) -> tuple[ProcessModel | None, list[Problem]]:
    """Check and parse a BPMN document; every problem is reported, with the element's id."""
    try:
        root = etree.fromstring(content, _XML)
    except etree.XMLSyntaxError as error:
        return None, [Problem("(file)", f"not well-formed XML: {error}")]
    ns = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
    processes = root.findall("bpmn:process", ns)
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) != 1:
        return None, [
            Problem(
                "(file)", f'exactly one executable process is needed (isExecutable="true"); found {len(executable)}'
            )
        ]
    process = executable[0]
    problems: list[Problem] = []
    bindings: dict[str, Binding] = {}
    for element in process:
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        element_id = element.get("id", qname.localname)
        if qname.namespace != BPMN_NS or qname.localname not in FLOW_ELEMENTS:
            problems.append(
                Problem(element_id, f"the element type {qname.localname!r} is not supported in service processes")
            )
            continue
        for definition in element:
            kind = etree.QName(definition).localname if isinstance(definition.tag, str) else ""
            if kind.endswith("EventDefinition") and kind not in EVENT_DEFINITIONS_ALLOWED:
                problems.append(Problem(element_id, f"only timer events are supported, not {kind}"))
        _check_scripts(element, element_id, ns, problems)
        binding = _binding(element, qname.localname, element_id, decisions, topics, problems)
        if binding is not None:
            bindings[element_id] = binding
    if problems:
        return None, problems
    parser = _Parser()
    try:
        parser.add_bpmn_xml(root, filename="process.bpmn")
        spec = parser.get_spec(process.get("id"))
    except (ValidationException, SpiffWorkflowException) as error:
        return None, [Problem(getattr(error, "id", None) or "(process)", str(error).splitlines()[0])]
    return ProcessModel(process.get("id", ""), spec, bindings), []


def _check_scripts(element: Any, element_id: str, ns: dict[str, str], problems: list[Problem]) -> None:
    for script in element.findall("bpmn:script", ns):
        language = (element.get("scriptFormat") or "python").lower()
        if language != "python":
            problems.append(Problem(element_id, f"scripts are Python (the allowed subset), not {language}"))
            continue
        try:
            sandbox.check(script.text or "")
        except ScriptRefused as error:
            problems.append(Problem(element_id, f"script refused: {error.detail}"))
    for condition in element.findall("bpmn:conditionExpression", ns):
        try:
            sandbox.check((condition.text or "").strip(), mode="eval")
        except ScriptRefused as error:
            problems.append(Problem(element_id, f"condition refused: {error.detail}"))


def _binding(
    element: Any, kind: str, element_id: str, decisions: set[str], topics: set[str], problems: list[Problem]
) -> Binding | None:
    camunda = f"{{{CAMUNDA_NS}}}"
    if kind == "businessRuleTask":
        decision = element.get(f"{camunda}decisionRef")
        if not decision:
            problems.append(Problem(element_id, "a business-rule task names its DMN decision (camunda:decisionRef)"))
        elif decision not in decisions:
            problems.append(Problem(element_id, f"the decision {decision!r} is not in the package's DMN files"))
        else:
            return Binding("decision", decision, element.get(f"{camunda}resultVariable"))
    elif kind == "serviceTask":
        topic = element.get(f"{camunda}topic")
        if element.get(f"{camunda}type") != "external" or not topic:
            problems.append(
                Problem(element_id, 'a service task calls a registry: camunda:type="external" camunda:topic="…"')
            )
        elif topic not in topics:
            problems.append(
                Problem(element_id, f"unknown registry topic {topic!r}; known: {', '.join(sorted(topics))}")
            )
        else:
            return Binding("registry", topic)
    elif kind == "userTask":
        return Binding("officer", "")
    return None


def dump(workflow: BpmnWorkflow) -> str:
    """The running instance as JSON (kept with the case; survives restarts)."""
    return str(_SERIALIZER.serialize_json(workflow))


def load(state: str) -> BpmnWorkflow:
    workflow = _SERIALIZER.deserialize_json(state)
    workflow.script_engine = sandbox.script_engine()
    return workflow
