"""Engine creation and schema migration for SQLite and PostgreSQL (async drivers).

The contract's URLs are driver-less (`sqlite:///./x.db`, `postgresql://…`); we map them to the async
drivers we ship. SQLite gets WAL, a busy timeout and real transactions (SQLAlchemy emits BEGIN, so
DDL and SELECTs are transactional too); writes ask for `BEGIN IMMEDIATE` so that two writers queue
on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.booking.sqlite_inline import RawWriter, T, inline_creator

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
MIGRATION_WAIT_MS = 120_000
PG_CONNECT_TIMEOUT_S = 5
PG_STATEMENT_TIMEOUT_MS = 10_000
# Execution option naming the BEGIN flavour on SQLite; set on a derived engine by `write_engine`.
_BEGIN_OPTION = "hvac_sqlite_begin"
# A fixed 63-bit key for pg_advisory_xact_lock, so concurrent `migrate` calls queue.
_MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha256(b"hvac_agent.migrate").digest()[:8], "big") >> 1


def make_async_url(url: str) -> str:
    """Map a contract URL to its async driver; a URL that names a driver is kept as given."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("database URL must look like scheme://...")
    if "+" in scheme:
        return url
    if scheme == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if scheme == "postgresql":
        return f"postgresql+psycopg://{rest}"
    return url


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url` (contract form or with a driver). `kwargs` go to SQLAlchemy."""
    async_url = make_url(make_async_url(url))
    kwargs.setdefault("hide_parameters", True)  # a failed statement's values are customers' data: not in errors
    if async_url.get_backend_name() == "sqlite":
        inline = async_url.get_driver_name() == "aiosqlite" and async_url.database not in (None, "", ":memory:")
        if inline:  # statements on the loop's thread (booking/sqlite_inline.py)
            kwargs.setdefault("async_creator", inline_creator(str(async_url.database), wait_ms=sqlite_busy_timeout_ms))
        engine = create_async_engine(async_url, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout_ms, inline=inline)
        if inline:
            _raw_writers[engine.sync_engine] = RawWriter(str(async_url.database), wait_ms=sqlite_busy_timeout_ms)
        return engine
    if async_url.get_backend_name() == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
        # Bound any statement (lock waits included) well inside Twilio's 15 s webhook timeout.
        connect_args.setdefault("options", f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}")
        kwargs.setdefault("pool_pre_ping", True)  # survive a database restart
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_timeout", 10)
        return create_async_engine(async_url, connect_args=connect_args, **kwargs)
    return create_async_engine(async_url, **kwargs)


async def ping(engine: AsyncEngine, *, timeout_s: float = 2.0) -> bool:
    """True when the database answers `SELECT 1` within `timeout_s` (for `/health`)."""
    try:
        async with asyncio.timeout(timeout_s), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError):
        return False
    return True


def write_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, but transactions begin with a write lock on SQLite (no-op elsewhere).

    Made once per engine: deriving one costs more than the transaction it begins."""
    if not is_sqlite(engine):
        return engine
    derived = _write_engines.get(engine.sync_engine)
    if derived is None:
        derived = _write_engines[engine.sync_engine] = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    return derived


_write_engines: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction (committed on exit, rolled back on error).

    On SQLite, writers in this process queue on an asyncio lock first: SQLite's own busy handler
    polls with sleeps up to 100 ms, which gives bursts a long tail; it now only arbitrates
    between processes.
    """
    if not is_sqlite(engine):
        async with engine.begin() as conn:
            yield conn
        return
    async with _sqlite_writer_lock(engine), write_engine(engine).begin() as conn:
        yield conn


def raw_writer(engine: AsyncEngine) -> RawWriter | None:
    """The engine's plain-sqlite3 writer (booking/sqlite_inline.py), when it is a SQLite file."""
    return _raw_writers.get(engine.sync_engine)


async def raw_write(engine: AsyncEngine, writer: RawWriter, work: Callable[[sqlite3.Connection], T]) -> T:
    """`work` in one write transaction of `writer`, queued behind this process's other SQLite
    writers as `write_transaction` is (so the loop's connection never meets its own process's lock)."""
    async with _sqlite_writer_lock(engine):
        return await writer.write(work)


async def close_raw_writer(engine: AsyncEngine) -> None:
    """Close the engine's plain-sqlite3 connections (they reopen if used again)."""
    writer = _raw_writers.get(engine.sync_engine)
    if writer is not None:
        async with _sqlite_writer_lock(engine):
            await writer.settle()
            writer.close()


_raw_writers: weakref.WeakKeyDictionary[Engine, RawWriter] = weakref.WeakKeyDictionary()
_writer_locks: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _sqlite_writer_lock(engine: AsyncEngine) -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    held = _writer_locks.get(engine.sync_engine)
    if held is None or held[0] is not loop:
        held = (loop, asyncio.Lock())
        _writer_locks[engine.sync_engine] = held
    return held[1]


def _use_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the file to WAL (persistent, so usually already done).

    Switching needs an exclusive lock and SQLite answers "database is locked" at once, without its
    busy handler, while another process is switching or migrating a new file: retry until the
    busy timeout instead.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int, *, inline: bool = False) -> None:
    sync_engine = engine.sync_engine
    # Inline connections never wait on the loop: a locked call waits on the worker thread instead.
    connection_timeout_ms = 0 if inline else busy_timeout_ms

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see `_on_begin`): sqlite3's legacy mode skips it for
        # SELECT and DDL, which breaks transactional migrations and repeatable reads.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(connection_timeout_ms)}")
        _use_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        flavour = conn.get_execution_options().get(_BEGIN_OPTION)
        # On the driver's cursor: SQLAlchemy's statement machinery would cost several times the BEGIN.
        statement = "BEGIN IMMEDIATE" if flavour == "IMMEDIATE" else "BEGIN"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(statement)
        except Exception as error:  # as SQLAlchemy would raise it (callers catch SQLAlchemyError)
            raise DBAPIError.instance(statement, None, error, conn.dialect.loaded_dbapi.Error) from error
        finally:
            cursor.close()


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), "head")


async def migrate(url: str) -> None:
    """Bring the schema to the latest revision (`alembic upgrade head`); a no-op when current.

    Safe when several processes start at once: the whole upgrade runs in one transaction that first
    takes a PostgreSQL advisory lock (or SQLite's write lock), so the later ones wait and then find
    nothing to do. DDL is transactional on both, so a failed upgrade leaves no half-made schema.
    """
    # Another process may be mid-migration: on SQLite wait for its write lock far longer than a
    # booking would.
    engine = create_engine(url, poolclass=_null_pool(), sqlite_busy_timeout_ms=MIGRATION_WAIT_MS)
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()


async def run_migrations(engine: AsyncEngine) -> None:
    """`migrate` on an existing engine."""
    await run_locked(engine, _upgrade)


async def run_locked(engine: AsyncEngine, work: Callable[[Connection], None]) -> None:
    """Run sync `work` (Alembic) in one transaction holding the migration lock."""
    try:
        async with write_engine(engine).begin() as conn:
            if engine.dialect.name == "postgresql":
                # Waiting for another process's migration is expected: no statement timeout here.
                await conn.execute(text("SET LOCAL statement_timeout = 0"))
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            await conn.run_sync(work)
    except SQLAlchemyError as error:
        raise BookingUnavailable(f"migration failed: {error}") from error


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool
