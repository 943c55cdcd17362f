"""The durable call record behind `GET /api/calls/{call_sid}`: written live, turn by turn.

Every write is idempotent or ordered by the database: turn numbers come from bumping
`calls.turn_count` under its row lock, so two writers for one call can never share a `seq`.
A write for a call that was never started creates it, so a late or lost `start_call` loses nothing.

`record_turn` (a whole turn: its words, changed fields, follow-up) commits in groups: it queues
the turn and waits for a flush that writes everything queued, for every call, in one transaction
of a handful of statements. A turn still returns only once it is committed (a call killed right
after an answer keeps every turn), but under load one commit carries many calls' turns, where
each turn used to pay for its own. `start_call` only queues (it goes with the greeting's turn, or
a background flush a moment later). Every other method (the reads behind `/api/calls` and the
console included) flushes the queue first, so the order of a call's turns is kept and a reader
never sees less than the calls have said.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hvac_agent.booking import holds
from hvac_agent.booking.db import raw_write, raw_writer, write_transaction
from hvac_agent.booking.errors import BookingUnavailable, database_errors
from hvac_agent.booking.models import call_turns, calls
from hvac_agent.booking.schemas import CallRecordOut, CallTurnOut
from hvac_agent.booking.sqlite_inline import add_outbox, sqlite_datetime
from hvac_agent.clock import Clock, SystemClock
from hvac_agent.dialogue.ports import CallRecordPort
from hvac_agent.dialogue.state import Outcome, Urgency
from hvac_agent.followups import outbox
from hvac_agent.followups.events import OutboxEvent

_ROLES = frozenset({"caller", "agent"})
SMALL_BATCH = 2  # up to this many calls, each call's count is bumped on its own (one statement each)
SEEDED_KEPT = 10_000
# A batch write that failed: `outage` (the database is down or busy) or else a bug; with the number
# of calls whose turns it held. Metrics are the app's, so the records only report.
FailureSink = Callable[[bool, int], None]

_log = logging.getLogger("hvac_agent.booking.records")


# A turn's usual statements, built once with values bound at execution: building them anew for
# each turn cost more than running them (SQLAlchemy computes the cache key of each new statement).
_BUMP = (
    update(calls)
    .where(calls.c.call_sid == bindparam("b_sid", type_=calls.c.call_sid.type))
    .values(turn_count=calls.c.turn_count + bindparam("b_n", type_=calls.c.turn_count.type))
    .returning(calls.c.turn_count)
)
_INSERT_TURNS = call_turns.insert()

# The same writes as plain SQLite (see `CallRecords._write_sqlite`); the tables are models.py's.
_SQLITE_SEED = """
INSERT INTO calls (call_sid, from_number, started_at) VALUES (?, ?, ?)
ON CONFLICT (call_sid) DO UPDATE SET
    from_number = coalesce(calls.from_number, excluded.from_number),
    started_at = CASE WHEN excluded.started_at < calls.started_at THEN excluded.started_at ELSE calls.started_at END
"""
_SQLITE_ENSURE = "INSERT INTO calls (call_sid, started_at) VALUES (?, ?) ON CONFLICT (call_sid) DO NOTHING"
_SQLITE_TURN = "INSERT INTO call_turns (call_sid, seq, role, text, at) VALUES (?, ?, ?, ?, ?)"
_CHANGEABLE = ("outcome", "urgency", "appointment_id")  # the only fields a turn changes (column names)


@dataclass
class _Queued:
    """What is waiting to be written for one call (in the order it happened)."""

    started_at: dt.datetime
    started: bool = False  # `start_call` was queued: its caller and start time must be merged in
    caller: str | None = None
    turns: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    follow_ups: list[tuple[OutboxEvent, dt.datetime]] = field(default_factory=list)


def _bump(sid: str, queued: _Queued) -> tuple[Any, dict[str, Any]]:
    """The statement adding a call's queued turns to its count (carrying its changed fields)."""
    if not queued.changes:
        return _BUMP, {"b_sid": sid, "b_n": len(queued.turns)}
    bump = (
        update(calls)
        .where(calls.c.call_sid == sid)
        .values(turn_count=calls.c.turn_count + len(queued.turns), **queued.changes)
        .returning(calls.c.turn_count)
    )
    return bump, {}


