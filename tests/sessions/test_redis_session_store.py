"""What only the Redis store promises: real TTLs, a cache that is used but never trusted blindly,
bounded failure when Redis is unreachable or silent, and recovery when it comes back."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from hvac_agent.clock import FixedClock
from hvac_agent.sessions.redis_store import RedisSessionStore
from hvac_agent.sessions.store import SessionStoreUnavailable, Versioned

START = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def prefix() -> str:
    return f"hvac:test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def raw(redis_url: str, prefix: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        async for name in client.scan_iter(match=prefix + "*"):
            await client.delete(name)
        await client.aclose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.redis
async def test_ttl_is_set_from_ttl_s_and_renewed(redis_url: str, prefix: str, raw: aioredis.Redis) -> None:
    store = RedisSessionStore(redis_url, prefix=prefix)
    try:
        await store.put("CA1", "x", expected_version=None, ttl_s=30)
        assert 29_000 < await raw.pttl(prefix + "CA1") <= 30_000
        await store.put("CA1", "y", expected_version=1, ttl_s=7200)
        assert 7_199_000 < await raw.pttl(prefix + "CA1") <= 7_200_000
    finally:
        await store.close()


@pytest.mark.redis
async def test_cache_serves_payload_only_while_the_write_token_matches(
    redis_url: str, prefix: str, raw: aioredis.Redis
) -> None:
    clock = FixedClock(START)
    store = RedisSessionStore(redis_url, prefix=prefix, cache_ttl_s=5.0, clock=clock)
    try:
        await store.put("CA1", "written", expected_version=None, ttl_s=600)
        # Change the payload behind the store's back without a new write token: a store that
        # re-read the payload would see it, so seeing "written" proves the cached copy was used.
        await raw.hset(prefix + "CA1", "p", "changed in place")
        assert await store.get("CA1") == Versioned("written", 1)
        # A real write always carries a new token; the cached copy is then refused.
        await raw.hset(prefix + "CA1", "t", "another-writer")
        assert await store.get("CA1") == Versioned("changed in place", 1)
    finally:
        await store.close()


@pytest.mark.redis
async def test_cache_entries_age_out_on_the_injected_clock(redis_url: str, prefix: str, raw: aioredis.Redis) -> None:
    clock = FixedClock(START)
    store = RedisSessionStore(redis_url, prefix=prefix, cache_ttl_s=5.0, clock=clock)
    try:
        await store.put("CA1", "written", expected_version=None, ttl_s=600)
        await raw.hset(prefix + "CA1", "p", "changed in place")
        clock.advance(4)
        assert (await store.get("CA1")) == Versioned("written", 1)
        clock.advance(6)
        assert (await store.get("CA1")) == Versioned("changed in place", 1)
    finally:
        await store.close()


@pytest.mark.redis
async def test_lost_race_drops_the_cached_copy(redis_url: str, prefix: str, raw: aioredis.Redis) -> None:
    first = RedisSessionStore(redis_url, prefix=prefix)
    second = RedisSessionStore(redis_url, prefix=prefix)
    try:
        await first.put("CA1", "turn 1", expected_version=None, ttl_s=600)
        await second.put("CA1", "turn 2 by second", expected_version=1, ttl_s=600)
        assert await first.put("CA1", "turn 2 by first", expected_version=1, ttl_s=600) is None
        assert await first.get("CA1") == Versioned("turn 2 by second", 2)
    finally:
        await first.close()
        await second.close()


async def test_closed_port_fails_fast_with_unavailable() -> None:
    store = RedisSessionStore(f"redis://127.0.0.1:{_free_port()}/0")
    try:
        started = time.monotonic()
        assert await store.ping() is False
        with pytest.raises(SessionStoreUnavailable):
            await store.get("CA1")
        with pytest.raises(SessionStoreUnavailable):
            await store.put("CA1", "x", expected_version=None, ttl_s=60)
        with pytest.raises(SessionStoreUnavailable):
            await store.delete("CA1")
        assert time.monotonic() - started < 1.0
    finally:
        await store.close()


async def test_silent_server_times_out_instead_of_hanging() -> None:
    """A peer that accepts and never answers (a hung Redis, a black-holed route)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisSessionStore(f"redis://127.0.0.1:{port}/0", timeout_s=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(SessionStoreUnavailable):
            await store.get("CA1")
        assert await store.ping() is False
        assert time.monotonic() - started < 1.0
    finally:
        await store.close()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


class _Proxy:
    """A TCP relay to Redis that can be cut and restored on the same port, like a Redis restart."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = _free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._writers.clear()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update({client_w, server_w})
        pumps = [
            asyncio.create_task(self._pump(client_r, server_w)),
            asyncio.create_task(self._pump(server_r, client_w)),
        ]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for writer in (client_w, server_w):
            writer.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


@pytest.mark.redis
async def test_recovers_by_itself_when_redis_comes_back(redis_url: str, prefix: str, raw: aioredis.Redis) -> None:
    target_port = int(redis_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    proxy = _Proxy(target_port)
    await proxy.start()
    store = RedisSessionStore(f"redis://127.0.0.1:{proxy.port}/0", prefix=prefix, timeout_s=0.5)
    try:
        assert await store.put("CA1", "before", expected_version=None, ttl_s=600) == 1
        assert await store.get("CA1") == Versioned("before", 1)

        await proxy.stop()
        assert await store.ping() is False
        with pytest.raises(SessionStoreUnavailable):
            await store.get("CA1")
        with pytest.raises(SessionStoreUnavailable):
            await store.put("CA1", "during", expected_version=1, ttl_s=600)

        await proxy.start()
        assert await store.ping() is True
        assert await store.get("CA1") == Versioned("before", 1)
        assert await store.put("CA1", "after", expected_version=1, ttl_s=600) == 2
        assert await raw.hget(prefix + "CA1", "p") == "after"
    finally:
        await store.close()
        await proxy.stop()


@pytest.mark.redis
async def test_quick_restart_between_turns_goes_unnoticed(redis_url: str, prefix: str, raw: aioredis.Redis) -> None:
    """Pooled connections die with the restart; the next turn must get a fresh one, not an error."""
    target_port = int(redis_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    proxy = _Proxy(target_port)
    await proxy.start()
    store = RedisSessionStore(f"redis://127.0.0.1:{proxy.port}/0", prefix=prefix, timeout_s=0.5)
    try:
        assert await store.put("CA1", "turn 1", expected_version=None, ttl_s=600) == 1
        await proxy.stop()
        await proxy.start()
        assert await store.get("CA1") == Versioned("turn 1", 1)
        assert await store.put("CA1", "turn 2", expected_version=1, ttl_s=600) == 2
    finally:
        await store.close()
        await proxy.stop()
