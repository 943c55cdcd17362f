"""The default session store: one SQLite file in WAL mode, no server to run.

Durable across a SIGKILL of the server (a WAL commit is in the file before `put` returns, and
`synchronous=NORMAL` only risks the last commits on power loss, not on process death), and safe
for several worker processes sharing the file: each write is a single compare-and-set statement.

Each statement runs on the event loop's own thread: a primary-key read or a one-row autocommit
write in WAL mode takes tens of microseconds, far less than a hop to a worker thread and back
(measured: the hops, not SQLite, were most of a gather turn's cost). The loop never waits for a
lock, though: that connection has no busy timeout, and when another process holds the write lock
the statement is retried on a worker thread whose connection waits up to `busy_timeout_ms`.
WAL checkpoints (which write the database file) run on that worker thread too.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hvac_agent.booking.sqlite_inline import LoopConnections
from hvac_agent.clock import Clock, SystemClock
from hvac_agent.sessions.store import SessionStoreUnavailable, Versioned

_log = logging.getLogger("hvac_agent.sessions")
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
"""

# Creating over an expired, not yet purged row continues its version number, so a writer still
# holding the old version can never match the new session.
_CREATE = """
INSERT INTO sessions (key, payload, version, expires_at) VALUES (?, ?, 1, ?)
ON CONFLICT (key) DO UPDATE
    SET payload = excluded.payload, version = sessions.version + 1, expires_at = excluded.expires_at
    WHERE sessions.expires_at <= ?
RETURNING version
"""
_UPDATE = """
UPDATE sessions SET payload = ?, version = version + 1, expires_at = ?
WHERE key = ? AND version = ? AND expires_at > ?
RETURNING version
"""
_GET = "SELECT payload, version FROM sessions WHERE key = ? AND expires_at > ?"
_DELETE = "DELETE FROM sessions WHERE key = ?"
_PURGE = "DELETE FROM sessions WHERE expires_at <= ?"
WAL_SIZE_LIMIT_BYTES = 4 << 20  # the log file is cut back to this when it starts over
CHECKPOINT_EVERY = 500  # writes between WAL checkpoints (SQLite's own default is ~1000 pages)


class EmbeddedSessionStore:
    """`SessionStore` over a SQLite file: statements on the loop, lock waits on a worker thread."""

    def __init__(
        self,
        path: str,
        clock: Clock | None = None,
        *,
        busy_timeout_ms: int = 5000,
        purge_interval_s: float = 60.0,
    ) -> None:
        self._path = str(Path(path).expanduser())
        self._clock: Clock = clock or SystemClock()
        self._busy_timeout_ms = busy_timeout_ms
        self._purge_interval_s = purge_interval_s
        self._last_purge: float | None = None
        self._connections = LoopConnections(
            self._open,
            wait_ms=busy_timeout_ms,
            checkpoint_every=CHECKPOINT_EVERY,
            open_errors=(SessionStoreUnavailable,),
            name="session database",
        )

    async def get(self, key: str) -> Versioned | None:
        rows = await self._run(_GET, (key, self._now()))
        if not rows:
            return None
        payload, version = rows[0]
        return Versioned(payload=str(payload), version=int(version))

    async def put(self, key: str, payload: str, *, expected_version: int | None, ttl_s: int) -> int | None:
        now = self._now()
        expires_at = now + ttl_s
        if expected_version is None:
            rows = await self._run(_CREATE, (key, payload, expires_at, now))
        else:
            rows = await self._run(_UPDATE, (payload, expires_at, key, expected_version, now))
        self._after_write()
        await self._maybe_purge()
        return int(rows[0][0]) if rows else None

    async def delete(self, key: str) -> None:
        await self._run(_DELETE, (key,))
        self._after_write()

    async def purge_expired(self) -> int:
        """Delete expired rows (reads already ignore them); returns how many went."""
        self._connections.loop_connection()  # the first open creates the file and schema
        purge = _statement(_PURGE, (self._now(),), rowcount=True)
        count = await asyncio.to_thread(_unavailable_on_error, self._connections.waiting, purge)
        self._last_purge = self._clock.monotonic()
        return max(int(count), 0)

    async def ping(self) -> bool:
        try:
            await self._run("SELECT 1", ())
        except SessionStoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self._connections.settle()
        self._connections.close()

    def _now(self) -> float:
        # Wall-clock seconds: expiry must mean the same thing to another process or after restart.
        return self._clock.now().timestamp()

    async def _maybe_purge(self) -> None:
        last = self._last_purge
        if last is not None and self._clock.monotonic() - last < self._purge_interval_s:
            return
        self._last_purge = self._clock.monotonic()
        try:
            await self.purge_expired()
        except SessionStoreUnavailable as error:
            # Housekeeping only: the write it follows has succeeded and must be reported as such.
            _log.warning("session purge failed: %s", error)

    def _after_write(self) -> None:
        self._connections.wrote()

    async def _run(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """One statement on the loop (autocommit; `fetchall` steps it to completion, so a write
        is committed), or on the waiting connection when another process holds the lock."""
        try:
            rows: list[Any] = await self._connections.run(_statement(sql, params, rowcount=False))
        except sqlite3.Error as error:
            raise SessionStoreUnavailable(f"session database error: {error}") from error
        return rows

    def _open(self, busy_timeout_ms: int, prepare: bool) -> sqlite3.Connection:
        """The loop's connection (`prepare`: the first open creates the file and schema, a few
        milliseconds once per process) or the waiting one."""
        try:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: autocommit, every statement is its own atomic transaction.
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise SessionStoreUnavailable(f"cannot open session database: {error}") from error
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(max(busy_timeout_ms, self._busy_timeout_ms if prepare else 0))}")
            if prepare:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints run off the loop (`_after_write`)
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
        except sqlite3.Error as error:
            conn.close()
            raise SessionStoreUnavailable(f"cannot prepare session database: {error}") from error
        return conn


def _statement(sql: str, params: Sequence[Any], *, rowcount: bool) -> Callable[[sqlite3.Connection], Any]:
    def run(conn: sqlite3.Connection) -> Any:
        cursor = conn.execute(sql, params)
        rows = cursor.fetchall()
        return cursor.rowcount if rowcount else rows

    return run


def _unavailable_on_error(call: Callable[..., T], *args: Any) -> T:
    try:
        return call(*args)
    except sqlite3.Error as error:
        raise SessionStoreUnavailable(f"session database error: {error}") from error
