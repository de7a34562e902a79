"""Service-level states of an open case, from its answer deadline and the clock (pure functions).

- ``on_track``: more than the at-risk share of the answer period is left;
- ``at_risk``: less than that share is left (default 25 %: "at risk" is a setting, not a legal term);
- ``overdue``: the answer deadline (ZRU-445 Art. 28) has passed — escalated to the head of the body;
- ``long_overdue``: overdue by more than a threshold (default 10 days) — escalated to the higher body.

A case whose clock is stopped (information awaited from the applicant, policies with clock stops) keeps its
state: the period is not running. An extended deadline is judged against the new date, so an extension
immediately stops a case from showing as overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class SlaState(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    overdue = "overdue"
    long_overdue = "long_overdue"


# How far up a state is escalated: 1 = the head of the body, 2 = the higher (parent) body.
ESCALATION_LEVEL = {SlaState.on_track: 0, SlaState.at_risk: 0, SlaState.overdue: 1, SlaState.long_overdue: 2}


@dataclass(frozen=True)
class SlaPolicy:
    at_risk_share: float = 0.25
    long_overdue_after: dt.timedelta = dt.timedelta(days=10)

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_share < 1:
            raise ValueError("the at-risk share is a fraction between 0 and 1")
        if self.long_overdue_after <= dt.timedelta(0):
            raise ValueError("the long-overdue threshold must be positive")

    def state(self, started_at: dt.datetime, due_at: dt.datetime, now: dt.datetime) -> SlaState:
        if now > due_at + self.long_overdue_after:
            return SlaState.long_overdue
        if now > due_at:
            return SlaState.overdue
        if due_at - now < (due_at - started_at) * self.at_risk_share:
            return SlaState.at_risk
        return SlaState.on_track

    def at_risk_from(self, started_at: dt.datetime, due_at: dt.datetime) -> dt.datetime:
        """The instant a case turns at risk."""
        return due_at - (due_at - started_at) * self.at_risk_share

    def next_check(
        self, stored: SlaState, started_at: dt.datetime, due_at: dt.datetime, now: dt.datetime
    ) -> dt.datetime | None:
        """When the monitor must next look at a case whose stored state is ``stored``: now if the state
        is already stale (the deadline moved), else the instant the state changes; None after
        ``long_overdue``, the last state. The monitor's work is thus proportional to the changes."""
        if self.state(started_at, due_at, now) is not stored:
            return now
        if stored is SlaState.on_track:
            return self.at_risk_from(started_at, due_at)
        if stored is SlaState.at_risk:
            return due_at
        if stored is SlaState.overdue:
            return due_at + self.long_overdue_after
        return None