class CallRecords:
    """The database implementation of `hvac_agent.dialogue.ports.CallRecordPort`.

    Every database failure surfaces as `BookingUnavailable`.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None, on_failure: FailureSink | None = None) -> None:
        self._engine = engine
        self._clock: Clock = clock or SystemClock()
        self._on_failure = on_failure
        self._pg = engine.dialect.name == "postgresql"
        self._raw = raw_writer(engine)  # a SQLite file: the turns go in as plain sqlite3
        self._queued: dict[str, _Queued] = {}
        self._flush_lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        # Calls whose record this process has written: their later turns need no seeding statement.
        self._seeded: OrderedDict[str, None] = OrderedDict()
        insert = self._insert()
        # Built once (see `_BUMP`): a call's start seeds its record with it.
        self._seed_upsert = insert.on_conflict_do_update(
            index_elements=[calls.c.call_sid],
            set_={
                "from_number": func.coalesce(calls.c.from_number, insert.excluded.from_number),
                "started_at": case(
                    (insert.excluded.started_at < calls.c.started_at, insert.excluded.started_at),
                    else_=calls.c.started_at,
                ),
            },
        )

    async def start_call(self, call_sid: str, *, caller: str | None, started_at: dt.datetime) -> None:
        """Create the record if absent; a repeat only fills a missing caller or an earlier start.
        Queued: committed with the call's first turn, or by a background flush a moment later."""
        queued = self._queue(call_sid, started_at)
        queued.started = True
        queued.caller = queued.caller or caller
        queued.started_at = min(queued.started_at, started_at)

    async def flush(self) -> None:
        """Write everything queued so far (returns once it is committed, or its failure logged).

        A failed write is logged and dropped, as a failed direct write would be: the call goes on.
        """
        async with self._flush_lock:
            batch, self._queued = self._queued, {}
            if not batch:
                return
            try:
                await self._write(batch)
            except BookingUnavailable as error:  # the database is down or busy: expected
                _log.warning("call records not written (%d calls): %s", len(batch), type(error).__name__)
                self._failed(True, len(batch))
            except Exception:  # noqa: BLE001 - a bug: logged with its traceback; the calls go on
                _log.exception("call records not written (%d calls)", len(batch))
                self._failed(False, len(batch))

    def _failed(self, outage: bool, calls: int) -> None:
        if self._on_failure is not None:
            self._on_failure(outage, calls)

    async def aclose(self) -> None:
        """Write what is queued (at shutdown)."""
        await self.flush()
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            await asyncio.gather(flusher, return_exceptions=True)

    def _queue(self, call_sid: str, at: dt.datetime) -> _Queued:
        queued = self._queued.get(call_sid)
        if queued is None:
            queued = self._queued[call_sid] = _Queued(started_at=at)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_queued())
        return queued

    async def _flush_queued(self) -> None:
        while self._queued:
            await self.flush()

    async def _write(self, batch: dict[str, _Queued]) -> None:
        """One transaction for the batch: seed the records it needs, count and insert the turns,
        set the changed fields, add the follow-ups. Rows are locked in `call_sid` order (no
        deadlocks between workers flushing at once). The usual batch, a turn or two, costs two
        statements: the count's bump (carrying the changed fields) and the turns' insert."""
        sids = sorted(batch)
        seeds = [sid for sid in sids if batch[sid].started or sid not in self._seeded]
        talking = [sid for sid in sids if batch[sid].turns]
        if self._raw is not None:
            async with database_errors("record_turns"):
                await raw_write(self._engine, self._raw, lambda conn: _write_sqlite(conn, batch, sids, seeds))
        else:
            await self._write_sqlalchemy(batch, sids, seeds, talking)
        for sid in sids:
            self._seeded[sid] = None
            self._seeded.move_to_end(sid)
        while len(self._seeded) > SEEDED_KEPT:
            self._seeded.popitem(last=False)

    async def _write_sqlalchemy(
        self, batch: dict[str, _Queued], sids: list[str], seeds: list[str], talking: list[str]
    ) -> None:
        counts: dict[str, int] = {}  # each talking call's turn count after this batch
        bumped: set[str] = set()  # calls whose changed fields went with the bump
        async with database_errors("record_turns"), write_transaction(self._engine) as conn:
            if seeds:
                await self._seed(conn, batch, seeds)
            if len(talking) <= SMALL_BATCH:
                for sid in talking:
                    bump, params = _bump(sid, batch[sid])
                    last = (await conn.execute(bump, params)).scalar_one_or_none()
                    if last is None:  # the record went meanwhile (a caller forgotten): make it again
                        await self._seed(conn, batch, [sid])
                        last = (await conn.execute(bump, params)).scalar_one()
                    counts[sid] = int(last)
                    bumped.add(sid)
            else:
                counts = await self._count_many(conn, batch, talking)
            rows = [
                {
                    "call_sid": sid,
                    "seq": counts[sid] - len(batch[sid].turns) + 1 + k,
                    "role": role,
                    "text": text,
                    "at": at,
                }
                for sid in talking
                for k, (role, text, at) in enumerate(batch[sid].turns)
            ]
            if rows:
                await conn.execute(_INSERT_TURNS, rows)
            for sid in sids:
                queued = batch[sid]
                if queued.changes and sid not in bumped:
                    await conn.execute(update(calls).where(calls.c.call_sid == sid).values(**queued.changes))
                for event, at in queued.follow_ups:
                    await outbox.add(conn, event, at)

    async def _seed(self, conn: AsyncConnection, batch: dict[str, _Queued], sids: list[str]) -> None:
        """Create the records of `sids` if absent; fill a missing caller or an earlier start."""
        seeds = [
            {"call_sid": sid, "from_number": batch[sid].caller, "started_at": batch[sid].started_at} for sid in sids
        ]
        await conn.execute(self._seed_upsert, seeds)

    async def _count_many(self, conn: AsyncConnection, batch: dict[str, _Queued], talking: list[str]) -> dict[str, int]:
        """A big batch's counts: one locked read and one bump for all its calls."""
        query = (
            select(calls.c.call_sid, calls.c.turn_count)
            .where(calls.c.call_sid.in_(talking))
            .order_by(calls.c.call_sid)
            .with_for_update()
        )
        before = {str(row.call_sid): int(row.turn_count) for row in await conn.execute(query)}
        missing = [sid for sid in talking if sid not in before]
        if missing:  # records that went meanwhile (a caller forgotten): make them again
            await self._seed(conn, batch, missing)
            before.update({str(row.call_sid): int(row.turn_count) for row in await conn.execute(query)})
        counts = {sid: before[sid] + len(batch[sid].turns) for sid in talking}
        bump = update(calls).where(calls.c.call_sid == bindparam("b_sid")).values(turn_count=bindparam("b_count"))
        await conn.execute(bump, [{"b_sid": sid, "b_count": counts[sid]} for sid in talking])
        return counts

    async def add_turn(self, call_sid: str, *, role: str, text: str, at: dt.datetime) -> int:
        """Append one turn (`role` is `caller` or `agent`); returns its sequence number."""
        if role not in _ROLES:
            raise ValueError(f"role must be 'caller' or 'agent', got {role!r}")
        text = text.replace("\x00", "")  # PostgreSQL text cannot hold NUL
        await self.flush()  # after the turns queued before it
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
        """One dialogue turn: its `(role, text)` turns in order, then the changed fields and the
        follow-up, committed in one transaction with whatever else is queued (module docstring)."""
        if any(role not in _ROLES for role, _ in turns):
            raise ValueError("role must be 'caller' or 'agent'")
        queued = self._queue(call_sid, at)
        queued.turns += [(role, text.replace("\x00", ""), at) for role, text in turns]
        given = {"outcome": outcome, "urgency": urgency, "appointment_id": appointment_id}
        queued.changes.update({name: value for name, value in given.items() if value is not None})
        if follow_up is not None:
            queued.follow_ups.append((follow_up, at))
        await self.flush()

    async def amend_turn(self, call_sid: str, seq: int, text: str) -> None:
        """Replace a turn's words (an agent turn cut by a barge-in); empty words remove the turn."""
        await self.flush()
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
        await self.flush()
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
        release_holds: bool = False,
    ) -> None:
        """Mark the call ended (the first end time wins); `in_progress` becomes `abandoned`.

        A later finish may refine the outcome or supply Twilio's own duration; repeating the same
        finish changes nothing. With `release_holds` the windows held for the call go free in the
        same transaction (one commit at the end of a call, not two).
        """
        await self.flush()
        if self._raw is not None:  # once a call: plain sqlite3 on a SQLite file
            now = self._clock.now()
            async with database_errors("finish_call"):
                await raw_write(
                    self._engine,
                    self._raw,
                    lambda conn: _finish_sqlite(
                        conn, call_sid, ended_at, outcome, duration_s, summary, follow_up, release_holds, now
                    ),
                )
            return
        locked = select(calls).where(calls.c.call_sid == call_sid).with_for_update()
        async with database_errors("finish_call"), write_transaction(self._engine) as conn:
            row = (await conn.execute(locked)).first()
            if row is None:  # no turn was ever recorded: the record starts and ends now
                await self._ensure(conn, call_sid, started_at=ended_at)
                row = (await conn.execute(locked)).one()
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
            if release_holds:
                await holds.release(conn, call_sid)

    async def set_summary(self, call_sid: str, summary: str) -> None:
        """Store the post-call summary (the LLM's, replacing the one built from the call state)."""
        await self.flush()
        async with database_errors("set_summary"), write_transaction(self._engine) as conn:
            await conn.execute(update(calls).where(calls.c.call_sid == call_sid).values(summary=summary))

    async def get_call(self, call_sid: str) -> dict[str, Any] | None:
        """The contract's call record as JSON-ready data, or None for an unknown call."""
        record = await self.get_call_record(call_sid)
        return record.model_dump(mode="json", by_alias=True) if record is not None else None

    async def get_call_record(self, call_sid: str) -> CallRecordOut | None:
        await self.flush()  # what the calls have said so far, written behind, is in
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


