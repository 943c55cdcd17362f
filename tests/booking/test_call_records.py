"""CallRecords on real SQLite and PostgreSQL: the contract's call record, written live."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from hvac_agent.booking.db import close_raw_writer, create_engine, migrate, raw_writer
from hvac_agent.booking.records import CallRecords

T0 = dt.datetime(2026, 12, 1, 12, 30, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


async def test_call_record_has_contract_shape(records: CallRecords) -> None:
    await records.start_call("CA1", caller="+15125550123", started_at=T0)
    await records.add_turn("CA1", role="agent", text="Hi, I'm a virtual assistant.", at=at(1))
    await records.add_turn("CA1", role="caller", text="my furnace stopped working", at=at(4.5))
    await records.update_call("CA1", urgency="urgent", appointment_id=7, outcome="booked")
    await records.finish_call("CA1", ended_at=at(95), summary="Asked: no heat.")

    assert await records.get_call("CA1") == {
        "call_sid": "CA1",
        "from": "+15125550123",
        "started_at": "2026-12-01T12:30:00Z",
        "ended_at": "2026-12-01T12:31:35Z",
        "outcome": "booked",
        "urgency": "urgent",
        "turns": [
            {"role": "agent", "text": "Hi, I'm a virtual assistant.", "at": "2026-12-01T12:30:01Z"},
            {"role": "caller", "text": "my furnace stopped working", "at": "2026-12-01T12:30:04.500000Z"},
        ],
        "appointment_id": 7,
        "summary": "Asked: no heat.",  # added to the contract's record: the post-call summary
    }
    record = await records.get_call_record("CA1")
    assert record is not None and record.ended_at is not None
    assert await records.get_call("unknown") is None


async def test_start_is_idempotent(records: CallRecords) -> None:
    await records.start_call("CA1", caller=None, started_at=at(5))
    await records.add_turn("CA1", role="agent", text="hello", at=at(6))
    await records.start_call("CA1", caller="+15125550123", started_at=at(0))  # late, fuller start
    await records.start_call("CA1", caller="+15125550999", started_at=at(9))  # a retry changes nothing
    call = await records.get_call("CA1")
    assert call is not None
    assert (call["from"], call["started_at"], call["outcome"]) == (
        "+15125550123",
        "2026-12-01T12:30:00Z",
        "in_progress",
    )
    assert [t["text"] for t in call["turns"]] == ["hello"]


async def test_turns_before_start_create_the_call(records: CallRecords) -> None:
    await records.add_turn("CA2", role="caller", text="hello?", at=at(3))
    call = await records.get_call("CA2")
    assert call is not None and call["started_at"] == "2026-12-01T12:30:03Z" and call["from"] is None
    with pytest.raises(ValueError):
        await records.add_turn("CA2", role="system", text="x", at=at(4))


async def test_concurrent_turns_keep_order_and_all_arrive(records: CallRecords) -> None:
    await records.start_call("CA1", caller=None, started_at=T0)
    await asyncio.gather(*(records.add_turn("CA1", role="caller", text=f"t{i}", at=at(i)) for i in range(20)))
    call = await records.get_call("CA1")
    assert call is not None
    assert sorted(t["text"] for t in call["turns"]) == sorted(f"t{i}" for i in range(20))


async def test_text_with_nul_is_stored(records: CallRecords) -> None:
    await records.add_turn("CA1", role="caller", text="a\x00b <&>", at=at(1))
    call = await records.get_call("CA1")
    assert call is not None and call["turns"][0]["text"] == "ab <&>"


async def test_finish_turns_in_progress_into_abandoned_and_is_idempotent(records: CallRecords) -> None:
    await records.start_call("CA1", caller="+15125550123", started_at=T0)
    await records.finish_call("CA1", ended_at=at(42))
    await records.finish_call("CA1", ended_at=at(60))  # a second finish (status callback) keeps the first end
    call = await records.get_call("CA1")
    assert call is not None
    assert (call["outcome"], call["ended_at"]) == ("abandoned", "2026-12-01T12:30:42Z")
    record = await records.get_call_record("CA1")
    assert record is not None

    await records.finish_call("CA1", ended_at=at(60), outcome="in_progress")
    assert (await records.get_call("CA1") or {})["outcome"] == "abandoned"
    await records.finish_call("CA1", ended_at=at(60), outcome="transferred", duration_s=44)
    refined = await records.get_call("CA1")
    assert refined is not None and (refined["outcome"], refined["ended_at"]) == (
        "transferred",
        "2026-12-01T12:30:42Z",
    )


async def test_duration_is_computed_or_taken_from_twilio(records: CallRecords, engine: object) -> None:
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hvac_agent.booking.models import calls

    assert isinstance(engine, AsyncEngine)
    await records.start_call("CA1", caller=None, started_at=T0)
    await records.finish_call("CA1", ended_at=at(42.6), outcome="message")
    await records.start_call("CA2", caller=None, started_at=T0)
    await records.finish_call("CA2", ended_at=at(42.6), duration_s=40)
    await records.update_call("CA3")  # unknown call: created, nothing else
    async with engine.connect() as conn:
        rows = dict((await conn.execute(select(calls.c.call_sid, calls.c.duration_s))).all())
    assert rows == {"CA1": 43, "CA2": 40, "CA3": None}
    assert (await records.get_call("CA1") or {})["outcome"] == "message"


async def test_an_agent_turn_cut_by_a_barge_in_is_amended_to_what_was_heard(records: CallRecords) -> None:
    await records.start_call("CA9", caller="+15125550123", started_at=T0)
    greeting = await records.add_turn("CA9", role="agent", text="Thanks for calling. How can I help?", at=at(1))
    caller = await records.add_turn("CA9", role="caller", text="my heat is out", at=at(3))
    unheard = await records.add_turn("CA9", role="agent", text="Sorry to hear that.", at=at(4))
    assert (greeting, caller, unheard) == (1, 2, 3)
    await records.amend_turn("CA9", greeting, "Thanks for calling.")
    await records.amend_turn("CA9", unheard, "")  # cut before a word was heard: gone
    turns = (await records.get_call("CA9"))["turns"]  # type: ignore[index]
    assert [(t["role"], t["text"]) for t in turns] == [("agent", "Thanks for calling."), ("caller", "my heat is out")]
    assert await records.add_turn("CA9", role="agent", text="May I have your name?", at=at(5)) == 4


async def test_a_whole_turn_is_recorded_at_once_in_order(records: CallRecords) -> None:
    # The start was lost: the turn creates the record, then numbers its turns after the earlier ones.
    await records.record_turn("CA9", turns=[("caller", "my ac is out"), ("agent", "Sorry to hear that.")], at=at(2))
    await records.add_turn("CA9", role="caller", text="dana kim", at=at(3))
    await records.record_turn("CA9", turns=[("agent", "Thanks, Dana.")], at=at(4), outcome="booked", urgency="urgent")
    await records.record_turn("CA9", turns=[], at=at(5), appointment_id=3)  # fields only
    call = await records.get_call("CA9")
    assert call is not None
    assert [(t["role"], t["text"]) for t in call["turns"]] == [
        ("caller", "my ac is out"),
        ("agent", "Sorry to hear that."),
        ("caller", "dana kim"),
        ("agent", "Thanks, Dana."),
    ]
    assert (call["outcome"], call["urgency"], call["appointment_id"]) == ("booked", "urgent", 3)
    with pytest.raises(ValueError):
        await records.record_turn("CA9", turns=[("robot", "beep")], at=at(6))


async def test_turns_of_many_calls_commit_together_each_in_its_own_order(records: CallRecords, engine: object) -> None:
    """Group commit: turns of many calls at once go in a few transactions, each committed before
    its `record_turn` returns, each call's turns numbered in order."""
    from sqlalchemy import event

    from hvac_agent.booking.db import write_engine

    commits = 0

    def count(_: object) -> None:
        nonlocal commits
        commits += 1

    sync_engine = write_engine(engine).sync_engine  # type: ignore[arg-type]
    event.listen(sync_engine, "commit", count)
    try:
        sids = [f"CA{n}" for n in range(20)]
        for sid in sids:
            await records.start_call(sid, caller="+15125550123", started_at=at(0))

        async def talk(sid: str) -> None:
            for k in range(3):
                await records.record_turn(
                    sid, turns=[("caller", f"{sid} said {k}"), ("agent", f"to {sid} {k}")], at=at(k)
                )

        await asyncio.gather(*(talk(sid) for sid in sids))
    finally:
        event.remove(sync_engine, "commit", count)
    assert commits < 20 * 3  # fewer commits than turns: they were shared
    for sid in sids:
        call = await records.get_call(sid)
        assert call is not None and call["from"] == "+15125550123"
        assert [t["text"] for t in call["turns"]] == [
            f"{who}{sid}{said}{k}" for k in range(3) for who, said in (("", " said "), ("to ", " "))
        ]


