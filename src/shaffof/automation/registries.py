"""Inputs from base registries: what a service task asks, and how the answer reaches the process.

The once-only principle (ZRU-395; decree UP-113 abolished certificates the state already holds): a process
fetches what a registry knows instead of asking the citizen again. Every fetch goes through the information
mediator (``shaffof.mediator``) as the platform's internal consumer — the deciding body, for the case and
the service's purpose — so the access policy is checked there, the exchange lands in the signed message log
and the person's data tracker shows an ``automated`` read. The decision's trace keeps each value with the
message id of the answer it came from; a replay reads the trace, never the registry again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shaffof.automation.errors import ProcessFailed


@dataclass(frozen=True)
class Topic:
    """A service task's ``camunda:topic``: which registry service answers it and what the process gets."""

    registry: str
    service: str
    categories: frozenset[str]
    values: tuple[str, ...]  # the names the process may use from the answer
    extract: Callable[[Mapping[str, Any], dt.date], dict[str, Any]]


def _age(born: str, on: dt.date) -> int:
    birth = dt.date.fromisoformat(born)
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _person(data: Mapping[str, Any], on: dt.date) -> dict[str, Any]:
    identity = data["identity"]
    return {"applicant_age": _age(identity["birth_date"], on), "applicant_sex": identity["sex"]}


def _family(data: Mapping[str, Any], on: dt.date) -> dict[str, Any]:
    children = [r for r in data.get("family", []) if r["relation"] == "child" and _age(r["birth_date"], on) < 18]
    return _person(data, on) | {"children_under_18": len(children)}


TOPICS: Mapping[str, Topic] = {
    "population.person": Topic(
        "population", "person", frozenset({"identity"}), ("applicant_age", "applicant_sex"), _person
    ),
    "population.family": Topic(
        "population",
        "family",
        frozenset({"identity", "family"}),
        ("applicant_age", "applicant_sex", "children_under_18"),
        _family,
    ),
}


@dataclass(frozen=True)
class Inquiry:
    """Who asks, about whom, why: the deciding body's case and the applicant (the mediator checks them)."""

    agency_id: int
    case: str  # registration number
    subject: str  # the applicant's PINFL
    purpose: str  # the service's code: what the access policy names
    on: dt.date  # the decisive date (ages are computed on it)


@dataclass(frozen=True)
class RegistryAnswer:
    topic: str
    values: dict[str, Any]
    source: str  # which registry answered, as the trace shows it
    fetched_at: dt.datetime
    message_id: int | None = None  # the mediator's message-log entry the values came from


class RegistryGateway(Protocol):
    """Answers a service task's topic about the applicant."""

    def query(self, topic: str, inquiry: Inquiry | None, at: dt.datetime) -> RegistryAnswer: ...


class StatedAnswers:
    """Answers stated beforehand: by a test case (``tests.yaml``), or by a trace when a decision is replayed."""

    def __init__(self, answers: Mapping[str, Mapping[str, Any]], source: str = "tests.yaml") -> None:
        self._answers = answers
        self._source = source

    def query(self, topic: str, inquiry: Inquiry | None, at: dt.datetime) -> RegistryAnswer:
        if topic not in self._answers:
            raise ProcessFailed(f"No answer is stated for the registry topic {topic!r}.")
        return RegistryAnswer(topic, dict(self._answers[topic]), self._source, at)


def recorded_answers(trace: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The registry answers a trace recorded, by topic (what a replay feeds the process instead of a query)."""
    return {step["topic"]: dict(step["values"]) for step in trace.get("steps", []) if step.get("type") == "registry"}
