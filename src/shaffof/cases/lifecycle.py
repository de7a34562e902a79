"""The default lifecycle of a case, as a pure transition table.

    submitted → registered → in_review ⇄ info_requested → decided → closed
                      └──────────┴──────────→ forwarded (to the competent body, which opens its own case)

Electronic submissions are registered in the same transaction as they are received (ZRU-445 Art. 23:
registered on the day of receipt; refusing to register is prohibited).
"""

from __future__ import annotations

from enum import StrEnum

from shaffof.cases.errors import TransitionRefused
from shaffof.cases.models import CaseState, EventKind

S = CaseState


class Action(StrEnum):
    register = "register"
    take = "take"
    request_info = "request_info"
    provide_info = "provide_info"
    forward = "forward"
    decide = "decide"
    close = "close"


TRANSITIONS: dict[Action, tuple[frozenset[CaseState], CaseState, EventKind]] = {
    Action.register: (frozenset({S.submitted}), S.registered, EventKind.registered),
    Action.take: (frozenset({S.registered, S.in_review}), S.in_review, EventKind.taken),
    Action.request_info: (frozenset({S.in_review}), S.info_requested, EventKind.info_requested),
    Action.provide_info: (frozenset({S.info_requested}), S.in_review, EventKind.info_provided),
    Action.forward: (frozenset({S.registered, S.in_review}), S.forwarded, EventKind.forwarded),
    Action.decide: (frozenset({S.in_review}), S.decided, EventKind.decided),
    Action.close: (frozenset({S.decided}), S.closed, EventKind.closed),
}

OPEN_STATES = frozenset({S.submitted, S.registered, S.in_review, S.info_requested})


def transition(state: CaseState, action: Action) -> tuple[CaseState, EventKind]:
    """The state after ``action`` and the event that records it, or :class:`TransitionRefused`."""
    allowed_from, target, event = TRANSITIONS[action]
    if state not in allowed_from:
        allowed = ", ".join(sorted(s.value for s in allowed_from))
        raise TransitionRefused(
            f"A case in the state {state.value!r} cannot be {_past(action)}; "
            f"this is possible only in the state(s): {allowed}.",
            state=state.value,
            action=action.value,
        )
    return target, event


def _past(action: Action) -> str:
    return {
        Action.register: "registered",
        Action.take: "taken",
        Action.request_info: "sent a request for information",
        Action.provide_info: "answered with information",
        Action.forward: "forwarded",
        Action.decide: "decided",
        Action.close: "closed",
    }[action]
