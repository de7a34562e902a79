"""The registry gateway of a running installation: every service task's query goes through the mediator.

The deciding body is the consumer (its access policy for the service's purpose decides), the case and the
applicant are named, and the answer's message-log id goes into the trace next to each value. A refusal —
no policy, a subject outside the case, a person missing from the registry — fails the step, and the worker
parks the case for an officer with the mediator's reason.
"""

from __future__ import annotations

import datetime as dt

from shaffof.automation.errors import ProcessFailed
from shaffof.automation.registries import TOPICS, Inquiry, RegistryAnswer
from shaffof.errors import DomainError
from shaffof.mediator.schemas import AutomatedQuery
from shaffof.mediator.service import Mediator


class MediatorGateway:
    """Answers a topic through the information mediator (channel ``automated``)."""

    def __init__(self, mediator: Mediator) -> None:
        self._mediator = mediator

    def query(self, topic: str, inquiry: Inquiry | None, at: dt.datetime) -> RegistryAnswer:
        spec = TOPICS.get(topic)
        if spec is None:
            raise ProcessFailed(f"No registry answers the topic {topic!r} on this installation.")
        if inquiry is None:
            raise ProcessFailed(f"The {topic} query needs the case and its applicant.")
        command = AutomatedQuery(
            subject=inquiry.subject, purpose=inquiry.purpose, case=inquiry.case, categories=sorted(spec.categories)
        )
        try:
            response = self._mediator.automated(inquiry.agency_id, spec.registry, spec.service, command)
        except DomainError as refusal:
            raise ProcessFailed(
                f"The information mediator did not answer {spec.registry}/{spec.service}: {refusal.detail}"
            ) from None
        source = f"{spec.registry} registry, {spec.service} (mediator message {response.message_id})"
        return RegistryAnswer(
            topic, spec.extract(response.data, inquiry.on), source, self._mediator.clock(), response.message_id
        )
