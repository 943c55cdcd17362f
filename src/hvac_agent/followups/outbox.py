"""The write side of the transactional outbox: one call, inside the caller's own transaction.

`add(conn, event, now)` is all the booking layer and the call records do: the event commits or
rolls back with the change that caused it, so a crash can lose neither the change's follow-up nor
send a follow-up for a change that never happened.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hvac_agent.booking.schemas import AppointmentOut
from hvac_agent.followups.events import BookingKind, OutboxEvent, appointment_event
from hvac_agent.followups.models import outbox_events


async def add(conn: AsyncConnection, event: OutboxEvent, now: dt.datetime) -> None:
    """Write `event` in `conn`'s transaction; an event whose key is already there is left as it is."""
    values = {
        "key": event.key,
        "kind": event.kind,
        "phone": event.phone,
        "call_sid": event.call_sid,
        "payload": json.dumps(event.payload, default=str),
        "created_at": now,
    }
    await conn.execute(_insert(conn.dialect.name == "postgresql"), values)


@functools.cache
def _insert(postgresql: bool) -> Any:
    """Built once per dialect, values bound at execution (building it per event cost more than running it)."""
    insert = pg_insert if postgresql else sqlite_insert
    return insert(outbox_events).on_conflict_do_nothing(index_elements=[outbox_events.c.key])


async def add_appointment(
    conn: AsyncConnection,
    kind: BookingKind,
    appointment: AppointmentOut,
    now: dt.datetime,
    *,
    previous: AppointmentOut | None = None,
    call_sid: str | None = None,
) -> None:
    """A booking change's event, in the booking's transaction."""
    before = previous.model_dump(mode="json") if previous is not None else None
    event = appointment_event(kind, appointment.model_dump(mode="json"), previous=before, call_sid=call_sid)
    await add(conn, event, now)
