"""A circuit breaker per remote endpoint (LLM, speech provider), read through an injected Clock.

After `failure_threshold` consecutive failures the circuit opens: calls are refused at once for
`recovery_s`, so a dead provider costs no per-turn timeout. Then one trial call is let through
(half-open); its success closes the circuit, its failure opens it again for another `recovery_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hvac_agent.clock import Clock, SystemClock

BreakerState = Literal["closed", "open", "half_open"]


class CircuitOpenError(RuntimeError):
    """Raised by `guard()` when the circuit refuses a call."""

    def __init__(self, name: str) -> None:
        super().__init__(f"circuit {name!r} is open")
        self.name = name


@dataclass(frozen=True)
class BreakerSnapshot:
    name: str
    state: BreakerState
    consecutive_failures: int
    total_failures: int
    total_successes: int
    opened_for_s: float | None  # seconds until a trial call is allowed, when open

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "total_failures": self.total_failures,
            "total_successes": self.total_successes,
            "retry_in_s": self.opened_for_s,
        }


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        clock: Clock | None = None,
        failure_threshold: int = 5,
        recovery_s: float = 60.0,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.name = name
        self._clock: Clock = clock or SystemClock()
        self._threshold = failure_threshold
        self._recovery_s = recovery_s
        self._consecutive = 0
        self._total_failures = 0
        self._total_successes = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock.monotonic() - self._opened_at >= self._recovery_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial call at a time is allowed."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def guard(self) -> None:
        if not self.allow():
            raise CircuitOpenError(self.name)

    def record_success(self) -> None:
        self._consecutive = 0
        self._total_successes += 1
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._consecutive += 1
        self._total_failures += 1
        if self._trial_in_flight or self._consecutive >= self._threshold:
            self._opened_at = self._clock.monotonic()
        self._trial_in_flight = False

    def trip(self) -> None:
        """Open now, whatever the count (a failure that will not heal by itself: bad credentials)."""
        self._consecutive = max(self._consecutive + 1, self._threshold)
        self._total_failures += 1
        self._opened_at = self._clock.monotonic()
        self._trial_in_flight = False

    def release(self) -> None:
        """A guarded call ended with neither verdict (cancelled): free the half-open trial slot."""
        self._trial_in_flight = False

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        retry_in = None
        if state == "open" and self._opened_at is not None:
            retry_in = round(self._recovery_s - (self._clock.monotonic() - self._opened_at), 3)
        return BreakerSnapshot(
            name=self.name,
            state=state,
            consecutive_failures=self._consecutive,
            total_failures=self._total_failures,
            total_successes=self._total_successes,
            opened_for_s=retry_in,
        )


class BreakerRegistry:
    """One breaker per endpoint name, shared by every call in the process; feeds `/health`."""

    def __init__(self, *, clock: Clock | None = None, failure_threshold: int = 5, recovery_s: float = 60.0) -> None:
        self._clock: Clock = clock or SystemClock()
        self._threshold = failure_threshold
        self._recovery_s = recovery_s
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = CircuitBreaker(
                name, clock=self._clock, failure_threshold=self._threshold, recovery_s=self._recovery_s
            )
            self._breakers[name] = breaker
        return breaker

    def snapshot(self) -> dict[str, dict[str, object]]:
        """`{"llm:gpt-4o@api.example": {"state": "closed", ...}}` for `/health` "circuits"."""
        return {name: b.snapshot().as_dict() for name, b in sorted(self._breakers.items())}
