"""The default session store: one SQLite file in WAL mode, no server to run.

Durable across a SIGKILL of the server (a WAL commit is on disk before `put` returns, and
`synchronous=NORMAL` only risks the last commits on power loss, not on process death), and safe
for several worker processes sharing the file: each write is a single compare-and-set statement,
and `busy_timeout` makes a writer wait for another process's lock instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from hvac_agent.clock import Clock, SystemClock
from hvac_agent.sessions.store import SessionStoreUnavailable, Versioned

_log = logging.getLogger("hvac_agent.sessions")

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


class EmbeddedSessionStore:
    """`SessionStore` over a SQLite file, reached through aiosqlite's worker thread."""

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
        self._conn: aiosqlite.Connection | None = None
        self._open_lock = asyncio.Lock()

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
        await self._maybe_purge()
        return int(rows[0][0]) if rows else None

    async def delete(self, key: str) -> None:
        await self._run(_DELETE, (key,))

    async def purge_expired(self) -> int:
        """Delete expired rows (reads already ignore them); returns how many went."""
        conn = await self._connection()
        try:
            cursor = await conn.execute(_PURGE, (self._now(),))
            count = cursor.rowcount
            await cursor.close()
        except sqlite3.Error as error:
            raise SessionStoreUnavailable(f"session database error: {error}") from error
        self._last_purge = self._clock.monotonic()
        return max(count, 0)

    async def ping(self) -> bool:
        try:
            await self._run("SELECT 1", ())
        except SessionStoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        async with self._open_lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()

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

    async def _run(self, sql: str, params: Sequence[Any]) -> list[Any]:
        conn = await self._connection()
        try:
            # fetchall steps the statement to completion, so the autocommit write is committed.
            return list(await conn.execute_fetchall(sql, params))
        except sqlite3.Error as error:
            raise SessionStoreUnavailable(f"session database error: {error}") from error

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is not None:
            return self._conn
        async with self._open_lock:
            if self._conn is None:
                self._conn = await self._open()
            return self._conn

    async def _open(self) -> aiosqlite.Connection:
        try:
            await asyncio.to_thread(Path(self._path).parent.mkdir, parents=True, exist_ok=True)
            # isolation_level=None: autocommit, every statement is its own atomic transaction.
            conn = await aiosqlite.connect(self._path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise SessionStoreUnavailable(f"cannot open session database: {error}") from error
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.executescript(_SCHEMA)
        except sqlite3.Error as error:
            await conn.close()
            raise SessionStoreUnavailable(f"cannot prepare session database: {error}") from error
        return conn
