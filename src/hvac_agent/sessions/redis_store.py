"""Session store in Redis, shared by every worker process, with a small in-process cache.

Each session is one hash — `v` (version), `p` (payload), `t` (a random token per write) — with a
TTL, so payload, version and expiry always change together. Writes are a Lua compare-and-set.

The cache only saves re-sending the payload: every `get` still asks Redis for the current write
token and uses the cached payload only when it matches. Comparing tokens rather than versions
matters: after a delete (or expiry) and re-create a key starts again at version 1, and a cached
"version 1" from the earlier life would otherwise be served as current.

Every Redis error becomes `SessionStoreUnavailable` within `timeout_s`; the connection pool drops
broken connections and dials again on the next call, so the store recovers when Redis returns.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hvac_agent.caller_caches import register as register_caller_cache
from hvac_agent.clock import Clock, SystemClock
from hvac_agent.sessions.store import SessionStoreUnavailable, Versioned

T = TypeVar("T")

# KEYS[1] = session key; ARGV = expected version ('' = create only), payload, token, ttl ms.
_PUT = """
local cur = redis.call('HGET', KEYS[1], 'v')
local new
if ARGV[1] == '' then
  if cur then return false end
  new = 1
else
  if cur ~= ARGV[1] then return false end
  new = tonumber(cur) + 1
end
redis.call('HSET', KEYS[1], 'v', new, 'p', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return new
"""

# KEYS[1] = session key; ARGV[1] = token of the cached copy ('' = none).
# Returns nil when absent, {version} when the cached copy is current, else {version, payload, token}.
_GET = """
local cur = redis.call('HMGET', KEYS[1], 'v', 't')
if not cur[1] then return false end
if ARGV[1] ~= '' and cur[2] == ARGV[1] then return {cur[1]} end
return {cur[1], redis.call('HGET', KEYS[1], 'p'), cur[2]}
"""


class RedisSessionStore:
    """`SessionStore` over `redis.asyncio`; safe for many workers (no cached read is trusted blindly)."""

    def __init__(
        self,
        url: str,
        *,
        cache_ttl_s: float = 5.0,
        cache_size: int = 10_000,
        prefix: str = "hvac:session:",
        clock: Clock | None = None,
        timeout_s: float = 1.0,
    ) -> None:
        self._prefix = prefix
        self._timeout_s = timeout_s
        clock = clock or SystemClock()
        # (payload, version, token) of the last copy this process read or wrote.
        self._cache: TTLCache[str, tuple[str, int, str]] = TTLCache(
            maxsize=cache_size, ttl=cache_ttl_s, timer=clock.monotonic
        )
        # Expired copies linger until the next write: on an idle worker, cleared with the others.
        register_caller_cache(self._cache.clear)
        # One quick retry lets a pooled connection broken by a Redis restart be replaced
        # transparently; the default (many retries with backoff) would stall a live call.
        self._client: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 1),
        )
        self._put_script = self._client.register_script(_PUT)
        self._get_script = self._client.register_script(_GET)

    async def get(self, key: str) -> Versioned | None:
        cached = self._cache.get(key)
        token = cached[2] if cached else ""
        reply: list[Any] | None = await self._call(lambda: self._get_script(keys=[self._key(key)], args=[token]))
        if not reply:
            self._cache.pop(key, None)
            return None
        version = int(reply[0])
        if len(reply) == 1 and cached is not None:
            return Versioned(payload=cached[0], version=version)
        payload, fresh_token = str(reply[1]), str(reply[2])
        self._cache[key] = (payload, version, fresh_token)
        return Versioned(payload=payload, version=version)

    async def put(self, key: str, payload: str, *, expected_version: int | None, ttl_s: int) -> int | None:
        token = secrets.token_hex(8)
        expected = "" if expected_version is None else str(expected_version)
        ttl_ms = max(int(ttl_s * 1000), 1)
        try:
            result: int | None = await self._call(
                lambda: self._put_script(keys=[self._key(key)], args=[expected, payload, token, ttl_ms])
            )
        except SessionStoreUnavailable:
            # The write may or may not have landed; make the next read fetch the payload.
            self._cache.pop(key, None)
            raise
        if result is None:
            self._cache.pop(key, None)
            return None
        version = int(result)
        self._cache[key] = (payload, version, token)
        return version

    async def delete(self, key: str) -> None:
        self._cache.pop(key, None)
        await self._call(lambda: self._client.delete(self._key(key)))

    async def ping(self) -> bool:
        try:
            return bool(await self._call(self._client.ping))
        except SessionStoreUnavailable:
            return False

    async def close(self) -> None:
        self._cache.clear()
        await self._client.aclose()

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await operation()
        except (RedisError, OSError, TimeoutError) as error:
            raise SessionStoreUnavailable(f"redis unavailable: {type(error).__name__}") from error
