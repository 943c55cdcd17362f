"""A token bucket on an injected Clock: caps how fast we call a paid endpoint (per process)."""

from __future__ import annotations

from hvac_agent.clock import Clock, SystemClock


class TokenBucket:
    """`rate_per_s` tokens refill continuously up to `burst`; `try_acquire` never waits."""

    def __init__(self, rate_per_s: float, burst: int, *, clock: Clock | None = None) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._clock: Clock = clock or SystemClock()
        self._tokens = float(burst)
        self._at = self._clock.monotonic()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    def try_acquire(self, tokens: float = 1.0) -> bool:
        self._refill()
        if self._tokens >= tokens:
            self._tokens -= tokens
            return True
        return False

    def wait_s(self, tokens: float = 1.0) -> float:
        """Seconds until `tokens` would be available (0 when they are now)."""
        self._refill()
        return max(0.0, (tokens - self._tokens) / self._rate)

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait (on the clock) until `tokens` are available, then take them."""
        while not self.try_acquire(tokens):
            await self._clock.sleep(self.wait_s(tokens))
