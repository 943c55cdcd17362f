"""The job queue for follow-ups when Redis is configured: arq, run by `hvac-agent worker`.

Why arq: it is asyncio-native (our delivery code is async all the way, so a job is just an
awaited coroutine — Celery and Dramatiq would run it in threads behind a sync API), needs only the
Redis we already run, and is small enough to read. The outbox table stays the source of truth:
each worker relays due deliveries into arq (the job id `queue:delivery:attempt` makes a repeated
relay a no-op), any worker runs the job, and the job's `process` claims the row before sending, so
a delivery is attempted by one worker at a time however many relay it. Retries and back-off are
the outbox's, so they survive Redis being flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker, func

from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.config import Settings
from hvac_agent.followups.dispatcher import Dispatcher
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.followups.queue")

JOB_TIMEOUT_S = 120


async def deliver_job(ctx: dict[str, Any], delivery_id: int) -> str | None:
    """The arq job: one attempt at one delivery."""
    dispatcher: Dispatcher = ctx["dispatcher"]
    return await dispatcher.process(delivery_id)


class Relay:
    """Polls the outbox and enqueues each due delivery once per attempt."""

    def __init__(self, dispatcher: Dispatcher, redis: ArqRedis, queue_name: str) -> None:
        self.dispatcher = dispatcher
        self.redis = redis
        self.queue_name = queue_name

    async def run_once(self) -> int:
        enqueued = 0
        for delivery_id, attempts in await self.dispatcher.prepare():
            job = await self.redis.enqueue_job(
                "deliver",
                delivery_id,
                _job_id=f"{self.queue_name}:{delivery_id}:{attempts}",
                _queue_name=self.queue_name,
            )
            enqueued += job is not None
        return enqueued

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except BookingUnavailable:
                log.warning("relay_database_unavailable")
            except Exception:
                log.exception("relay_pass_failed")
            await asyncio.sleep(self.dispatcher.poll_s)


def make_worker(settings: Settings, dispatcher: Dispatcher, *, on_close: Any = None) -> Worker:
    """An arq worker running deliveries from `settings.job_queue`, with the relay alongside."""
    assert settings.redis_url, "the job queue needs HVAC_REDIS_URL"
    redis_settings = RedisSettings.from_dsn(settings.redis_url)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["dispatcher"] = dispatcher
        relay = Relay(dispatcher, ctx["redis"], settings.job_queue)
        ctx["relay_task"] = asyncio.get_running_loop().create_task(relay.run_forever(), name="followups-relay")
        log.info("worker_started", queue=settings.job_queue)

    async def shutdown(ctx: dict[str, Any]) -> None:
        task = ctx.get("relay_task")
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if on_close is not None:
            await on_close()

    return Worker(
        functions=[func(deliver_job, name="deliver", keep_result=0, max_tries=3, timeout=JOB_TIMEOUT_S)],
        redis_settings=redis_settings,
        queue_name=settings.job_queue,
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=20,
        keep_result=0,
        poll_delay=min(0.5, settings.outbox_poll_s),
        handle_signals=True,
    )


async def open_pool(settings: Settings) -> ArqRedis:
    assert settings.redis_url
    return await create_pool(RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.job_queue)
