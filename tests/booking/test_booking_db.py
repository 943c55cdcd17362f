"""URLs, engines and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import subprocess
import sys
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hvac_agent.booking.db import create_engine, make_async_url, migrate, ping, write_transaction
from hvac_agent.booking.models import metadata, window_capacity
from hvac_agent.booking.sqlite_inline import InlineConnection


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///./hvac_agent.db", "sqlite+aiosqlite:///./hvac_agent.db"),
        ("sqlite:////var/lib/x.db", "sqlite+aiosqlite:////var/lib/x.db"),
        ("postgresql://u:p@db:5432/hvac", "postgresql+psycopg://u:p@db:5432/hvac"),
        ("postgres://u@db/hvac?sslmode=require", "postgresql+psycopg://u@db/hvac?sslmode=require"),
        ("postgresql+asyncpg://db/hvac", "postgresql+asyncpg://db/hvac"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_make_async_url(given: str, expected: str) -> None:
    assert make_async_url(given) == expected


def test_make_async_url_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        make_async_url("not a url")


def _tables_and_version(conn: Connection) -> tuple[set[str], list[Any]]:
    names = set(inspect(conn).get_table_names())
    return names, list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _head() -> str:
    """The newest revision in the migrations folder (each branch adds its own)."""
    from alembic.script import ScriptDirectory

    from hvac_agent.booking.db import _alembic_config

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _diff(conn: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def test_migrate_twice_is_a_no_op_and_matches_models(db_url: str) -> None:
    await migrate(db_url)
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables, versions = await conn.run_sync(_tables_and_version)
            assert {"appointments", "window_capacity", "calls", "call_turns", "alembic_version"} <= tables
            assert versions == [_head()]
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_concurrent_migrations_are_safe(db_url: str) -> None:
    await asyncio.gather(*(migrate(db_url) for _ in range(4)))
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            _, versions = await conn.run_sync(_tables_and_version)
        assert versions == [_head()]
    finally:
        await engine.dispose()


async def test_sqlite_engine_settings(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            # Statements run on the loop's thread, which never waits for a lock: a locked call is
            # run again on the connection's worker thread, which waits up to the busy timeout.
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 0
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
            assert raw.driver_connection.wait_ms == 5000
    finally:
        await engine.dispose()


async def test_a_sqlite_write_waits_off_the_loop_while_another_process_holds_the_lock(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    await migrate(url)
    engine = create_engine(url)
    other = sqlite3.connect(f"{tmp_path}/x.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction, still open
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def write() -> None:
        async with write_transaction(engine) as conn:
            await conn.execute(
                window_capacity.insert().values(date=dt.date(2026, 12, 1), window="08:00-12:00", capacity=3, booked=0)
            )

    ticker = asyncio.create_task(tick())
    try:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)
        assert not writing.done()  # waiting for the lock...
        assert ticks >= 10  # ...without holding up the loop
        other.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=5)
        async with engine.connect() as conn:
            assert (await conn.execute(select(window_capacity.c.capacity))).scalar() == 3
    finally:
        ticker.cancel()
        other.close()
        await engine.dispose()


async def test_database_refuses_overbooking_itself(db_url: str) -> None:
    """The CHECK constraints hold even for a writer that skips the service."""
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                window_capacity.insert().values(date=dt.date(2026, 12, 1), window="08:00-12:00", capacity=3, booked=3)
            )
        for bad in ({"booked": 4}, {"booked": -1}, {"capacity": 2}):
            with pytest.raises(IntegrityError):
                async with engine.begin() as conn:
                    await conn.execute(update(window_capacity).values(**bad))
    finally:
        await engine.dispose()


async def test_ping(db_url: str) -> None:
    engine = create_engine(db_url)
    down = create_engine("postgresql://127.0.0.1:1/nothing")
    try:
        assert await ping(engine)
        assert not await ping(down)
    finally:
        await engine.dispose()
        await down.dispose()


def test_two_processes_migrating_at_once(db_url: str) -> None:
    code = "import asyncio, sys; from hvac_agent.booking.db import migrate; asyncio.run(migrate(sys.argv[1]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]

    async def version() -> list[Any]:
        engine = create_engine(db_url)
        try:
            async with engine.connect() as conn:
                return (await conn.run_sync(_tables_and_version))[1]
        finally:
            await engine.dispose()

    assert asyncio.run(version()) == [_head()]
