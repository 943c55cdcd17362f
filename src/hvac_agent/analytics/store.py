"""The `call_facts` table: per-call facts next to the call record, and the office's "handled" mark."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.analytics.facts import CallFacts
from hvac_agent.booking.db import raw_write, raw_writer, write_transaction
from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.models import call_facts
from hvac_agent.booking.sqlite_inline import sqlite_datetime
from hvac_agent.clock import Clock

_F = call_facts


@functools.cache
def _save_statement(postgresql: bool) -> Any:
    """`save`'s upsert, built once per dialect with values bound at execution (building it per call
    cost more than running it)."""
    seed = (pg_insert if postgresql else sqlite_insert)(_F)
    return seed.on_conflict_do_update(
        index_elements=[_F.c.call_sid],
        set_={
            **{name: seed.excluded[name] for name in ("channel", "experiment", "variant", "facts", "updated_at")},
            "transfer_unanswered": _F.c.transfer_unanswered | seed.excluded.transfer_unanswered,
            "fallback": _F.c.fallback | seed.excluded.fallback,
        },
    )


# `save`'s upsert as plain SQLite (the SQLite file's hot path: booking/sqlite_inline.RawWriter).
_SQLITE_SAVE = """
INSERT INTO call_facts (call_sid, channel, experiment, variant, facts, transfer_unanswered, fallback, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (call_sid) DO UPDATE SET
    channel = excluded.channel, experiment = excluded.experiment, variant = excluded.variant,
    facts = excluded.facts, updated_at = excluded.updated_at,
    transfer_unanswered = call_facts.transfer_unanswered OR excluded.transfer_unanswered,
    fallback = call_facts.fallback OR excluded.fallback
"""


class FactsStore:
    """Writes are upserts keyed by call SID, so a repeated or out-of-order write loses nothing."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._raw = raw_writer(engine)

    async def save(self, call_sid: str, facts: CallFacts) -> None:
        """Store the call's facts (flags only ever rise: an unanswered transfer stays noted)."""
        if self._raw is not None:  # twice a call: plain sqlite3 on a SQLite file
            row = (
                call_sid,
                facts.channel,
                facts.experiment,
                facts.variant,
                facts.model_dump_json(),
                int(facts.transfer_unanswered),
                int(facts.fallback),
                sqlite_datetime(self._clock.now()),
            )
            async with database_errors("save_facts"):
                await raw_write(self._engine, self._raw, lambda conn: conn.execute(_SQLITE_SAVE, row).close())
            return
        values = {
            "channel": facts.channel,
            "experiment": facts.experiment,
            "variant": facts.variant,
            "facts": facts.model_dump_json(),
            "transfer_unanswered": facts.transfer_unanswered,
            "fallback": facts.fallback,
            "updated_at": self._clock.now(),
        }
        statement = _save_statement(self._engine.dialect.name == "postgresql")
        async with database_errors("save_facts"), write_transaction(self._engine) as conn:
            await conn.execute(statement, {"call_sid": call_sid, **values})

    async def get(self, call_sid: str) -> CallFacts | None:
        async with database_errors("get_facts"), self._engine.connect() as conn:
            row = (await conn.execute(select(_F).where(_F.c.call_sid == call_sid))).first()
        if row is None:
            return None
        facts = CallFacts.model_validate_json(row.facts)
        return facts.model_copy(
            update={
                "transfer_unanswered": facts.transfer_unanswered or row.transfer_unanswered,
                "fallback": facts.fallback or row.fallback,
            }
        )

    async def note_transfer_unanswered(self, call_sid: str) -> None:
        """Nobody picked up the transfer (Twilio's `<Dial>` ended unanswered): one for the inbox."""
        await self._upsert(call_sid, {"transfer_unanswered": True}, "note_transfer_unanswered")

    async def mark_handled(self, call_sid: str, *, handled: bool = True) -> None:
        """The office dealt with this call's inbox item (or takes that back)."""
        when: dt.datetime | None = self._clock.now() if handled else None
        await self._upsert(call_sid, {"handled_at": when}, "mark_handled")

    async def _upsert(self, call_sid: str, values: dict[str, object], operation: str) -> None:
        seed = self._insert().values(call_sid=call_sid, updated_at=self._clock.now(), **values)
        statement = seed.on_conflict_do_update(index_elements=[_F.c.call_sid], set_=values)
        async with database_errors(operation), write_transaction(self._engine) as conn:
            await conn.execute(statement)

    def _insert(self) -> Any:
        return (pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert)(_F)
