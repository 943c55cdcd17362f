"""Session-store backends for the suite: a store, a peer on the same data, a way to let TTL time pass."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from hvac_agent.clock import FixedClock
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore
from hvac_agent.sessions.redis_store import RedisSessionStore
from hvac_agent.sessions.store import SessionStore

START = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@dataclass
class Backend:
    """One store plus what a test needs around it, whatever the backing technology."""

    kind: str
    store: SessionStore
    # Another instance on the same data, as a second worker process would hold.
    peer: Callable[[], Awaitable[SessionStore]]
    # Let `seconds` of TTL time pass for every session of this test.
    elapse: Callable[[float], Awaitable[None]]
    _opened: list[SessionStore] = field(default_factory=list)


async def embedded_backend(tmp_path: Path) -> AsyncIterator[Backend]:
    clock = FixedClock(START)
    path = str(tmp_path / "sessions.db")
    opened: list[SessionStore] = []

    async def peer() -> SessionStore:
        other = EmbeddedSessionStore(path, clock)
        opened.append(other)
        return other

    async def elapse(seconds: float) -> None:
        clock.advance(seconds)

    store = EmbeddedSessionStore(path, clock)
    opened.append(store)
    try:
        yield Backend("embedded", store, peer, elapse, opened)
    finally:
        for each in opened:
            await each.close()


async def redis_backend(url: str) -> AsyncIterator[Backend]:
    prefix = f"hvac:test:{uuid.uuid4().hex[:12]}:"
    raw = aioredis.Redis.from_url(url, decode_responses=True)
    opened: list[SessionStore] = []

    async def peer() -> SessionStore:
        other = RedisSessionStore(url, prefix=prefix)
        opened.append(other)
        return other

    async def elapse(seconds: float) -> None:
        # Redis keeps real time; shorten every TTL of this test's keys by `seconds` instead.
        elapsed_ms = int(seconds * 1000)
        expiring = False
        async for name in raw.scan_iter(match=prefix + "*"):
            remaining_ms = await raw.pttl(name)
            if remaining_ms < 0:
                continue
            left_ms = remaining_ms - elapsed_ms
            expiring = expiring or left_ms <= 0
            await raw.pexpire(name, max(left_ms, 1))
        if expiring:
            await asyncio.sleep(0.005)

    store = RedisSessionStore(url, prefix=prefix)
    opened.append(store)
    try:
        yield Backend("redis", store, peer, elapse, opened)
    finally:
        for each in opened:
            await each.close()
        async for name in raw.scan_iter(match=prefix + "*"):
            await raw.delete(name)
        await raw.aclose()
