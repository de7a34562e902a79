"""DMN 1.3 decision tables whose every rule cites the norm it implements.

A service package's ``decision.dmn`` (as Camunda Modeler or bpmn.io saves it) is read here, checked, and
evaluated by our own small engine (``feel.py``) — SpiffWorkflow's DMN engine evaluates cells as Python, ignores
annotations and cannot tell overlapping rules apart (shared/design.md, library notes). What this adds:

- each rule's annotation cell is its legal citation, ``LAW Art. N(P)`` (e.g. ``ZRU-445 Art. 28(1)``), resolved
  against the laws the package declares; a rule without one is refused;
- hit policies UNIQUE (overlapping rules are a validation error, for every dated version of the parameters),
  FIRST and COLLECT;
- typed inputs (``typeRef`` and ``inputValues``): a value outside its type or range stops the evaluation with
  an error naming the input, rather than silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree

from shaffof.automation import feel
from shaffof.automation.errors import DecisionInputInvalid
from shaffof.legal import Citation

DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2 (older modellers)
)
HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
NUMBER_TYPES = ("number", "integer", "long", "double")
TYPES = (*NUMBER_TYPES, "string", "boolean")
CITATION = re.compile(
    r"^(?P<law>[A-Za-z][A-Za-z0-9-]*)(?:\s+Art\.\s*(?P<article>[0-9][0-9A-Za-z.-]*))?(?:\((?P<part>[0-9A-Za-z]+)\))?$"
)
EXPRESSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Law:
    """How a package names a law in its citations: ``{title, url}`` under the law's code."""

    title: str
    url: str | None = None
    # Not a norm of the platform's legal ground (shared/legal.md) but a rule set written for the package (a
    # demonstration): it is cited by its code alone — never with article numbers it does not have — and the
    # trace marks every rule and parameter that rests on it.
    illustrative: bool = False


@dataclass(frozen=True)
class Problem:
    element: str  # the DMN element's id, or (file) for the whole document
    message: str


@dataclass(frozen=True)
class Input:
    id: str
    label: str
    expression: str  # a name in the process data
    type: str
    allowed: feel.UnaryTests | None


@dataclass(frozen=True)
class Output:
    id: str
    label: str
    name: str
    type: str


@dataclass(frozen=True)
class Rule:
    id: str
    row: int  # 1-based, as the modeller shows it
    conditions: tuple[feel.UnaryTests, ...]
    outputs: tuple[feel.Operand, ...]
    citation: Citation
    description: str = ""
    illustrative: bool = False  # the citation names an illustrative rule set (Law.illustrative)


@dataclass(frozen=True)
class DecisionTable:
    decision_id: str
    name: str
    hit_policy: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]

    def names(self) -> set[str]:
        """Parameter names the table refers to (all must be declared and in force)."""
        found: set[str] = set()
        for rule in self.rules:
            for condition in rule.conditions:
                found |= condition.names()
            found |= {o.name for o in rule.outputs if isinstance(o, feel.Name)}
        for item in self.inputs:
            if item.allowed is not None:
                found |= item.allowed.names()
        return found

    def overlaps(
        self, parameters: Mapping[str, feel.Value], out_of_force: frozenset[str] = frozenset()
    ) -> list[tuple[Rule, Rule]]:
        """Pairs of rules in force that some input would match together (UNIQUE forbids any)."""
        rules = [r for r in self.rules if r.id not in out_of_force]
        domains = [[feel.domain(c, parameters) for c in rule.conditions] for rule in rules]
        pairs = []
        for i, first in enumerate(rules):
            for j in range(i + 1, len(rules)):
                if all(a.meets(b) for a, b in zip(domains[i], domains[j], strict=True)):
                    pairs.append((first, rules[j]))
        return pairs

    def evaluate(
        self, data: Mapping[str, Any], parameters: Mapping[str, feel.Value], out_of_force: frozenset[str] = frozenset()
    ) -> Evaluation:
        """Match the rules in force against ``data``; raises :class:`DecisionInputInvalid` for a bad input."""
        values: list[feel.Value] = []
        for item in self.inputs:
            values.append(_checked(item, data, parameters, self.decision_id))
        matched: list[Match] = []
        for rule in self.rules:
            if rule.id in out_of_force:
                continue
            if all(feel.matches(c, v, parameters) for c, v in zip(rule.conditions, values, strict=True)):
                outputs = {
                    o.name: feel.to_json(feel.resolve(v, parameters))
                    for o, v in zip(self.outputs, rule.outputs, strict=True)
                }
                matched.append(Match(rule, outputs))
                if self.hit_policy in ("FIRST", "UNIQUE"):
                    break  # UNIQUE: validation proved no other rule can match
        inputs = [
            InputValue(item.id, item.label, item.expression, feel.to_json(value))
            for item, value in zip(self.inputs, values, strict=True)
        ]
        return Evaluation(self, inputs, matched)


