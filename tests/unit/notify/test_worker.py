"""The worker's retry schedule: exponential, capped, jittered, never earlier than half the step."""

from __future__ import annotations

import datetime as dt
import random

from shaffof.notify.worker import RetryPolicy


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(max_attempts=48, base_seconds=30, cap_seconds=3600)
    rng = random.Random(7)
    for attempt in range(1, 16):
        step = min(3600, 30 * 2 ** (attempt - 1))
        delays = {policy.delay(attempt, rng) for _ in range(50)}
        assert all(dt.timedelta(seconds=step / 2) <= d <= dt.timedelta(seconds=step) for d in delays)
        assert len(delays) > 1  # jittered: a burst of retries after an outage spreads out


def test_total_wait_before_giving_up_spans_hours_not_seconds() -> None:
    policy = RetryPolicy()
    rng = random.Random(1)
    total = sum((policy.delay(n, rng) for n in range(1, policy.max_attempts)), dt.timedelta())
    # An SMTP outage of most of a day loses nothing with the defaults.
    assert total > dt.timedelta(hours=20)


def test_huge_attempt_numbers_do_not_overflow() -> None:
    assert RetryPolicy(cap_seconds=60).delay(10_000, random.Random(0)) <= dt.timedelta(seconds=60)
