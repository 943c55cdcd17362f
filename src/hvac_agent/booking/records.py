"""The durable call record behind `GET /api/calls/{call_sid}`: written live, turn by turn.

Every write is idempotent or ordered by the database: turn numbers come from bumping
`calls.turn_count` under its row lock, so two writers for one call can never share a `seq`.
A write for a call that was never started creates it, so a late or lost `start_call` loses nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hvac_agent.booking.db import write_transaction
from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.models import call_turns, calls
from hvac_agent.booking.schemas import CallRecordOut, CallTurnOut
from hvac_agent.clock import Clock, SystemClock
from hvac_agent.dialogue.ports import CallRecordPort
from hvac_agent.dialogue.state import Outcome, Urgency
from hvac_agent.followups import outbox
from hvac_agent.followups.events import OutboxEvent

_ROLES = frozenset({"caller", "agent"})


class CallRecords:
    """The database implementation of `hvac_agent.dialogue.ports.CallRecordPort`.

    Every database failure surfaces as `BookingUnavailable`.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock: Clock = clock or SystemClock()
        self._pg = engine.dialect.name == "postgresql"

    async def start_call(self, call_sid: str, *, caller: str | None, started_at: dt.datetime) -> None:
        """Create the record if absent; a repeat only fills a missing caller or an earlier start."""
        seed = self._insert().values(call_sid=call_sid, from_number=caller, started_at=started_at)
        statement = seed.on_conflict_do_update(
            index_elements=[calls.c.call_sid],
            set_={
                "from_number": func.coalesce(calls.c.from_number, seed.excluded.from_number),
                "started_at": case(
                    (seed.excluded.started_at < calls.c.started_at, seed.excluded.started_at),
                    else_=calls.c.started_at,
                ),
            },
        )
        async with database_errors("start_call"), write_transaction(self._engine) as conn:
            await conn.execute(statement)

    async def add_turn(self, call_sid: str, *, role: str, text: str, at: dt.datetime) -> int:
        """Append one turn (`role` is `caller` or `agent`); returns its sequence number."""
        if role not in _ROLES:
            raise ValueError(f"role must be 'caller' or 'agent', got {role!r}")
        text = text.replace("\x00", "")  # PostgreSQL text cannot hold NUL
        async with database_errors("add_turn"), write_transaction(self._engine) as conn:
            await self._ensure(conn, call_sid, started_at=at)
            bump = (
                update(calls)
                .where(calls.c.call_sid == call_sid)
                .values(turn_count=calls.c.turn_count + 1)
                .returning(calls.c.turn_count)
            )
            seq = (await conn.execute(bump)).scalar_one()
            turn = call_turns.insert().values(call_sid=call_sid, seq=seq, role=role, text=text, at=at)
            await conn.execute(turn)
        return int(seq)

    async def record_turn(
        self,
        call_sid: str,
        *,
        turns: Sequence[tuple[str, str]],
        at: dt.datetime,
        outcome: Outcome | None = None,
        urgency: Urgency | None = None,
        appointment_id: int | None = None,
        follow_up: OutboxEvent | None = None,
    ) -> None:
        """One dialogue turn in one transaction: its `(role, text)` turns in order, then the changed
        fields and the follow-up (what `add_turn` and `update_call` do, without their separate commits)."""
        if any(role not in _ROLES for role, _ in turns):
            raise ValueError("role must be 'caller' or 'agent'")
        given = {"outcome": outcome, "urgency": urgency, "appointment_id": appointment_id}
        values: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
        async with database_errors("record_turn"), write_transaction(self._engine) as conn:
            if turns:
                bump = (
                    update(calls)
                    .where(calls.c.call_sid == call_sid)
                    .values(turn_count=calls.c.turn_count + len(turns))
                    .returning(calls.c.turn_count)
                )
                counted = (await conn.execute(bump)).scalar_one_or_none()
                if counted is None:  # no record yet (its start was lost): create it, then count
                    await self._ensure(conn, call_sid, started_at=at)
                    counted = (await conn.execute(bump)).scalar_one()
                last = int(counted)
                first = last - len(turns) + 1
                rows = [
                    {"call_sid": call_sid, "seq": first + k, "role": role, "text": text.replace("\x00", ""), "at": at}
                    for k, (role, text) in enumerate(turns)
                ]
                await conn.execute(call_turns.insert(), rows)
            else:
                await self._ensure(conn, call_sid, started_at=at)
            if values:
                await conn.execute(update(calls).where(calls.c.call_sid == call_sid).values(**values))
            if follow_up is not None:
                await outbox.add(conn, follow_up, at)

    async def amend_turn(self, call_sid: str, seq: int, text: str) -> None:
        """Replace a turn's words (an agent turn cut by a barge-in); empty words remove the turn."""
        text = text.replace("\x00", "")
        where = (call_turns.c.call_sid == call_sid) & (call_turns.c.seq == seq)
        statement = (
            call_turns.delete().where(where)
            if not text.strip()
            else (call_turns.update().where(where).values(text=text))
        )
        async with database_errors("amend_turn"), write_transaction(self._engine) as conn:
            await conn.execute(statement)

    async def update_call(
        self,
        call_sid: str,
        *,
        outcome: Outcome | None = None,
        urgency: Urgency | None = None,
        appointment_id: int | None = None,
        follow_up: OutboxEvent | None = None,
    ) -> None:
        """Set the given fields; `None` leaves a field as it is. `follow_up` joins the transaction."""
        given = {"outcome": outcome, "urgency": urgency, "appointment_id": appointment_id}
        values: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
        now = self._clock.now()
        async with database_errors("update_call"), write_transaction(self._engine) as conn:
            await self._ensure(conn, call_sid, started_at=now)
            if values:
                await conn.execute(update(calls).where(calls.c.call_sid == call_sid).values(**values))
            if follow_up is not None:
                await outbox.add(conn, follow_up, now)

    async def finish_call(
        self,
        call_sid: str,
        *,
        ended_at: dt.datetime,
        outcome: Outcome | None = None,
        duration_s: int | None = None,
        summary: str | None = None,
        follow_up: OutboxEvent | None = None,
    ) -> None:
        """Mark the call ended (the first end time wins); `in_progress` becomes `abandoned`.

        A later finish may refine the outcome or supply Twilio's own duration; repeating the same
        finish changes nothing.
        """
        async with database_errors("finish_call"), write_transaction(self._engine) as conn:
            await self._ensure(conn, call_sid, started_at=ended_at)
            row = (await conn.execute(select(calls).where(calls.c.call_sid == call_sid).with_for_update())).one()
            final_end: dt.datetime = row.ended_at or ended_at
            final_outcome = outcome if outcome not in (None, "in_progress") else row.outcome
            if final_outcome == "in_progress":
                final_outcome = "abandoned"
            if duration_s is None:
                duration_s = row.duration_s
            if duration_s is None:
                duration_s = max(0, round((final_end - row.started_at).total_seconds()))
            values: dict[str, Any] = {"ended_at": final_end, "outcome": final_outcome, "duration_s": duration_s}
            if summary is not None:
                values["summary"] = summary
            await conn.execute(update(calls).where(calls.c.call_sid == call_sid).values(**values))
            if follow_up is not None:
                await outbox.add(conn, follow_up, self._clock.now())

    async def set_summary(self, call_sid: str, summary: str) -> None:
        """Store the post-call summary (the LLM's, replacing the one built from the call state)."""
        async with database_errors("set_summary"), write_transaction(self._engine) as conn:
            await conn.execute(update(calls).where(calls.c.call_sid == call_sid).values(summary=summary))

    async def get_call(self, call_sid: str) -> dict[str, Any] | None:
        """The contract's call record as JSON-ready data, or None for an unknown call."""
        record = await self.get_call_record(call_sid)
        return record.model_dump(mode="json", by_alias=True) if record is not None else None

    async def get_call_record(self, call_sid: str) -> CallRecordOut | None:
        async with database_errors("get_call"), self._engine.connect() as conn:
            row = (await conn.execute(select(calls).where(calls.c.call_sid == call_sid))).first()
            if row is None:
                return None
            turns = await conn.execute(
                select(call_turns.c.role, call_turns.c.text, call_turns.c.at)
                .where(call_turns.c.call_sid == call_sid)
                .order_by(call_turns.c.seq)
            )
            turn_list = [CallTurnOut(role=t.role, text=t.text, at=t.at) for t in turns]
        return CallRecordOut.model_validate(
            {
                "call_sid": row.call_sid,
                "from": row.from_number,
                "started_at": row.started_at,
                "ended_at": row.ended_at,
                "outcome": row.outcome,
                "urgency": row.urgency,
                "turns": turn_list,
                "appointment_id": row.appointment_id,
                "summary": row.summary,
            }
        )

    async def _ensure(self, conn: AsyncConnection, call_sid: str, *, started_at: dt.datetime) -> None:
        seed = self._insert().values(call_sid=call_sid, from_number=None, started_at=started_at)
        await conn.execute(seed.on_conflict_do_nothing(index_elements=[calls.c.call_sid]))

    def _insert(self) -> Any:
        return (pg_insert if self._pg else sqlite_insert)(calls)


if TYPE_CHECKING:

    def _implements_port(records: CallRecords) -> CallRecordPort:
        return records  # mypy checks CallRecords against the dialogue's port
