"""What only the embedded store promises: durability across a killed process, several processes on
one file, purging of expired rows, and failures reported as `SessionStoreUnavailable`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore
from hvac_agent.sessions.store import SessionStoreUnavailable, Versioned

START = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)

# Writes two turns of a call, reports the version, then waits to be killed (it never closes).
WRITER = """
import asyncio, sys
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore

async def main() -> None:
    store = EmbeddedSessionStore(sys.argv[1])
    version = await store.put("CA1", '{"turn": 1}', expected_version=None, ttl_s=3600)
    version = await store.put("CA1", '{"turn": 2, "zip": "78701"}', expected_version=version, ttl_s=3600)
    print(version, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""

# Increments a counter session `n` times with read / compare-and-set / retry.
INCREMENTER = """
import asyncio, json, sys
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore

async def main() -> None:
    store = EmbeddedSessionStore(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    done = 0
    while done < int(sys.argv[2]):
        current = await store.get("counter")
        count = json.loads(current.payload)["n"]
        written = await store.put(
            "counter", json.dumps({"n": count + 1}), expected_version=current.version, ttl_s=3600
        )
        done += written is not None
    await store.close()
    print("done", flush=True)

asyncio.run(main())
"""


async def _spawn(script: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


def _file_size(path: str) -> int:
    return os.path.getsize(path)


async def _read_line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    return (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode().strip()


async def test_session_survives_sigkill_of_the_writer(tmp_path: Path) -> None:
    path = str(tmp_path / "sessions.db")
    proc = await _spawn(WRITER, path)
    try:
        assert await _read_line(proc) == "2"
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Killed without a checkpoint: the turns live only in the write-ahead log.
    assert _file_size(path + "-wal") > 0

    store = EmbeddedSessionStore(path)
    try:
        assert await store.get("CA1") == Versioned('{"turn": 2, "zip": "78701"}', 2)
        assert await store.put("CA1", '{"turn": 3}', expected_version=2, ttl_s=3600) == 3
    finally:
        await store.close()


async def test_two_processes_share_one_file_without_lost_updates(tmp_path: Path) -> None:
    path = str(tmp_path / "sessions.db")
    per_process = 40
    store = EmbeddedSessionStore(path)
    assert await store.put("counter", json.dumps({"n": 0}), expected_version=None, ttl_s=3600) == 1
    child = await _spawn(INCREMENTER, path, str(per_process))
    try:
        assert await _read_line(child) == "ready"
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        done = 0
        while done < per_process:
            current = await store.get("counter")
            assert current is not None
            count = json.loads(current.payload)["n"]
            assert count == current.version - 1
            written = await store.put(
                "counter", json.dumps({"n": count + 1}), expected_version=current.version, ttl_s=3600
            )
            done += written is not None
        assert await _read_line(child) == "done"
        assert await asyncio.wait_for(child.wait(), timeout=30) == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    final = await store.get("counter")
    await store.close()
    assert final == Versioned(json.dumps({"n": 2 * per_process}), 2 * per_process + 1)


async def test_file_is_in_wal_mode_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "sessions.db"
    store = EmbeddedSessionStore(str(path))
    await store.put("CA1", "kept", expected_version=None, ttl_s=3600)
    await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    reopened = EmbeddedSessionStore(str(path))
    assert await reopened.get("CA1") == Versioned("kept", 1)
    await reopened.close()


def _row_count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM sessions").fetchone()
    return int(count)


async def test_expired_rows_are_purged(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    clock = FixedClock(START)
    store = EmbeddedSessionStore(str(path), clock, purge_interval_s=300)
    for n in range(5):
        await store.put(f"CA{n}", "x", expected_version=None, ttl_s=60)
    await store.put("CA-long", "y", expected_version=None, ttl_s=3600)
    clock.advance(120)
    # Expired but not yet purged: invisible to readers, still on disk.
    assert await store.get("CA0") is None
    assert _row_count(path) == 6
    assert await store.purge_expired() == 5
    assert _row_count(path) == 1
    assert await store.get("CA-long") == Versioned("y", 1)
    await store.close()


async def test_purge_runs_by_itself_on_writes(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    clock = FixedClock(START)
    store = EmbeddedSessionStore(str(path), clock, purge_interval_s=300)
    await store.put("CA-old", "x", expected_version=None, ttl_s=60)
    clock.advance(120)
    await store.put("CA-a", "x", expected_version=None, ttl_s=3600)
    assert _row_count(path) == 2  # the last purge was under 300 s ago
    clock.advance(200)
    await store.put("CA-b", "x", expected_version=None, ttl_s=3600)
    assert _row_count(path) == 2  # CA-old purged, CA-a and CA-b kept
    await store.close()


async def test_unusable_path_is_reported_as_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    store = EmbeddedSessionStore(str(blocker / "sessions.db"))
    assert await store.ping() is False
    with pytest.raises(SessionStoreUnavailable):
        await store.get("CA1")
    with pytest.raises(SessionStoreUnavailable):
        await store.put("CA1", "x", expected_version=None, ttl_s=60)
    await store.close()


async def test_corrupt_file_is_reported_as_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    path.write_bytes(b"this is not a database" * 100)
    store = EmbeddedSessionStore(str(path))
    assert await store.ping() is False
    with pytest.raises(SessionStoreUnavailable):
        await store.get("CA1")
    await store.close()


async def test_a_write_waits_off_the_loop_while_another_connection_holds_the_lock(tmp_path: Path) -> None:
    """The loop's connection never waits for a lock: the write is retried on a worker thread, which
    waits for the other writer, while the loop keeps serving (here: ticking)."""
    path = str(tmp_path / "sessions.db")
    store = EmbeddedSessionStore(path)
    version = await store.put("CA1", '{"turn": 1}', expected_version=None, ttl_s=3600)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction, still open
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    write = asyncio.create_task(store.put("CA1", '{"turn": 2}', expected_version=version, ttl_s=3600))
    await asyncio.sleep(0.2)
    assert not write.done()  # waiting for the lock...
    assert ticks >= 10  # ...without holding up the loop
    other.execute("COMMIT")
    assert await asyncio.wait_for(write, timeout=5) == version + 1
    ticker.cancel()
    assert await store.get("CA1") == Versioned(payload='{"turn": 2}', version=version + 1)
    other.close()
    await store.close()


async def test_checkpoints_keep_the_write_ahead_log_bounded(tmp_path: Path) -> None:
    """Automatic checkpoints are off on the loop's connection; the store runs them itself."""
    path = tmp_path / "sessions.db"
    store = EmbeddedSessionStore(str(path))
    payload = json.dumps({"filler": "x" * 3000})
    version = await store.put("CA1", payload, expected_version=None, ttl_s=3600)
    for n in range(3000):
        if n % 50 == 0:
            await asyncio.sleep(0.001)  # a server's loop turns between requests
        written = await store.put("CA1", payload, expected_version=version, ttl_s=3600)
        assert written is not None
        version = written
    await asyncio.sleep(0.1)  # the last checkpoint runs on a worker thread
    # 3000 writes of a 3 kB row without checkpoints would leave a WAL of about 12 MB.
    assert _file_size(str(path) + "-wal") < 4_000_000
    await store.close()
