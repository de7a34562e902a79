"""SLA states follow the clock and the current (possibly extended) deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shaffof.deadlines.sla import SlaPolicy, SlaState

START = dt.datetime(2026, 3, 6, 5, 0, tzinfo=dt.UTC)
DUE = START + dt.timedelta(days=16)  # 15 days, end of the last day
POLICY = SlaPolicy(at_risk_share=0.25, long_overdue_after=dt.timedelta(days=10))


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (dt.timedelta(days=1), SlaState.on_track),
        (dt.timedelta(days=11, hours=23), SlaState.on_track),  # 4 days 1 h left of 16: more than a quarter
        (dt.timedelta(days=12, hours=1), SlaState.at_risk),  # less than 4 days (a quarter) left
        (dt.timedelta(days=16), SlaState.at_risk),  # the last instant is still in time
        (dt.timedelta(days=16, seconds=1), SlaState.overdue),
        (dt.timedelta(days=26), SlaState.overdue),
        (dt.timedelta(days=26, seconds=1), SlaState.long_overdue),
    ],
)
def test_states_along_the_answer_period(after: dt.timedelta, expected: SlaState) -> None:
    assert POLICY.state(START, DUE, START + after) is expected


def test_an_extension_takes_an_overdue_case_back_on_track() -> None:
    now = DUE + dt.timedelta(days=2)
    assert POLICY.state(START, DUE, now) is SlaState.overdue
    extended = START + dt.timedelta(days=31)  # ZRU-445 Art. 28(2): up to one month
    assert POLICY.state(START, extended, now) is SlaState.on_track


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_the_at_risk_share_is_a_fraction(share: float) -> None:
    with pytest.raises(ValueError, match="fraction"):
        SlaPolicy(at_risk_share=share)


@given(st.integers(min_value=1, max_value=90 * 24), st.integers(min_value=0, max_value=200 * 24))
def test_states_only_get_worse_as_time_passes(period_hours: int, elapsed_hours: int) -> None:
    due = START + dt.timedelta(hours=period_hours)
    order = list(SlaState)
    earlier = POLICY.state(START, due, START + dt.timedelta(hours=elapsed_hours))
    later = POLICY.state(START, due, START + dt.timedelta(hours=elapsed_hours + 1))
    assert order.index(later) >= order.index(earlier)
    assert POLICY.at_risk_from(START, due) <= due


@given(
    period=st.timedeltas(min_value=dt.timedelta(hours=2), max_value=dt.timedelta(days=92)),
    elapsed=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=130)),
    later=st.timedeltas(min_value=dt.timedelta(microseconds=1), max_value=dt.timedelta(days=130)),
)
def test_the_state_never_changes_before_the_next_check(
    period: dt.timedelta, elapsed: dt.timedelta, later: dt.timedelta
) -> None:
    """The monitor reads a case only at its next check: between two checks its state must not change, and
    at (just after) the check it must, unless nothing more can change."""
    due, now = START + period, START + elapsed
    state = POLICY.state(START, due, now)
    check = POLICY.next_check(state, START, due, now)
    if check is None:
        assert state is SlaState.long_overdue
        assert POLICY.state(START, due, now + later) is SlaState.long_overdue
        return
    assert check >= now
    if now + later <= check:
        assert POLICY.state(START, due, now + later) is state
    assert POLICY.state(START, due, check + dt.timedelta(microseconds=1)) is not state


def test_a_stale_state_is_checked_at_once() -> None:
    """A deadline that moved (an extension, a calendar change) may leave the stored state wrong: check now."""
    now = START + dt.timedelta(days=17)
    assert POLICY.next_check(SlaState.overdue, START, DUE + dt.timedelta(days=30), now) == now
    assert POLICY.next_check(SlaState.on_track, START, DUE, now) == now
