"""The `SessionStore` contract, run against every implementation (see the `backend` fixture)."""

from __future__ import annotations

import asyncio
import json

from session_backends import Backend

from hvac_agent.sessions.store import Versioned

TTL_S = 600


async def test_missing_key_reads_none(backend: Backend) -> None:
    assert await backend.store.get("CA-missing") is None


async def test_create_then_read(backend: Backend) -> None:
    store = backend.store
    assert await store.put("CA1", '{"turn": 1}', expected_version=None, ttl_s=TTL_S) == 1
    assert await store.get("CA1") == Versioned('{"turn": 1}', 1)


async def test_create_only_when_absent(backend: Backend) -> None:
    store = backend.store
    assert await store.put("CA1", "first", expected_version=None, ttl_s=TTL_S) == 1
    assert await store.put("CA1", "second", expected_version=None, ttl_s=TTL_S) is None
    assert await store.get("CA1") == Versioned("first", 1)


async def test_compare_and_set_rejects_stale_versions(backend: Backend) -> None:
    store = backend.store
    await store.put("CA1", "v1", expected_version=None, ttl_s=TTL_S)
    assert await store.put("CA1", "v2", expected_version=1, ttl_s=TTL_S) == 2
    assert await store.put("CA1", "late retry", expected_version=1, ttl_s=TTL_S) is None
    assert await store.put("CA1", "from the future", expected_version=7, ttl_s=TTL_S) is None
    assert await store.put("CA1", "v3", expected_version=2, ttl_s=TTL_S) == 3
    assert await store.get("CA1") == Versioned("v3", 3)


async def test_update_of_missing_key_fails(backend: Backend) -> None:
    assert await backend.store.put("CA-none", "x", expected_version=1, ttl_s=TTL_S) is None
    assert await backend.store.get("CA-none") is None


async def test_delete(backend: Backend) -> None:
    store = backend.store
    await store.put("CA1", "a", expected_version=None, ttl_s=TTL_S)
    await store.put("CA2", "b", expected_version=None, ttl_s=TTL_S)
    await store.delete("CA1")
    await store.delete("CA-never-existed")
    assert await store.get("CA1") is None
    assert await store.get("CA2") == Versioned("b", 1)
    assert await store.put("CA1", "again", expected_version=None, ttl_s=TTL_S) == 1
    assert await store.get("CA1") == Versioned("again", 1)


async def test_ttl_expiry(backend: Backend) -> None:
    store = backend.store
    await store.put("CA1", "short", expected_version=None, ttl_s=60)
    await backend.elapse(59)
    assert await store.get("CA1") == Versioned("short", 1)
    await backend.elapse(2)
    assert await store.get("CA1") is None
    # An expired session is gone for writers too: a late turn cannot revive it.
    assert await store.put("CA1", "late", expected_version=1, ttl_s=60) is None
    assert await store.put("CA1", "new call", expected_version=None, ttl_s=60) is not None
    fresh = await store.get("CA1")
    assert fresh is not None and fresh.payload == "new call"


async def test_each_write_renews_the_ttl(backend: Backend) -> None:
    store = backend.store
    version = await store.put("CA1", "t1", expected_version=None, ttl_s=60)
    for turn in range(2, 5):
        await backend.elapse(45)
        version = await store.put("CA1", f"t{turn}", expected_version=version, ttl_s=60)
        assert version == turn
    await backend.elapse(45)
    assert await store.get("CA1") == Versioned("t4", 4)
    await backend.elapse(20)
    assert await store.get("CA1") is None


async def test_concurrent_writers_exactly_one_wins_per_version(backend: Backend) -> None:
    store = backend.store
    version = await store.put("CA1", json.dumps({"winner": None}), expected_version=None, ttl_s=TTL_S)
    assert version == 1
    for round_no in range(5):
        results = await asyncio.gather(
            *(store.put("CA1", json.dumps({"winner": w}), expected_version=version, ttl_s=TTL_S) for w in range(20))
        )
        winners = [w for w, result in enumerate(results) if result is not None]
        assert len(winners) == 1, f"round {round_no}: {results}"
        assert results[winners[0]] == version + 1
        version += 1
        current = await store.get("CA1")
        assert current == Versioned(json.dumps({"winner": winners[0]}), version)


async def test_two_workers_alternating_always_read_the_latest(backend: Backend) -> None:
    """Consecutive turns of one call land on different workers; each must see the other's write."""
    first, second = backend.store, await backend.peer()
    version = await first.put("CA1", "turn 0", expected_version=None, ttl_s=TTL_S)
    assert version is not None
    workers = [first, second]
    for turn in range(1, 12):
        worker = workers[turn % 2]
        other = workers[(turn + 1) % 2]
        seen = await worker.get("CA1")
        assert seen == Versioned(f"turn {turn - 1}", version)
        new_version = await worker.put("CA1", f"turn {turn}", expected_version=seen.version, ttl_s=TTL_S)
        assert new_version == version + 1
        version = new_version
        # The other worker read (and may have cached) the previous turn: it must not serve it now.
        assert await other.get("CA1") == Versioned(f"turn {turn}", version)


async def test_recreated_session_is_not_confused_with_its_earlier_life(backend: Backend) -> None:
    """Delete + create restarts at version 1; a reader holding "version 1" must still see the new data."""
    first, second = backend.store, await backend.peer()
    await first.put("CA1", "old life", expected_version=None, ttl_s=TTL_S)
    assert await first.get("CA1") == Versioned("old life", 1)
    await second.delete("CA1")
    assert await second.put("CA1", "new life", expected_version=None, ttl_s=TTL_S) == 1
    assert await first.get("CA1") == Versioned("new life", 1)


async def test_session_expired_elsewhere_is_not_served(backend: Backend) -> None:
    first, second = backend.store, await backend.peer()
    await first.put("CA1", "soon gone", expected_version=None, ttl_s=30)
    assert await first.get("CA1") is not None
    assert await second.get("CA1") is not None
    await backend.elapse(31)
    assert await first.get("CA1") is None
    assert await second.get("CA1") is None


async def test_large_unicode_payload_round_trips(backend: Backend) -> None:
    payload = json.dumps({"turns": ["Mi calefacción no funciona — ¿pueden venir hoy? 🔥"] * 2000})
    assert len(payload) > 100_000
    assert await backend.store.put("CA1", payload, expected_version=None, ttl_s=TTL_S) == 1
    assert await backend.store.get("CA1") == Versioned(payload, 1)
    assert await (await backend.peer()).get("CA1") == Versioned(payload, 1)


async def test_ping_when_healthy(backend: Backend) -> None:
    assert await backend.store.ping() is True
