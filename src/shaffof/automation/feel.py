"""The FEEL unary-test subset that DMN modellers (Camunda Modeler, bpmn.io) write into decision-table cells.

SpiffWorkflow evaluates DMN cells as Python, so ``[1..18]`` — what a modeller writes for "1 to 18" — means
nothing there. Legal tables need the standard meaning, and a parse *before* a table is accepted, so this
module implements the part of FEEL 1.3 (DMN 1.3 §10.3.2.9 "simple unary tests") that tables use:

- ``-`` (any value), ``null``
- literals: numbers, ``"strings"``, ``true`` / ``false``
- comparisons ``< 5``, ``<= limit``, ``> 2``, ``>= 3``, ``= "x"`` (the last is our extension; a bare literal
  means the same)
- intervals ``[1..18]``, ``(1..18)``, ``]1..18[``, ``[1..18)`` (open/closed ends)
- disjunctions ``"a", "b", [1..3]`` and ``not(…)``
- names (``income_threshold_uzs``) — resolved from the dated parameters, never from the applicant's data

Every test also has a *static* form (a set of intervals over numbers, or a set of values) so overlapping rules
under hit policy UNIQUE are found at validation, before any case is decided by them.

Pure functions only: nothing here reads the clock, the database or the file system.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Union

Value = Union[Decimal, str, bool, None]  # noqa: UP007 — a runtime alias, readable in messages

_NUMBER = r"-?\d+(?:\.\d+)?"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(
    rf"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<range>\.\.)
      | (?P<number>{_NUMBER})
      | (?P<op><=|>=|<|>|=)
      | (?P<punct>[\[\]\(\),])
      | (?P<name>{_NAME})
    )""",
    re.VERBOSE,
)


class FeelError(ValueError):
    """A cell that is not in the supported FEEL subset; the message says what was expected."""


@dataclass(frozen=True)
class Literal:
    value: Value


@dataclass(frozen=True)
class Name:
    name: str


Operand = Literal | Name


@dataclass(frozen=True)
class Comparison:
    op: str  # one of < <= > >= =
    operand: Operand


@dataclass(frozen=True)
class Interval:
    low: Operand
    low_closed: bool
    high: Operand
    high_closed: bool