async def test_a_started_call_is_visible_to_readers_and_to_the_next_direct_write(records: CallRecords) -> None:
    """`start_call` only queues; every read and every direct write flushes the queue first."""
    await records.start_call("CA1", caller="+15125550123", started_at=at(0))
    call = await records.get_call("CA1")
    assert call is not None and call["from"] == "+15125550123" and call["turns"] == []
    await records.start_call("CA2", caller=None, started_at=at(0))
    await records.record_turn("CA2", turns=[("agent", "hello")], at=at(1), outcome="transferred")
    seq = await records.add_turn("CA2", role="caller", text="after", at=at(2))
    assert seq == 2
    call = await records.get_call("CA2")
    assert call is not None and call["outcome"] == "transferred"
    assert [t["text"] for t in call["turns"]] == ["hello", "after"]


async def test_queued_starts_are_written_by_themselves_and_at_close(engine: object) -> None:
    """A start with no turn after it (a stream call) still reaches the database: a background
    flush a moment later, or `aclose` at shutdown."""
    first = CallRecords(engine)  # type: ignore[arg-type]
    await first.start_call("CA1", caller="+15125550123", started_at=at(0))
    second = CallRecords(engine)  # type: ignore[arg-type]  # another worker: sees only the database
    for _ in range(200):
        if await second.get_call("CA1") is not None:
            break
        await asyncio.sleep(0.01)
    assert await second.get_call("CA1") is not None
    await first.start_call("CA2", caller=None, started_at=at(0))
    await first.aclose()
    assert await second.get_call("CA2") is not None


