"""The default case lifecycle: which action is possible in which state, and what it leads to."""

from __future__ import annotations

import itertools

import pytest

from shaffof.cases.errors import TransitionRefused
from shaffof.cases.lifecycle import OPEN_STATES, Action, transition
from shaffof.cases.models import CaseState, EventKind

S, A, E = CaseState, Action, EventKind

# Written out from the lifecycle documented in cases/lifecycle.py:
#   submitted → registered → in_review ⇄ info_requested → decided → closed
#   registered / in_review → forwarded
# (take is also possible while in review: another officer takes the case over).
EXPECTED: dict[tuple[CaseState, Action], tuple[CaseState, EventKind]] = {
    (S.submitted, A.register): (S.registered, E.registered),
    (S.registered, A.take): (S.in_review, E.taken),
    (S.in_review, A.take): (S.in_review, E.taken),
    (S.in_review, A.request_info): (S.info_requested, E.info_requested),
    (S.info_requested, A.provide_info): (S.in_review, E.info_provided),
    (S.registered, A.forward): (S.forwarded, E.forwarded),
    (S.in_review, A.forward): (S.forwarded, E.forwarded),
    (S.in_review, A.decide): (S.decided, E.decided),
    (S.decided, A.close): (S.closed, E.closed),
}

REFUSED = [pair for pair in itertools.product(CaseState, Action) if pair not in EXPECTED]


def _id(pair: tuple[CaseState, Action]) -> str:
    return f"{pair[0].value}-{pair[1].value}"


@pytest.mark.parametrize(("state", "action"), list(EXPECTED), ids=[_id(p) for p in EXPECTED])
def test_allowed_transition_gives_the_documented_state_and_event(state: CaseState, action: Action) -> None:
    assert transition(state, action) == EXPECTED[(state, action)]


@pytest.mark.parametrize(("state", "action"), REFUSED, ids=[_id(p) for p in REFUSED])
def test_disallowed_transition_is_refused_naming_the_current_state(state: CaseState, action: Action) -> None:
    with pytest.raises(TransitionRefused) as caught:
        transition(state, action)
    error = caught.value
    assert f"state {state.value!r}" in str(error)
    assert error.extra == {"state": state.value, "action": action.value}
    assert error.status == 409


@pytest.mark.parametrize(("state", "action"), REFUSED, ids=[_id(p) for p in REFUSED])
def test_refusal_tells_in_which_states_the_action_is_possible(state: CaseState, action: Action) -> None:
    allowed = sorted(s.value for (s, a) in EXPECTED if a is action)
    with pytest.raises(TransitionRefused) as caught:
        transition(state, action)
    listed = str(caught.value).rsplit("state(s):", 1)[1].strip().rstrip(".")
    assert listed.split(", ") == allowed


def test_every_action_is_possible_somewhere() -> None:
    assert {action for (_, action) in EXPECTED} == set(Action)


@pytest.mark.parametrize("state", [S.forwarded, S.closed])
def test_forwarded_and_closed_cases_accept_no_action(state: CaseState) -> None:
    for action in Action:
        with pytest.raises(TransitionRefused):
            transition(state, action)


def test_a_case_can_go_from_submission_to_closure_through_a_request_for_information() -> None:
    state = S.submitted
    events = []
    for action in (A.register, A.take, A.request_info, A.provide_info, A.decide, A.close):
        state, event = transition(state, action)
        events.append(event)
    assert state is S.closed
    assert events == [E.registered, E.taken, E.info_requested, E.info_provided, E.decided, E.closed]


def test_open_states_are_those_still_awaiting_an_answer() -> None:
    assert {S.submitted, S.registered, S.in_review, S.info_requested} == OPEN_STATES
