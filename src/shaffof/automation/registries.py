"""Inputs from base registries: what a service task asks, and who answers.

The once-only principle (ZRU-395; decree UP-113 abolished certificates the state already holds): a process
fetches what a registry knows instead of asking the citizen again, and the decision's trace names every
value's source and when it was fetched. The information mediator (the registries issue) will answer more
topics through the same :class:`RegistryGateway`; this branch answers the population registry's person
record from the identity domain (birth date and sex, which the PINFL itself encodes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shaffof.automation.errors import ProcessFailed
from shaffof.identity import service as identity

# topic → the values its answer carries (a process may use only these names from it)
TOPICS: Mapping[str, tuple[str, ...]] = {
    "population.person": ("applicant_age", "applicant_sex"),
}


@dataclass(frozen=True)
class RegistryAnswer:
    topic: str
    values: dict[str, Any]
    source: str  # which registry answered, as the trace shows it
    fetched_at: dt.datetime


class RegistryGateway(Protocol):
    """Answers a service task's topic about the applicant (through the mediator, where there is one)."""

    def query(
        self, session: Session | None, topic: str, person_id: int | None, on: dt.date, at: dt.datetime
    ) -> RegistryAnswer: ...


class PopulationRegistry:
    """The person record (age on the decisive date, sex) from the platform's register of persons."""

    source = "population registry (Shaffof persons register, by PINFL)"

    def query(
        self, session: Session | None, topic: str, person_id: int | None, on: dt.date, at: dt.datetime
    ) -> RegistryAnswer:
        if topic != "population.person":
            raise ProcessFailed(f"No registry answers the topic {topic!r} on this installation.")
        if session is None or person_id is None:
            raise ProcessFailed("The population registry needs the applicant's person record.")
        person = identity.get_person(session, person_id)
        born = person.birth_date
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        values = {"applicant_age": age, "applicant_sex": person.sex.value}
        return RegistryAnswer(topic, values, self.source, at)


class StatedAnswers:
    """Answers stated beforehand: by a test case (``tests.yaml``), or by a trace when a decision is replayed."""

    def __init__(self, answers: Mapping[str, Mapping[str, Any]], source: str = "tests.yaml") -> None:
        self._answers = answers
        self._source = source

    def query(
        self, session: Session | None, topic: str, person_id: int | None, on: dt.date, at: dt.datetime
    ) -> RegistryAnswer:
        if topic not in self._answers:
            raise ProcessFailed(f"The test case states no answer for the registry topic {topic!r}.")
        return RegistryAnswer(topic, dict(self._answers[topic]), self._source, at)
