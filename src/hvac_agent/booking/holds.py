"""Held offers and window usage: what a window already carries, and the lock that makes "is there
room?" and "take it" one step.

A window's usage is the units of its booked (and completed) appointments plus the units of live
holds by other calls. Every transaction that adds to a window's usage — a hold at offer or at
read-back, a booking, a reschedule — first takes the schedule lock: a PostgreSQL transaction
advisory lock (one key for the whole schedule: the work under it is a few small statements), and
on SQLite the write transaction's own `BEGIN IMMEDIATE`. So two workers can never both see the
last place free and both take it; the capacity CHECK on `window_capacity` still backs bookings.

Holds come in two strengths. The windows offered are held "offered"; the one chosen for the
read-back is held "chosen". Offers count both kinds, so normally a window heard is a window got.
Only when offered holds alone would leave a caller without enough windows (a nearly full
calendar: three offers per caller use capacity three times over) does an offer also name windows
that other callers merely heard, and a read-back then takes a window if bookings and chosen holds
leave room: that is the edge where a race can still be lost, and the loser hears the next free
window at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, delete, func, insert, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from hvac_agent.booking.models import appointments, held_offers
from hvac_agent.booking.sqlite_inline import sqlite_datetime
from hvac_agent.business.jobs import JobType
from hvac_agent.config import BusinessProfile

_A = appointments
_H = held_offers
_SCHEDULE_LOCK_KEY = int.from_bytes(hashlib.sha256(b"hvac_agent.schedule").digest()[:8], "big") >> 1

WindowKey = tuple[dt.date, str]
# Hot statements built once (values bound at execution; see `_usage_query`).
_RELEASE = delete(_H).where(_H.c.call_sid == bindparam("sid", type_=_H.c.call_sid.type))
_INSERT = insert(_H)


@dataclass
class Usage:
    """Units taken in one window, in total and per job type (for skills)."""

    units: int = 0
    by_job: Counter[str] = field(default_factory=Counter)

    def add(self, job_type: str, units: int) -> None:
        self.units += units
        self.by_job[job_type] += units


async def lock_schedule(conn: AsyncConnection) -> None:
    """Serialise capacity decisions across workers and instances (see module docstring)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEDULE_LOCK_KEY})


async def usage(
    conn: AsyncConnection,
    first: dt.date,
    last: dt.date,
    *,
    now: dt.datetime,
    exclude_call: str | None,
    chosen_only: bool = False,
) -> dict[WindowKey, Usage]:
    """Per window from `first` to `last`: booked units plus live holds of calls other than
    `exclude_call` (only chosen ones with `chosen_only`). One statement: the two sums are read
    together (each statement costs far more in the driver than SQLite takes to run it)."""
    found: dict[WindowKey, Usage] = {}
    params = {"first": first, "last": last, "now": now, "exclude": exclude_call}
    for day, window, job_type, units in await conn.execute(_usage_query(exclude_call is not None, chosen_only), params):
        found.setdefault((day, window), Usage()).add(job_type, int(units or 0))
    return found


@functools.cache
def _usage_query(exclude: bool, chosen_only: bool) -> CompoundSelect[Any]:
    """Built once per shape, values bound at execution: building the statement anew cost twice
    what running it does (SQLAlchemy's cache key is computed from the new object each time)."""
    first, last = bindparam("first", type_=_A.c.date.type), bindparam("last", type_=_A.c.date.type)
    booked = (
        select(_A.c.date, _A.c.window, _A.c.job_type, func.sum(_A.c.units))
        .where(_A.c.date.between(first, last), _A.c.status.in_(("booked", "completed")))
        .group_by(_A.c.date, _A.c.window, _A.c.job_type)
    )
    held = select(_H.c.date, _H.c.window, _H.c.job_type, func.sum(_H.c.units)).where(
        _H.c.date.between(first, last), _H.c.expires_at > bindparam("now", type_=_H.c.expires_at.type)
    )
    if exclude:
        held = held.where(_H.c.call_sid != bindparam("exclude", type_=_H.c.call_sid.type))
    if chosen_only:
        held = held.where(_H.c.chosen.is_(True))
    return union_all(booked, held.group_by(_H.c.date, _H.c.window, _H.c.job_type))


