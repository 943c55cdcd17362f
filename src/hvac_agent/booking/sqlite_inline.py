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

import asyncio
import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

from hvac_agent.followups.events import OutboxEvent

T = TypeVar("T")
CHECKPOINT_EVERY = 200  # RawWriter commits between WAL checkpoints (each commit adds a few pages)
_log = logging.getLogger("hvac_agent.booking")


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


class LoopConnections:
    """Two connections to one SQLite file, for statements run on the event loop's own thread.

    The loop's connection has no busy timeout, so the loop never waits for another process's
    lock: `run` gives `work` that connection and, when it finds the file locked, runs it again on
    a worker thread whose connection waits up to `wait_ms`. `wrote` counts writes and every
    `checkpoint_every` of them copies the WAL into the database file on that worker thread (the
    loop's connection has SQLite's automatic checkpoint switched off: it would write and sync on
    the loop). `open_connection(busy_timeout_ms, for_loop)` opens either; `open_errors` are what it
    raises besides `sqlite3.Error`.
    """

    def __init__(
        self,
        open_connection: Callable[[int, bool], sqlite3.Connection],
        *,
        wait_ms: int,
        checkpoint_every: int,
        open_errors: tuple[type[Exception], ...] = (),
        name: str = "database",
    ) -> None:
        self.wait_ms = wait_ms
        self._open = open_connection
        self._checkpoint_every = checkpoint_every
        self._checkpoint_errors: tuple[type[Exception], ...] = (sqlite3.Error, *open_errors)
        self._name = name
        self._fast: sqlite3.Connection | None = None
        self._slow: sqlite3.Connection | None = None
        self._slow_lock = threading.Lock()
        self._writes = 0
        self._checkpoint: asyncio.Task[None] | None = None

    def loop_connection(self) -> sqlite3.Connection:
        if self._fast is None:
            self._fast = self._open(0, True)
        return self._fast

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on the loop's connection; on a locked file, again on the waiting one. It must
        therefore leave nothing behind when it fails (a statement, or a whole transaction)."""
        try:
            return work(self.loop_connection())
        except sqlite3.OperationalError as error:
            if not is_busy(error) or self.wait_ms <= 0:
                raise
        return await asyncio.to_thread(self.waiting, work)

    def waiting(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` on the connection that waits for locks (call it on a worker thread)."""
        with self._slow_lock:
            if self._slow is None:
                self._slow = self._open(self.wait_ms, False)
            return work(self._slow)

    def wrote(self) -> None:
        """Count a committed write; every `checkpoint_every`, a checkpoint off the loop."""
        self._writes += 1
        if self._writes % self._checkpoint_every or (self._checkpoint is not None and not self._checkpoint.done()):
            return
        self._checkpoint = asyncio.get_running_loop().create_task(asyncio.to_thread(self._checkpoint_now))

    def _checkpoint_now(self) -> None:
        try:
            self.waiting(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
        except self._checkpoint_errors as error:  # the next one tries again
            _log.warning("%s checkpoint failed: %s", self._name, error)

    async def settle(self) -> None:
        """Wait for a checkpoint under way (before closing)."""
        checkpoint, self._checkpoint = self._checkpoint, None
        if checkpoint is not None:
            await asyncio.gather(checkpoint, return_exceptions=True)

    def close(self) -> None:
        fast, self._fast = self._fast, None
        if fast is not None:
            fast.close()
        with self._slow_lock:
            slow, self._slow = self._slow, None
            if slow is not None:
                slow.close()


class RawWriter:
    """Write transactions in plain `sqlite3` on the loop's thread, for the hottest writes (the
    call records' grouped turns): SQLAlchemy's async layer (statement compilation, result objects,
    greenlet switches) cost several times what SQLite takes to run them.

    The same rules as `InlineConnection` (`LoopConnections`): a transaction that finds the file
    locked by another process is rolled back and run again from the start on a worker thread whose
    connection waits up to `wait_ms`. `work` is therefore a plain function of the connection that
    may run twice (it must only read and write through it). Callers hold the process's SQLite
    writer lock (`db.write_transaction`'s), so one transaction runs at a time; commits are as
    durable as the engine's (WAL, `synchronous = NORMAL`).
    """

    def __init__(self, path: str, *, wait_ms: int) -> None:
        self.path = path
        self.wait_ms = wait_ms
        self._connections = LoopConnections(
            self._connect, wait_ms=wait_ms, checkpoint_every=CHECKPOINT_EVERY, name="call database"
        )

    def _connect(self, busy_timeout_ms: int, for_loop: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if for_loop:  # a checkpoint writes and syncs the file: `LoopConnections.wrote` runs them
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        return conn

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one `BEGIN IMMEDIATE` transaction; committed when it returns."""
        result = await self._connections.run(lambda conn: _transaction(conn, work))
        self._connections.wrote()
        return result

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` (reads only) outside a transaction: a single SELECT in WAL mode reads one
        snapshot and never waits (a busy file: on the worker thread)."""
        return await self._connections.run(work)

    async def settle(self) -> None:
        """Wait for a checkpoint under way (before closing)."""
        await self._connections.settle()

    def close(self) -> None:
        self._connections.close()


def _transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    return result


def sqlite_datetime(value: dt.datetime) -> str:
    """An aware datetime as `UTCDateTime` stores it on SQLite (naive UTC, SQLAlchemy's text form)."""
    if value.tzinfo is None:
        raise ValueError("sqlite_datetime needs an aware datetime")
    # isoformat's first 26 characters are strftime("%Y-%m-%d %H:%M:%S.%f") (microseconds always
    # written), in half the time: every call-record write stamps its turns with it.
    return value.astimezone(dt.UTC).isoformat(" ", "microseconds")[:26]


_OUTBOX = (
    'INSERT INTO outbox_events ("key", kind, phone, call_sid, payload, created_at) VALUES (?, ?, ?, ?, ?, ?) '
    'ON CONFLICT ("key") DO NOTHING'
)


def add_outbox(conn: sqlite3.Connection, event: OutboxEvent, at: dt.datetime) -> None:
    """`followups.outbox.add` on a plain sqlite3 connection (the same row, in its transaction)."""
    payload = json.dumps(event.payload, default=str)
    conn.execute(_OUTBOX, (event.key, event.kind, event.phone, event.call_sid, payload, sqlite_datetime(at)))
