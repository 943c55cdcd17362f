"""The office's daily digest: the day's calls that need attention, new bookings, tomorrow's visits."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.models import appointments, calls
from hvac_agent.config import BusinessProfile
from hvac_agent.followups.texts import when

ATTENTION = ("emergency", "message", "transferred")


async def compose(engine: AsyncEngine, profile: BusinessProfile, day: dt.date) -> tuple[str, str]:
    """(subject, text) of the digest for business-local `day`."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=profile.tz)
    end = start + dt.timedelta(days=1)
    tomorrow = day + dt.timedelta(days=1)
    async with database_errors("digest"), engine.connect() as conn:
        day_calls = (
            (
                await conn.execute(
                    select(calls)
                    .where(calls.c.started_at >= start, calls.c.started_at < end)
                    .order_by(calls.c.started_at)
                )
            )
            .mappings()
            .all()
        )
        new = (
            (
                await conn.execute(
                    select(appointments)
                    .where(
                        appointments.c.created_at >= start,
                        appointments.c.created_at < end,
                        appointments.c.status == "booked",
                    )
                    .order_by(appointments.c.id)
                )
            )
            .mappings()
            .all()
        )
        visits = (
            (
                await conn.execute(
                    select(appointments)
                    .where(appointments.c.date == tomorrow, appointments.c.status == "booked")
                    .order_by(appointments.c.window, appointments.c.id)
                )
            )
            .mappings()
            .all()
        )
    outcomes = Counter(str(c["outcome"]) for c in day_calls)
    lines = [f"{profile.name} - {day:%A %B} {day.day}", ""]
    lines.append(
        f"Calls: {len(day_calls)}"
        + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) + ")" if outcomes else "")
    )
    attention = [c for c in day_calls if c["outcome"] in ATTENTION]
    lines += ["", f"Needs attention ({len(attention)}):"]
    lines += [_call_line(c, profile) for c in attention] or ["  nothing"]
    lines += ["", f"New bookings ({len(new)}):"]
    lines += [_visit_line(a) for a in new] or ["  none"]
    lines += ["", f"Tomorrow's visits ({len(visits)}):"]
    lines += [_visit_line(a) for a in visits] or ["  none"]
    return f"{profile.name}: daily digest for {day.isoformat()}", "\n".join(lines) + "\n"


def _call_line(c: Any, profile: BusinessProfile) -> str:
    at = c["started_at"].astimezone(profile.tz)
    summary = " ".join(str(c["summary"] or "").split())
    return f"  {at:%H:%M} {c['outcome']} from {c['from_number'] or 'unknown'}" + (f": {summary}" if summary else "")


def _visit_line(a: Any) -> str:
    unit = f" {a['unit']}" if a["unit"] else ""
    return (
        f"  #{a['id']} {when(a['date'].isoformat(), a['window'])} {a['customer_name']} {a['phone']}, "
        f"{a['address']}{unit} {a['zip']}: {a['issue']} [{a['urgency']}]"
    )
