"""Circuit breaker and token bucket on virtual time."""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.resilience.breaker import BreakerRegistry, CircuitBreaker, CircuitOpenError
from hvac_agent.resilience.rate_limit import TokenBucket

START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def test_opens_after_threshold_and_recovers_through_one_trial() -> None:
    clock = FixedClock(START)
    breaker = CircuitBreaker("llm:x", clock=clock, failure_threshold=5, recovery_s=60)
    for _ in range(4):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    with pytest.raises(CircuitOpenError):
        breaker.guard()
    assert breaker.snapshot().opened_for_s == 60
    clock.advance(59.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.state == "half_open"
    assert breaker.allow()  # the one trial call
    assert not breaker.allow()  # nobody else while it is in flight
    breaker.record_failure()  # the trial failed: open again for a full period
    assert breaker.state == "open"
    clock.advance(60)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.snapshot().consecutive_failures == 0


def test_success_resets_the_count_and_release_frees_the_trial() -> None:
    clock = FixedClock(START)
    breaker = CircuitBreaker("b", clock=clock, failure_threshold=2, recovery_s=10)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    clock.advance(10)
    assert breaker.allow()
    breaker.release()  # cancelled call: no verdict, but the next caller may try
    assert breaker.allow()


def test_registry_snapshot_for_health() -> None:
    clock = FixedClock(START)
    registry = BreakerRegistry(clock=clock, failure_threshold=1, recovery_s=30)
    registry.get("llm:a").record_failure()
    registry.get("llm:b").record_success()
    snap = registry.snapshot()
    assert snap["llm:a"]["state"] == "open" and snap["llm:a"]["retry_in_s"] == 30
    assert snap["llm:b"] == {
        "state": "closed",
        "consecutive_failures": 0,
        "total_failures": 0,
        "total_successes": 1,
        "retry_in_s": None,
    }
    assert registry.get("llm:a") is registry.get("llm:a")


async def test_token_bucket_refills_on_the_clock() -> None:
    clock = FixedClock(START)
    bucket = TokenBucket(rate_per_s=2, burst=2, clock=clock)
    assert bucket.try_acquire() and bucket.try_acquire()
    assert not bucket.try_acquire()
    assert bucket.wait_s() == pytest.approx(0.5)
    await bucket.acquire()  # sleeps on the virtual clock
    assert clock.monotonic() == pytest.approx(0.5)
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=0, burst=1)