def _write_sqlite(conn: sqlite3.Connection, batch: dict[str, _Queued], sids: list[str], seeds: list[str]) -> None:
    """`CallRecords._write` as plain SQLite statements (one transaction, `RawWriter.write`'s).

    The same rows as the SQLAlchemy path: the seed upsert, each call's count bumped with its
    changed fields (SQLite locks the whole file, so one bump per call costs no more than one for
    all), the turns, the follow-ups. It may run twice (a lock wait), so it only touches `conn`."""
    if seeds:
        conn.executemany(_SQLITE_SEED, [_seed_row(sid, batch[sid]) for sid in seeds])
    rows: list[tuple[str, int, str, str, str]] = []
    for sid in sids:
        queued = batch[sid]
        changes = {name: queued.changes[name] for name in _CHANGEABLE if name in queued.changes}
        if queued.turns or changes:
            sets = "".join(f", {name} = ?" for name in changes)
            bump = f"UPDATE calls SET turn_count = turn_count + ?{sets} WHERE call_sid = ? RETURNING turn_count"
            params = (len(queued.turns), *changes.values(), sid)
            found = conn.execute(bump, params).fetchone()
            if found is None:  # the record went meanwhile (a caller forgotten): make it again
                conn.execute(_SQLITE_SEED, _seed_row(sid, queued))
                found = conn.execute(bump, params).fetchone()
            first = int(found[0]) - len(queued.turns) + 1
            rows += [
                (sid, first + k, role, text, sqlite_datetime(at)) for k, (role, text, at) in enumerate(queued.turns)
            ]
        for event, at in queued.follow_ups:
            add_outbox(conn, event, at)
    if rows:
        conn.executemany(_SQLITE_TURN, rows)