async def test_a_record_removed_mid_call_is_made_again_by_the_next_turn(records: CallRecords, engine: object) -> None:
    """The records remember which calls they have written (no seeding statement for later turns);
    a record deleted meanwhile (a caller asked to be forgotten) is created again, not lost."""
    from sqlalchemy import delete

    from hvac_agent.booking.db import write_transaction
    from hvac_agent.booking.models import calls

    await records.start_call("CA1", caller="+15125550123", started_at=at(0))
    await records.record_turn("CA1", turns=[("agent", "hello")], at=at(1))
    async with write_transaction(engine) as conn:  # type: ignore[arg-type]
        await conn.execute(delete(calls).where(calls.c.call_sid == "CA1"))
    await records.record_turn("CA1", turns=[("caller", "after")], at=at(2), outcome="message")
    call = await records.get_call("CA1")
    assert call is not None and call["outcome"] == "message"
    assert [t["text"] for t in call["turns"]] == ["after"]


async def test_sqlite_turns_wait_off_the_loop_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    """Grouped turns go in as plain sqlite3 on the loop; a locked file sends the transaction to a
    worker thread that waits for the lock, and the turns are all there once it is free."""
    url = f"sqlite:///{tmp_path}/hvac.db"
    await migrate(url)
    engine = create_engine(url)
    records = CallRecords(engine)
    other = sqlite3.connect(f"{tmp_path}/hvac.db", isolation_level=None)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await records.start_call("CA1", caller="+15125550123", started_at=T0)
        await records.record_turn("CA1", turns=[("agent", "hello")], at=at(1))
        other.execute("BEGIN IMMEDIATE")  # another process's write transaction, still open
        writing = asyncio.create_task(
            records.record_turn("CA1", turns=[("caller", "no heat"), ("agent", "sorry")], at=at(2), urgency="urgent")
        )
        await asyncio.sleep(0.2)
        assert not writing.done()  # waiting for the lock...
        assert ticks >= 10  # ...without holding up the loop
        other.execute("COMMIT")
        await asyncio.wait_for(writing, timeout=5)
        call = await records.get_call("CA1")
        assert call is not None
        assert [(t["role"], t["text"]) for t in call["turns"]] == [
            ("agent", "hello"),
            ("caller", "no heat"),
            ("agent", "sorry"),
        ]
        assert call["urgency"] == "urgent"
    finally:
        ticker.cancel()
        other.close()
        await records.aclose()
        await close_raw_writer(engine)
        await engine.dispose()


