"""Per-provider request pacing: a token bucket that 429s and concurrency limits slow down.

A provider that says "too many requests" is waited on (its `Retry-After`, else a short back-off)
and the bucket's rate is halved for a while, so a storm of 429s makes calls slower, never drops
them; after `limit_budget_s` of waiting the engine gives up and failover takes the next engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.resilience.rate_limit import TokenBucket
from hvac_agent.voice.errors import RateLimited

T = TypeVar("T")


class ProviderLimits:
    """One per provider per process: shared by every call using that provider."""

    def __init__(
        self,
        name: str,
        *,
        rate_per_s: float = 20.0,
        burst: int = 20,
        clock: Clock | None = None,
        limit_budget_s: float = 2.0,
        first_backoff_s: float = 0.1,
    ) -> None:
        self.name = name
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.bucket = TokenBucket(rate_per_s, burst, clock=self.clock)
        self.limit_budget_s = limit_budget_s
        self.first_backoff_s = first_backoff_s
        self.rate_limited = 0  # 429s seen (for /health and the benches)

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """`attempt()` under the bucket, retried on `RateLimited` until the budget is spent."""
        waited = 0.0
        backoff = self.first_backoff_s
        while True:
            await self.bucket.acquire()
            try:
                return await attempt()
            except RateLimited as limited:
                self.rate_limited += 1
                pause = limited.retry_after_s if limited.retry_after_s is not None else backoff
                if waited + pause > self.limit_budget_s:
                    raise
                await self.clock.sleep(pause)
                waited += pause
                backoff = min(backoff * 2, 1.0)

    async def stream(self, open_stream: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        """A streamed request: retried on `RateLimited` only before its first item (a provider
        refuses a request up front; once audio flows a retry would repeat it)."""
        waited = 0.0
        backoff = self.first_backoff_s
        while True:
            await self.bucket.acquire()
            started = False
            try:
                async for item in open_stream():
                    started = True
                    yield item
                return
            except RateLimited as limited:
                self.rate_limited += 1
                pause = limited.retry_after_s if limited.retry_after_s is not None else backoff
                if started or waited + pause > self.limit_budget_s:
                    raise
                await self.clock.sleep(pause)
                waited += pause
                backoff = min(backoff * 2, 1.0)
