"""SQLite statements on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call (each execute, fetch, commit) on a worker thread and hands the result
back through the event loop. A statement on a small WAL database takes microseconds; the hop costs
far more (measured on a gather turn: the hops were about 40% of the loop's time, and a busy core
makes each one slower still). `InlineConnection` keeps aiosqlite's interface and its thread, but
runs each call inline. The loop never waits for another process's lock, though: the connection's
own busy timeout is 0, and a call that finds the database locked is run again on the worker
thread, which waits up to `wait_ms` (what SQLite's busy timeout did before). Writers within one
process already queue on an asyncio lock (`db.write_transaction`), so only other processes ever
make a call take that path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread unless the file is locked."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], *, wait_ms: int) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self.wait_ms = wait_ms
        self._thread.daemon = True  # as SQLAlchemy's dialect makes aiosqlite's own

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as error:
            if not is_busy(error) or self.wait_ms <= 0:
                raise
        # Another process holds the lock: wait for it on the worker thread, not on the loop.
        return await super()._execute(  # type: ignore[no-untyped-call]  # aiosqlite's own is untyped
            _waiting, self._connection, self.wait_ms, fn, args, kwargs
        )


def _waiting(
    conn: sqlite3.Connection, wait_ms: int, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
    try:
        return fn(*args, **kwargs)
    finally:
        conn.execute("PRAGMA busy_timeout = 0")


def is_busy(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds a lock (a retry can succeed)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


def inline_creator(path: str, *, wait_ms: int) -> Callable[[], Any]:
    """SQLAlchemy's `async_creator` for a SQLite file: an `InlineConnection` to `path`."""

    async def create() -> aiosqlite.Connection:
        connection = InlineConnection(lambda: sqlite3.connect(path, check_same_thread=False), wait_ms=wait_ms)
        return await connection

    return create