async def test_sqlite_turns_are_stored_as_sqlalchemy_stores_them(tmp_path: Path) -> None:
    """Plain-sqlite3 turns and SQLAlchemy's (a stream's single turn) keep the same stored forms,
    so ordering and comparisons of times in SQL see one format."""
    url = f"sqlite:///{tmp_path}/hvac.db"
    await migrate(url)
    engine = create_engine(url)
    records = CallRecords(engine)
    try:
        when = dt.datetime(2026, 12, 1, 6, 30, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))  # 12:30 UTC
        await records.start_call("CA1", caller=None, started_at=when)
        await records.record_turn("CA1", turns=[("agent", "plain")], at=when)
        await records.add_turn("CA1", role="caller", text="sqlalchemy", at=when)
        with sqlite3.connect(f"{tmp_path}/hvac.db") as conn:
            stored = conn.execute("SELECT text, at FROM call_turns ORDER BY seq").fetchall()
            started = conn.execute("SELECT started_at FROM calls").fetchone()[0]
        assert stored == [("plain", "2026-12-01 12:30:00.000000"), ("sqlalchemy", "2026-12-01 12:30:00.000000")]
        assert started == "2026-12-01 12:30:00.000000"
    finally:
        await records.aclose()
        await close_raw_writer(engine)
        await engine.dispose()


async def test_sqlite_wal_is_checkpointed_off_the_loop_as_turns_go_in(tmp_path: Path) -> None:
    """The loop's connection never checkpoints (a checkpoint writes and syncs the file); the writer
    runs one on its worker thread every so many commits, so the log does not grow with the calls."""
    url = f"sqlite:///{tmp_path}/hvac.db"
    await migrate(url)
    engine = create_engine(url)
    records = CallRecords(engine)
    watcher = sqlite3.connect(f"{tmp_path}/hvac.db")  # open throughout: no last-close checkpoint
    try:
        for k in range(2000):  # one commit each (nothing else is queued)
            await records.record_turn(f"CA{k % 50}", turns=[("agent", "hello")], at=at(k))
        writer = raw_writer(engine)
        assert writer is not None
        await writer.settle()  # a checkpoint under way
        frames = watcher.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        assert frames < 1500  # without checkpoints: at least one frame per commit
        call = await records.get_call("CA7")
        assert call is not None and len(call["turns"]) == 40
    finally:
        watcher.close()
        await records.aclose()
        await close_raw_writer(engine)
        await engine.dispose()
