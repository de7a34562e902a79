"""Decision tables: every rule cites its norm, hit policies hold, inputs are checked against their types."""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from shaffof.automation import dmn
from shaffof.automation.errors import DecisionInputInvalid

LAWS = {"ZRU-445": dmn.Law("Law on appeals", "https://lex.uz/docs/3336171")}


def table(rules: list[tuple[str, str, str]], *, hit_policy: str = "UNIQUE", type_ref: str = "number") -> bytes:
    """A one-input, one-output table as Camunda Modeler saves it; rules are (input cell, output cell, citation)."""
    rows = "".join(
        f'<rule id="Rule_{i}"><inputEntry id="In_{i}"><text>{escape(cell)}</text></inputEntry>'
        f'<outputEntry id="Out_{i}"><text>{out}</text></outputEntry>'
        f"<annotationEntry><text>{cite}</text></annotationEntry></rule>"
        for i, (cell, out, cite) in enumerate(rules, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="D" namespace="x">'
        f'<decision id="days" name="Days"><decisionTable id="T" hitPolicy="{hit_policy}">'
        f'<input id="Input_kind" label="Kind"><inputExpression id="E" typeRef="{type_ref}"><text>kind</text>'
        '</inputExpression></input><output id="Output_days" label="Days" name="days" typeRef="number" />'
        f'<annotation name="Citation" />{rows}</decisionTable></decision></definitions>'
    ).encode()


def read(content: bytes) -> dmn.DecisionTable:
    tables, problems = dmn.read_tables(content, LAWS)
    assert problems == []
    return tables[0]


def test_the_rule_that_fires_carries_its_citation() -> None:
    decision = read(table([("< 10", "15", "ZRU-445 Art. 28(1)"), (">= 10", "30", "ZRU-445 Art. 28(2)")]))
    evaluation = decision.evaluate({"kind": 12}, {})
    assert evaluation.result == {"days": 30}
    [match] = evaluation.matched
    assert (match.rule.citation.law, match.rule.citation.article, match.rule.citation.part) == ("ZRU-445", "28", "2")
    assert str(match.rule.citation.url) == "https://lex.uz/docs/3336171"
    trace = evaluation.trace()
    assert trace["inputs"] == [{"id": "Input_kind", "label": "Kind", "expression": "kind", "value": 12}]
    assert trace["matched"][0]["rule"] == "Rule_2" and trace["matched"][0]["row"] == 2


def test_a_rule_without_a_citation_is_refused_with_its_id() -> None:
    _, problems = dmn.read_tables(table([("< 10", "15", "ZRU-445 Art. 28(1)"), (">= 10", "30", "")]), LAWS)
    assert [(p.element, "no legal citation" in p.message) for p in problems] == [("Rule_2", True)]


def test_a_citation_of_an_undeclared_law_is_refused() -> None:
    _, problems = dmn.read_tables(table([("-", "15", "ZRU-999 Art. 1")]), LAWS)
    assert problems[0].element == "Rule_1" and "does not declare" in problems[0].message


def test_overlapping_rules_are_found_under_unique() -> None:
    decision = read(table([("<= 10", "15", "ZRU-445 Art. 28(1)"), (">= 10", "30", "ZRU-445 Art. 28(2)")]))
    [(first, second)] = decision.overlaps({})
    assert (first.id, second.id) == ("Rule_1", "Rule_2")


def test_first_takes_the_first_match_and_collect_takes_all() -> None:
    rules = [("<= 10", "15", "ZRU-445 Art. 28(1)"), ("-", "30", "ZRU-445 Art. 28(2)")]
    assert read(table(rules, hit_policy="FIRST")).evaluate({"kind": 5}, {}).result == {"days": 15}
    assert read(table(rules, hit_policy="COLLECT")).evaluate({"kind": 5}, {}).result == [{"days": 15}, {"days": 30}]
    assert read(table(rules, hit_policy="COLLECT")).evaluate({"kind": 50}, {}).result == [{"days": 30}]


@pytest.mark.parametrize(("value", "reason"), [("12", "must be a number"), (None, "no value")])
def test_an_input_of_the_wrong_type_stops_the_evaluation(value: object, reason: str) -> None:
    decision = read(table([("-", "15", "ZRU-445 Art. 28(1)")]))
    data = {} if value is None else {"kind": value}
    with pytest.raises(DecisionInputInvalid, match=reason) as raised:
        decision.evaluate(data, {})
    assert "days/Input_kind" in raised.value.detail


def test_parameters_are_resolved_by_name() -> None:
    decision = read(table([("< limit", "15", "ZRU-445 Art. 28(1)"), (">= limit", "limit", "ZRU-445 Art. 28(2)")]))
    assert decision.names() == {"limit"}
    assert decision.evaluate({"kind": 40}, {"limit": Decimal(30)}).result == {"days": 30}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<not xml", "not well-formed"),
        (b'<definitions xmlns="urn:other"/>', "not a DMN 1.3 document"),
        (table([("[1..", "15", "ZRU-445 Art. 28(1)")]), "input cell"),
        (table([("-", "15", "ZRU-445 Art. 28(1)")], hit_policy="ANY"), "hit policy ANY"),
        (table([("-", "15", "ZRU-445 Art. 28(1)")], type_ref="date"), "typeRef"),
    ],
)
def test_bad_tables_are_refused_with_the_reason(content: bytes, message: str) -> None:
    tables, problems = dmn.read_tables(content, LAWS)
    assert tables == [] and any(message in p.message for p in problems), problems