@dataclass(frozen=True)
class UnaryTests:
    """A parsed cell: ``any`` (``-``), or a disjunction of tests, possibly negated."""

    tests: tuple[Comparison | Interval, ...]
    negated: bool = False
    any: bool = False

    def names(self) -> set[str]:
        found: set[str] = set()
        for test in self.tests:
            operands = (test.operand,) if isinstance(test, Comparison) else (test.low, test.high)
            found.update(o.name for o in operands if isinstance(o, Name))
        return found


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FeelError(f"unexpected text at position {position + 1}: {text[position : position + 12]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, text: str) -> Operand:
    if kind == "number":
        return Literal(Decimal(text))
    if kind == "string":
        return Literal(text[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
    if kind == "name":
        if text in ("true", "false"):
            return Literal(text == "true")
        if text == "null":
            return Literal(None)
        return Name(text)
    raise FeelError(f"expected a value, found {text!r}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FeelError("the cell ends too early")
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        _, found = self.take()
        if found != text:
            raise FeelError(f"expected {text!r}, found {found!r}")

    def operand(self) -> Operand:
        kind, text = self.take()
        return _literal(kind, text)

    def test(self) -> Comparison | Interval:
        kind, text = self.peek() or ("", "")
        if kind == "op":
            self.take()
            return Comparison(text, self.operand())
        if text in ("[", "(", "]"):
            self.take()
            low_closed = text == "["
            low = self.operand()
            self.expect("..")
            high = self.operand()
            _, close = self.take()
            if close not in ("]", ")", "["):
                raise FeelError(f"an interval ends with ] ) or [, found {close!r}")
            return Interval(low, low_closed, high, close == "]")
        return Comparison("=", self.operand())

    def tests(self) -> tuple[Comparison | Interval, ...]:
        found = [self.test()]
        while self.peek() == ("punct", ","):
            self.take()
            found.append(self.test())
        return tuple(found)


def parse(text: str) -> UnaryTests:
    """Parse one input cell; raises :class:`FeelError` with what was wrong."""
    stripped = (text or "").strip()
    if stripped in ("", "-"):
        return UnaryTests((), any=True)
    parser = _Parser(stripped)
    negated = False
    if parser.peek() == ("name", "not") and len(parser.tokens) > 1 and parser.tokens[1] == ("punct", "("):
        parser.take()
        parser.take()
        negated = True
    tests = parser.tests()
    if negated:
        parser.expect(")")
    if parser.peek() is not None:
        raise FeelError(f"unexpected {parser.peek()[1]!r} after the test")  # type: ignore[index]
    return UnaryTests(tests, negated=negated)


def parse_value(text: str) -> Operand:
    """Parse an output cell: one literal or one parameter name."""
    parser = _Parser(text)
    operand = parser.operand()
    if parser.peek() is not None:
        raise FeelError(f"an output cell holds one value, found more after {text.strip()[:20]!r}")
    return operand


def resolve(operand: Operand, names: Mapping[str, Value]) -> Value:
    if isinstance(operand, Literal):
        return operand.value
    if operand.name not in names:
        raise FeelError(f"unknown name {operand.name!r} (not a parameter in force)")
    return names[operand.name]


def _compare(op: str, value: Value, bound: Value) -> bool:
    if op == "=":
        return value == bound
    if value is None or bound is None or type(value) is not type(bound) or isinstance(value, bool):
        return False
    assert isinstance(value, Decimal | str) and isinstance(bound, Decimal | str)
    if op == "<":
        return value < bound  # type: ignore[operator]
    if op == "<=":
        return value <= bound  # type: ignore[operator]
    if op == ">":
        return value > bound  # type: ignore[operator]
    return value >= bound  # type: ignore[operator]


def matches(tests: UnaryTests, value: Value, names: Mapping[str, Value]) -> bool:
    """Does ``value`` satisfy the cell? (FEEL: a disjunction; ``not(…)`` negates it.)"""
    if tests.any:
        return True
    hit = False
    for test in tests.tests:
        if isinstance(test, Comparison):
            hit = _compare(test.op, value, resolve(test.operand, names))
        else:
            low, high = resolve(test.low, names), resolve(test.high, names)
            hit = _compare(">=" if test.low_closed else ">", value, low) and _compare(
                "<=" if test.high_closed else "<", value, high
            )
        if hit:
            break
    return hit != tests.negated


def to_value(raw: object) -> Value:
    """An input value in FEEL's types: numbers become Decimal (exact), text stays text."""
    if raw is None or isinstance(raw, bool | str):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise FeelError(f"{raw} is not a number FEEL can compare")
        return Decimal(str(raw))
    if isinstance(raw, Decimal):
        return raw
    raise FeelError(f"a {type(raw).__name__} is not a FEEL value")


def to_json(value: Value) -> object:
    """A FEEL value as JSON data (whole numbers as integers), for traces and outputs."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# ---------------------------------------------------------------------- static form (overlap checks)

INF = Decimal("Infinity")


@dataclass(frozen=True)
class Span:
    """A numeric interval with open or closed ends (±Infinity for unbounded)."""

    low: Decimal
    low_closed: bool
    high: Decimal
    high_closed: bool

    def meets(self, other: Span) -> bool:
        low, low_closed = max((self.low, self.low_closed), (other.low, other.low_closed), key=_low_key)
        high, high_closed = min((self.high, self.high_closed), (other.high, other.high_closed), key=_high_key)
        return low < high or (low == high and low_closed and high_closed)


def _low_key(end: tuple[Decimal, bool]) -> tuple[Decimal, int]:
    return end[0], 0 if end[1] else 1  # for lower ends, an open end is tighter


def _high_key(end: tuple[Decimal, bool]) -> tuple[Decimal, int]:
    return end[0], 1 if end[1] else 0


@dataclass(frozen=True)
class Domain:
    """What a cell admits: ``spans`` of numbers and a set of other ``values``; ``everything`` for ``-``."""

    spans: tuple[Span, ...] = ()
    values: frozenset[object] = frozenset()
    everything: bool = False
    complement: bool = False  # not(…): everything except spans/values

    def meets(self, other: Domain) -> bool:
        if self.everything or other.everything:
            return True
        if self.complement or other.complement:
            # Conservative: a negated cell is taken to meet anything except the exact same negation's target.
            return not (
                self.complement != other.complement and self.spans == other.spans and self.values == other.values
            )
        if self.values & other.values:
            return True
        return any(a.meets(b) for a in self.spans for b in other.spans)


def domain(tests: UnaryTests, names: Mapping[str, Value]) -> Domain:
    """The static form of a cell, with names resolved (one parameter version at a time)."""
    if tests.any:
        return Domain(everything=True)
    spans: list[Span] = []
    values: set[object] = set()
    for test in tests.tests:
        if isinstance(test, Interval):
            low, high = resolve(test.low, names), resolve(test.high, names)
            if not isinstance(low, Decimal) or not isinstance(high, Decimal):
                raise FeelError("interval ends must be numbers")
            spans.append(Span(low, test.low_closed, high, test.high_closed))
            continue
        bound = resolve(test.operand, names)
        if test.op == "=":
            if isinstance(bound, Decimal):
                spans.append(Span(bound, True, bound, True))
            else:
                values.add(bound)
        elif not isinstance(bound, Decimal):
            raise FeelError(f"{test.op} compares numbers; {bound!r} is not one")
        elif test.op in ("<", "<="):
            spans.append(Span(-INF, False, bound, test.op == "<="))
        else:
            spans.append(Span(bound, test.op == ">=", INF, False))
    return Domain(tuple(spans), frozenset(values), complement=tests.negated)