def room_for(profile: BusinessProfile, day: dt.date, window: str, job: JobType, used: Usage | None) -> int:
    """How many more jobs like `job` fit in the window (0: none), by units and by skills."""
    used = used or Usage()
    room = (profile.capacity_units(day, window) - used.units) // job.units
    for skill in job.skills:
        skilled_used = sum(units for name, units in used.by_job.items() if skill in profile.job_named(name).skills)
        room = min(room, (profile.skill_units(day, window, skill) - skilled_used) // job.units)
    return max(room, 0)


async def replace_holds(
    conn: AsyncConnection,
    call_sid: str,
    keys: Iterable[WindowKey],
    job: JobType,
    expires_at: dt.datetime,
    *,
    chosen: bool = False,
) -> None:
    """The call now holds exactly `keys` (one place each) until `expires_at`."""
    await conn.execute(_RELEASE, {"sid": call_sid})
    rows = [
        {
            "call_sid": call_sid,
            "date": day,
            "window": window,
            "job_type": job.name,
            "units": job.units,
            "chosen": chosen,
            "expires_at": expires_at,
        }
        for day, window in keys
    ]
    if rows:
        await conn.execute(_INSERT, rows)


async def release(conn: AsyncConnection, call_sid: str) -> int:
    """Drop every hold of the call; returns how many there were."""
    return int((await conn.execute(_RELEASE, {"sid": call_sid})).rowcount or 0)


async def purge_expired(conn: AsyncConnection, now: dt.datetime) -> None:
    """Expired holds no longer count anyway; deleting them keeps the table small."""
    await conn.execute(delete(_H).where(_H.c.expires_at <= now))


# ---- the same on a plain sqlite3 connection (the SQLite file's hot path: sqlite_inline.RawWriter) ----
# Dates are stored as SQLAlchemy's Date stores them on SQLite ('YYYY-MM-DD'), times as UTCDateTime.

# Booked units (`chosen` 1: they count for every read) and live holds of other calls, by kind.
_SQLITE_USAGE = """
SELECT date, "window", job_type, sum(units), 1 FROM appointments
WHERE date BETWEEN ? AND ? AND status IN ('booked', 'completed')
GROUP BY date, "window", job_type
UNION ALL
SELECT date, "window", job_type, sum(units), chosen FROM held_offers
WHERE date BETWEEN ? AND ? AND expires_at > ? AND (? IS NULL OR call_sid != ?)
GROUP BY date, "window", job_type, chosen
"""
_SQLITE_RELEASE = "DELETE FROM held_offers WHERE call_sid = ?"
_SQLITE_HOLD = (
    'INSERT INTO held_offers (call_sid, date, "window", job_type, units, chosen, expires_at) '
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_PURGE = "DELETE FROM held_offers WHERE expires_at <= ?"


def usage_sqlite(
    conn: sqlite3.Connection, first: dt.date, last: dt.date, *, now: dt.datetime, exclude_call: str | None
) -> tuple[dict[WindowKey, Usage], dict[WindowKey, Usage]]:
    """`usage` in one statement for both readings: (every hold counted, only chosen ones)."""
    everyone: dict[WindowKey, Usage] = {}
    chosen: dict[WindowKey, Usage] = {}
    params = (first.isoformat(), last.isoformat()) * 2 + (sqlite_datetime(now), exclude_call, exclude_call)
    for day, window, job_type, units, is_chosen in conn.execute(_SQLITE_USAGE, params):
        key = (dt.date.fromisoformat(day), str(window))
        everyone.setdefault(key, Usage()).add(job_type, int(units or 0))
        if is_chosen:
            chosen.setdefault(key, Usage()).add(job_type, int(units or 0))
    return everyone, chosen


def replace_holds_sqlite(
    conn: sqlite3.Connection,
    call_sid: str,
    keys: Iterable[WindowKey],
    job: JobType,
    expires_at: dt.datetime,
    *,
    chosen: bool = False,
) -> None:
    """`replace_holds` on a plain sqlite3 connection."""
    conn.execute(_SQLITE_RELEASE, (call_sid,))
    until = sqlite_datetime(expires_at)
    rows = [(call_sid, day.isoformat(), window, job.name, job.units, int(chosen), until) for day, window in keys]
    if rows:
        conn.executemany(_SQLITE_HOLD, rows)


def utc_from_sqlite(stored: str) -> dt.datetime:
    """A `UTCDateTime` as SQLite holds it (naive UTC text) → an aware datetime."""
    return dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)


def release_sqlite(conn: sqlite3.Connection, call_sid: str) -> None:
    """`release` on a plain sqlite3 connection."""
    conn.execute(_SQLITE_RELEASE, (call_sid,))


def purge_expired_sqlite(conn: sqlite3.Connection, now: dt.datetime) -> None:
    conn.execute(_SQLITE_PURGE, (sqlite_datetime(now),))