@dataclass(frozen=True)
class InputValue:
    id: str
    label: str
    expression: str
    value: object


@dataclass(frozen=True)
class Match:
    rule: Rule
    outputs: dict[str, object]


@dataclass(frozen=True)
class Evaluation:
    table: DecisionTable
    inputs: list[InputValue]
    matched: list[Match]

    @property
    def result(self) -> dict[str, object] | list[dict[str, object]] | None:
        """FIRST/UNIQUE: the matched rule's outputs (or None); COLLECT: the list of them."""
        if self.table.hit_policy == "COLLECT":
            return [m.outputs for m in self.matched]
        return self.matched[0].outputs if self.matched else None

    def trace(self) -> dict[str, Any]:
        """Machine-readable: every input with its value, every matched rule with its citation."""
        return {
            "decision": self.table.decision_id,
            "decision_name": self.table.name,
            "hit_policy": self.table.hit_policy,
            "inputs": [vars(i) for i in self.inputs],
            "matched": [
                {
                    "rule": m.rule.id,
                    "row": m.rule.row,
                    "description": m.rule.description,
                    "citation": m.rule.citation.model_dump(mode="json", exclude_none=True),
                    "illustrative": m.rule.illustrative,
                    "outputs": m.outputs,
                }
                for m in self.matched
            ],
        }


def _checked(item: Input, data: Mapping[str, Any], parameters: Mapping[str, feel.Value], decision: str) -> feel.Value:
    where = f"{decision}/{item.id} ({item.label or item.expression})"
    if item.expression not in data:
        raise DecisionInputInvalid(
            f"The decision input {where} has no value: {item.expression!r} is not in the case data."
        )
    raw = data[item.expression]
    try:
        value = feel.to_value(raw)
    except feel.FeelError as error:
        raise DecisionInputInvalid(f"The decision input {where}: {error}.") from None
    expected: type = Decimal if item.type in NUMBER_TYPES else bool if item.type == "boolean" else str
    if value is not None and (type(value) is not expected):
        raise DecisionInputInvalid(f"The decision input {where} must be a {item.type}; it is {raw!r}.")
    if item.type == "integer" and isinstance(value, Decimal) and value != value.to_integral_value():
        raise DecisionInputInvalid(f"The decision input {where} must be a whole number; it is {raw!r}.")
    if item.allowed is not None and value is not None and not feel.matches(item.allowed, value, parameters):
        raise DecisionInputInvalid(f"The decision input {where} is outside its declared values: {raw!r}.")
    return value


# ---------------------------------------------------------------------- reading


def parse_citation(text: str, laws: Mapping[str, Law]) -> Citation:
    """``ZRU-445 Art. 28(1)`` → a citation whose title and URL come from the package's declared laws."""
    match = CITATION.match(" ".join(text.split()))
    if match is None:
        raise ValueError(f"the citation {text!r} is not of the form 'LAW Art. N(P)', e.g. 'ZRU-445 Art. 28(1)'")
    law = laws.get(match["law"])
    if law is None:
        known = ", ".join(sorted(laws)) or "none"
        raise ValueError(
            f"the citation names the law {match['law']!r}, which the package does not declare (declared: {known})"
        )
    if law.illustrative and (match["article"] or match["part"]):
        raise ValueError(
            f"the law {match['law']!r} is illustrative (not a norm of the legal ground): cite it as "
            f"{match['law']!r} alone, without article numbers it does not have"
        )
    if not law.illustrative and not match["article"]:
        raise ValueError(f"the citation {text!r} names no article of {match['law']!r}, e.g. 'ZRU-445 Art. 28(1)'")
    return Citation(law=match["law"], article=match["article"], part=match["part"], title=law.title, url=law.url)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)


def read_tables(content: bytes, laws: Mapping[str, Law]) -> tuple[list[DecisionTable], list[Problem]]:
    """Every decision table of a DMN document, and every problem found (all of them, in one pass)."""
    problems: list[Problem] = []
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as error:
        return [], [Problem("(file)", f"not well-formed XML: {error}")]
    namespace = etree.QName(root).namespace
    if namespace not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        return [], [Problem("(file)", f"not a DMN 1.3 document (root {root.tag})")]
    ns = {"d": namespace}
    tables: list[DecisionTable] = []
    for decision in root.findall("d:decision", ns):
        decision_id = decision.get("id", "")
        table = decision.find("d:decisionTable", ns)
        if table is None:
            problems.append(Problem(decision_id, "only decision tables are supported (no literal expressions)"))
            continue
        parsed = _read_table(decision_id, decision.get("name", decision_id), table, ns, laws, problems)
        if parsed is not None:
            tables.append(parsed)
    if not tables and not problems:
        problems.append(Problem("(file)", "the document has no decision"))
    return tables, problems


