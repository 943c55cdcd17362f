"""Moving follow-ups along: route new events, find due deliveries, attempt them, back off.

`Dispatcher.process(id)` is one attempt at one delivery — the unit both modes run. The embedded
default runs `run_forever()` in the server's own event loop; with a job queue the same `process`
runs as a job in `hvac-agent worker` processes (see `queue.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from hvac_agent.booking.availability import local_today
from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile
from hvac_agent.followups.deliver import Deliverer
from hvac_agent.followups.routing import Routes
from hvac_agent.followups.store import OutboxStore, Result
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.followups")

MAX_BACKOFF_S = 3600.0


def backoff_s(attempts: int, base_s: float, *, jitter: float = 0.2) -> float:
    """Exponential back-off after the `attempts`-th failure, capped at an hour, ±`jitter`."""
    delay = min(MAX_BACKOFF_S, base_s * 2.0 ** max(0, attempts - 1))
    return float(delay * (1 + random.uniform(-jitter, jitter)))


class Dispatcher:
    def __init__(
        self,
        *,
        store: OutboxStore,
        deliverer: Deliverer,
        routes: Routes,
        profile: BusinessProfile,
        clock: Clock,
        poll_s: float = 1.0,
        max_attempts: int = 12,
        retry_base_s: float = 10.0,
        batch: int = 20,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.routes = routes
        self.profile = profile
        self.clock = clock
        self.poll_s = poll_s
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def prepare(self) -> list[tuple[int, int]]:
        """Route new events, make sure today's digest is planned; the deliveries due now."""
        await self.store.route_new(self.routes)
        if self.routes.digest_to:
            await self.store.ensure_digest(local_today(self.profile, self.clock.now()))
            await self.store.route_new(self.routes)
        return await self.store.due(limit=self.batch)

    async def process(self, delivery_id: int) -> str | None:
        """One attempt at one delivery; None when it was not ours to make (not due, or taken)."""
        claimed = await self.store.claim(delivery_id)
        if claimed is None:
            return None
        try:
            result = await self.deliverer.deliver(claimed)
        except Exception as error:  # noqa: BLE001 - a bug or an outage in one delivery stops nothing else
            log.warning("delivery_error", delivery=claimed.id, channel=claimed.channel, error=type(error).__name__)
            result = Result("retry", f"{type(error).__name__}")
        status = await self.store.finish(
            claimed, result, retry_in_s=backoff_s(claimed.attempts, self.retry_base_s), dead_after=self.max_attempts
        )
        log.info(
            "delivery",
            delivery=claimed.id,
            channel=claimed.channel,
            event_kind=claimed.event_kind,
            attempt=claimed.attempts,
            status=status,
            detail=result.detail,
        )
        return status

    async def run_once(self) -> int:
        """One pass: everything due now gets one attempt (concurrently, a batch at a time)."""
        due = await self.prepare()
        await asyncio.gather(*(self.process(delivery_id) for delivery_id, _ in due))
        return len(due)

    def wake(self) -> None:
        """Look again now rather than at the next poll (e.g. right after a booking)."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_once() >= self.batch
            except BookingUnavailable:
                log.warning("followups_database_unavailable")
                busy = False
            except Exception:
                log.exception("followups_pass_failed")
                busy = False
            if busy:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                # Real time, not the injected clock: this is an idle wait, not a business timer.
                await asyncio.wait_for(self._wake.wait(), self.poll_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run_forever(), name="followups-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
