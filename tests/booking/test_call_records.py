"""CallRecords on real SQLite and PostgreSQL: the contract's call record, written live."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

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