def declared_decisions(content: bytes) -> set[str]:
    """The ids of the decisions a document declares (valid or not), so a process naming one is not blamed
    for the table's own problems."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError:
        return set()
    return {d.get("id", "") for d in root if isinstance(d.tag, str) and etree.QName(d).localname == "decision"}


def _text(element: Any, ns: dict[str, str]) -> str:
    node = element.find("d:text", ns)
    return (node.text or "").strip() if node is not None else ""


def _read_table(
    decision_id: str, name: str, table: Any, ns: dict[str, str], laws: Mapping[str, Law], problems: list[Problem]
) -> DecisionTable | None:
    start = len(problems)
    hit_policy = table.get("hitPolicy", "UNIQUE")
    if hit_policy not in HIT_POLICIES:
        problems.append(
            Problem(
                table.get("id", decision_id), f"hit policy {hit_policy} is not supported ({', '.join(HIT_POLICIES)})"
            )
        )
    inputs = []
    for element in table.findall("d:input", ns):
        expression_node = element.find("d:inputExpression", ns)
        expression = _text(expression_node, ns) if expression_node is not None else ""
        type_ref = expression_node.get("typeRef", "") if expression_node is not None else ""
        element_id = element.get("id", "")
        if not EXPRESSION.match(expression):
            problems.append(
                Problem(element_id, f"an input expression is one name from the process data; {expression!r} is not")
            )
        if type_ref not in TYPES:
            problems.append(Problem(element_id, f"typeRef {type_ref!r} is not one of {', '.join(TYPES)}"))
        allowed = None
        values_node = element.find("d:inputValues", ns)
        if values_node is not None:
            try:
                allowed = feel.parse(_text(values_node, ns))
            except feel.FeelError as error:
                problems.append(Problem(element_id, f"inputValues: {error}"))
        inputs.append(Input(element_id, element.get("label", ""), expression, type_ref, allowed))
    outputs = [
        Output(e.get("id", ""), e.get("label", ""), e.get("name", ""), e.get("typeRef", "string"))
        for e in table.findall("d:output", ns)
    ]
    for output in outputs:
        if not EXPRESSION.match(output.name):
            problems.append(Problem(output.id, f"an output needs a name (a plain identifier); {output.name!r} is not"))
    if not inputs or not outputs:
        problems.append(
            Problem(table.get("id", decision_id), "a decision table needs at least one input and one output")
        )
    rules = []
    for row, element in enumerate(table.findall("d:rule", ns), start=1):
        rule = _read_rule(row, element, ns, inputs, outputs, laws, problems)
        if rule is not None:
            rules.append(rule)
    if not rules:
        problems.append(Problem(table.get("id", decision_id), "the table has no rules"))
    if len(problems) > start:
        return None
    return DecisionTable(decision_id, name, hit_policy, tuple(inputs), tuple(outputs), tuple(rules))


def _read_rule(
    row: int,
    element: Any,
    ns: dict[str, str],
    inputs: Sequence[Input],
    outputs: Sequence[Output],
    laws: Mapping[str, Law],
    problems: list[Problem],
) -> Rule | None:
    rule_id = element.get("id", f"row {row}")
    start = len(problems)
    entries = element.findall("d:inputEntry", ns)
    results = element.findall("d:outputEntry", ns)
    if len(entries) != len(inputs) or len(results) != len(outputs):
        problems.append(Problem(rule_id, "the rule has a different number of cells than the table has columns"))
        return None
    conditions = []
    for entry, item in zip(entries, inputs, strict=True):
        try:
            condition = feel.parse(_text(entry, ns))
        except feel.FeelError as error:
            problems.append(
                Problem(entry.get("id", rule_id), f"input cell for {item.label or item.expression}: {error}")
            )
            continue
        conditions.append(condition)
    values = []
    for entry, output in zip(results, outputs, strict=True):
        try:
            values.append(feel.parse_value(_text(entry, ns)))
        except feel.FeelError as error:
            problems.append(Problem(entry.get("id", rule_id), f"output cell for {output.name}: {error}"))
    annotations = [_text(a, ns) for a in element.findall("d:annotationEntry", ns)]
    description_node = element.find("d:description", ns)
    description = (description_node.text or "").strip() if description_node is not None else ""
    cited = next((a for a in annotations if a), "")
    citation = None
    if not cited:
        problems.append(
            Problem(rule_id, f"rule {row} has no legal citation in its annotation (e.g. 'ZRU-445 Art. 28(1)')")
        )
    else:
        try:
            citation = parse_citation(cited, laws)
        except ValueError as error:
            problems.append(Problem(rule_id, str(error)))
    if len(problems) > start or citation is None:
        return None
    illustrative = laws[citation.law].illustrative
    return Rule(rule_id, row, tuple(conditions), tuple(values), citation, description, illustrative)
