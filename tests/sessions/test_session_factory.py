"""`make_session_store` picks Redis when configured and the durable embedded store otherwise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.config import Settings
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore
from hvac_agent.sessions.factory import make_session_store
from hvac_agent.sessions.redis_store import RedisSessionStore
from hvac_agent.sessions.store import Versioned

CLOCK = FixedClock(dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC))


async def test_without_redis_the_embedded_store_uses_the_configured_file(tmp_path: Path) -> None:
    path = tmp_path / "calls" / "sessions.db"
    settings = Settings(_env_file=None, redis_url=None, session_db_path=str(path))
    store = make_session_store(settings, CLOCK)
    assert isinstance(store, EmbeddedSessionStore)
    assert await store.put("CA1", "x", expected_version=None, ttl_s=60) == 1
    await store.close()
    reopened = make_session_store(settings, CLOCK)
    assert await reopened.get("CA1") == Versioned("x", 1)
    await reopened.close()
    assert path.is_file()


@pytest.mark.redis
async def test_with_redis_url_the_redis_store_is_used(redis_url: str) -> None:
    settings = Settings(_env_file=None, redis_url=redis_url)
    store = make_session_store(settings, CLOCK)
    assert isinstance(store, RedisSessionStore)
    assert await store.ping() is True
    await store.close()