def _finish_sqlite(
    conn: sqlite3.Connection,
    call_sid: str,
    ended_at: dt.datetime,
    outcome: Outcome | None,
    duration_s: int | None,
    summary: str | None,
    follow_up: OutboxEvent | None,
    release_holds: bool,
    now: dt.datetime,
) -> None:
    """`CallRecords.finish_call` on a plain sqlite3 connection (the same rules, one transaction)."""
    read = "SELECT started_at, ended_at, outcome, duration_s FROM calls WHERE call_sid = ?"
    row = conn.execute(read, (call_sid,)).fetchone()
    if row is None:  # no turn was ever recorded: the record starts and ends now
        conn.execute(_SQLITE_ENSURE, (call_sid, sqlite_datetime(ended_at)))
        row = conn.execute(read, (call_sid,)).fetchone()
    started, ended, stored_outcome, stored_duration = row
    final_end = holds.utc_from_sqlite(ended) if ended is not None else ended_at
    final_outcome = outcome if outcome not in (None, "in_progress") else stored_outcome
    if final_outcome == "in_progress":
        final_outcome = "abandoned"
    if duration_s is None:
        duration_s = stored_duration
    if duration_s is None:
        duration_s = max(0, round((final_end - holds.utc_from_sqlite(started)).total_seconds()))
    values: dict[str, Any] = {
        "ended_at": sqlite_datetime(final_end),
        "outcome": final_outcome,
        "duration_s": duration_s,
    }
    if summary is not None:
        values["summary"] = summary
    sets = ", ".join(f"{name} = ?" for name in values)
    conn.execute(f"UPDATE calls SET {sets} WHERE call_sid = ?", (*values.values(), call_sid))
    if follow_up is not None:
        add_outbox(conn, follow_up, now)
    if release_holds:
        holds.release_sqlite(conn, call_sid)


def _seed_row(sid: str, queued: _Queued) -> tuple[str, str | None, str]:
    return (sid, queued.caller, sqlite_datetime(queued.started_at))


if TYPE_CHECKING:

    def _implements_port(records: CallRecords) -> CallRecordPort:
        return records  # mypy checks CallRecords against the dialogue's port
