""" "Forget me": remove a caller's personal data, found by phone number, in one transaction.

Bookings keep their date, window, status, urgency and category (the office's capacity and history
stay true) but lose name, number, address, unit and problem; call records from or about the number
go with their transcripts; outbox payloads about the number are emptied and their pending
deliveries dropped (no text goes out after the caller asked to be forgotten); consent is removed.
The process's in-memory caches of caller words are emptied too (`caller_caches.py`; every other
worker empties its own within `FORGET_PERIOD_S`). Both the API and a caller's own request in a call
come through here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import write_transaction
from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.models import appointments, calls
from hvac_agent.caller_caches import forget_cached_texts
from hvac_agent.followups.models import outbox_deliveries, outbox_events, sms_consent

FORGOTTEN = "(forgotten)"


async def forget_caller(engine: AsyncEngine, phone: str, now: dt.datetime) -> dict[str, Any]:
    """Erase `phone`'s personal data; returns how many rows of each kind were touched."""
    try:
        return await _erase_rows(engine, phone, now)
    finally:  # the memory too, even when the database fails (then the request is retried)
        forget_cached_texts()


async def _erase_rows(engine: AsyncEngine, phone: str, now: dt.datetime) -> dict[str, Any]:
    A, C, E, D = appointments, calls, outbox_events, outbox_deliveries
    async with database_errors("forget_caller"), write_transaction(engine) as conn:
        booked = (await conn.execute(select(A.c.id, A.c.call_sid).where(A.c.phone == phone))).all()
        call_sids = {row.call_sid for row in booked}
        call_sids |= set((await conn.execute(select(C.c.call_sid).where(C.c.from_number == phone))).scalars())
        call_sids |= set(
            (await conn.execute(select(E.c.call_sid).where(E.c.phone == phone, E.c.call_sid.is_not(None)))).scalars()
        )
        await conn.execute(
            update(A)
            .where(A.c.phone == phone)
            .values(customer_name=FORGOTTEN, phone="", address=FORGOTTEN, unit=None, issue=FORGOTTEN, updated_at=now)
        )
        # Turns go with their call (ON DELETE CASCADE).
        forgotten_calls = (
            (await conn.execute(delete(C).where(C.c.call_sid.in_(call_sids)))).rowcount if call_sids else 0
        )
        about = or_(E.c.phone == phone, E.c.call_sid.in_(call_sids)) if call_sids else E.c.phone == phone
        event_ids = list((await conn.execute(select(E.c.id).where(about))).scalars())
        if event_ids:
            await conn.execute(update(E).where(E.c.id.in_(event_ids)).values(payload="{}", phone=None))
            await conn.execute(
                update(D)
                .where(D.c.event_id.in_(event_ids), D.c.status.in_(("pending", "sending")))
                .values(status="skipped", last_error="caller asked to be forgotten", lease_until=None, updated_at=now)
            )
            await conn.execute(
                update(D)
                .where(D.c.event_id.in_(event_ids), D.c.channel.in_(("sms_caller", "sms_reminder")))
                .values(target=FORGOTTEN + ":" + D.c.id.cast(type_=A.c.phone.type))
            )
        consent = (await conn.execute(delete(sms_consent).where(sms_consent.c.phone == phone))).rowcount
    return {
        "phone": phone,
        "appointments": len(booked),
        "calls": forgotten_calls,
        "outbox_events": len(event_ids),
        "consent": consent,
    }
