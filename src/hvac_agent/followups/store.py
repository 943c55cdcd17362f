"""The dispatcher's side of the outbox: route events, find what is due, claim, record the result.

A delivery is claimed with a conditional UPDATE (pending and due, or `sending` with its lease run
out), so two dispatchers — threads, processes or queue workers — never both own it. A delivery
whose lease ran out was being sent when its process died: it is claimed again marked `in_doubt`,
and the channel checks whether it got through before sending it again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import raw_write, raw_writer, write_transaction
from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.sqlite_inline import sqlite_datetime
from hvac_agent.clock import Clock
from hvac_agent.followups import outbox
from hvac_agent.followups.events import digest_event
from hvac_agent.followups.models import outbox_deliveries as _D
from hvac_agent.followups.models import outbox_events as _E
from hvac_agent.followups.routing import Routes, plan

PROCESS_NAME = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process now owns until `lease_until`."""

    id: int
    channel: str
    target: str
    idempotency_key: str
    attempts: int  # including this one
    in_doubt: bool
    event_kind: str
    event_key: str
    payload: dict[str, Any]
    created_at: dt.datetime  # the event's


@dataclass(frozen=True, slots=True)
class Result:
    """How an attempt went. `retry`: try again later; `dead`: never (a permanent refusal)."""

    status: Literal["delivered", "skipped", "retry", "dead"]
    detail: str | None = None
    provider_ref: str | None = None
    in_doubt: bool = False  # a retry after which we cannot tell whether it got through


class OutboxStore:
    def __init__(self, engine: AsyncEngine, clock: Clock, *, lease_s: float = 120.0) -> None:
        self._engine = engine
        self._clock = clock
        self._lease = dt.timedelta(seconds=lease_s)
        self._raw = raw_writer(engine)  # a SQLite file: routing runs as plain sqlite3

    async def route_new(self, routes: Routes, *, limit: int = 100) -> int:
        """Expand unrouted events into deliveries (idempotent: unique per event, channel, target)."""
        now = self._clock.now()
        if self._raw is not None:
            # The dispatcher looks after every booking and call end: most looks find nothing, and
            # a plain read answers that without taking the write lock (WAL: it never waits).
            async with database_errors("route_new"):
                if not await self._raw.read(_has_unrouted):
                    return 0
                return await raw_write(self._engine, self._raw, lambda conn: _route_sqlite(conn, routes, now, limit))
        query = select(_E.c.id, _E.c.kind, _E.c.payload).where(_E.c.routed_at.is_(None)).order_by(_E.c.id).limit(limit)
        async with database_errors("route_new"), write_transaction(self._engine) as conn:
            events = (await conn.execute(query)).all()
            for event in events:
                for planned in plan(event.kind, json.loads(event.payload), now, routes):
                    statement = self._insert(_D).values(
                        event_id=event.id,
                        channel=planned.channel,
                        target=planned.target,
                        idempotency_key=f"msg_{uuid.uuid4().hex}",
                        status="pending",
                        next_attempt_at=planned.not_before,
                        updated_at=now,
                    )
                    await conn.execute(
                        statement.on_conflict_do_nothing(index_elements=[_D.c.event_id, _D.c.channel, _D.c.target])
                    )
                await conn.execute(update(_E).where(_E.c.id == event.id).values(routed_at=now))
        return len(events)

    async def ensure_digest(self, day: dt.date) -> None:
        """Today's digest event exists (written once, whichever process gets here first)."""
        async with database_errors("ensure_digest"), write_transaction(self._engine) as conn:
            await outbox.add(conn, digest_event(day), self._clock.now())

    async def due(self, *, limit: int = 50) -> list[tuple[int, int]]:
        """(id, attempts) of deliveries that may be claimed now, oldest first."""
        now = self._clock.now()
        query = (
            select(_D.c.id, _D.c.attempts).where(_claimable(now)).order_by(_D.c.next_attempt_at, _D.c.id).limit(limit)
        )
        async with database_errors("due"), self._engine.connect() as conn:
            return [(row.id, row.attempts) for row in await conn.execute(query)]

    async def claim(self, delivery_id: int) -> Claimed | None:
        """Take the delivery for one attempt, or None when it is not due or someone else has it."""
        now = self._clock.now()
        take = (
            update(_D)
            .where(_D.c.id == delivery_id, _claimable(now))
            .values(
                status="sending",
                attempts=_D.c.attempts + 1,
                lease_until=now + self._lease,
                in_doubt=case((_D.c.status == "sending", True), else_=_D.c.in_doubt),
                updated_at=now,
            )
            .returning(
                _D.c.id, _D.c.channel, _D.c.target, _D.c.idempotency_key, _D.c.attempts, _D.c.in_doubt, _D.c.event_id
            )
        )
        async with database_errors("claim"), write_transaction(self._engine) as conn:
            row = (await conn.execute(take)).first()
            if row is None:
                return None
            event = (
                await conn.execute(
                    select(_E.c.kind, _E.c.key, _E.c.payload, _E.c.created_at).where(_E.c.id == row.event_id)
                )
            ).one()
        return Claimed(
            id=row.id,
            channel=row.channel,
            target=row.target,
            idempotency_key=row.idempotency_key,
            attempts=row.attempts,
            in_doubt=bool(row.in_doubt),
            event_kind=event.kind,
            event_key=event.key,
            payload=json.loads(event.payload),
            created_at=event.created_at,
        )

    async def finish(self, claimed: Claimed, result: Result, *, retry_in_s: float, dead_after: int) -> str:
        """Record the attempt; returns the delivery's new status, or `lost` when the lease was lost
        meanwhile (another process claimed it again) and nothing was changed."""
        now = self._clock.now()
        values: dict[str, Any] = {"lease_until": None, "updated_at": now, "last_error": _short(result.detail)}
        if result.status in ("delivered", "skipped"):
            values.update(
                status=result.status, provider_ref=result.provider_ref, delivered_by=PROCESS_NAME, in_doubt=False
            )
        elif result.status == "dead" or claimed.attempts >= dead_after:
            values.update(status="dead", in_doubt=result.in_doubt)
        else:
            values.update(
                status="pending", in_doubt=result.in_doubt, next_attempt_at=now + dt.timedelta(seconds=retry_in_s)
            )
        mine = and_(_D.c.id == claimed.id, _D.c.status == "sending", _D.c.attempts == claimed.attempts)
        async with database_errors("finish"), write_transaction(self._engine) as conn:
            changed = (await conn.execute(update(_D).where(mine).values(**values))).rowcount
        return str(values["status"]) if changed == 1 else "lost"

    async def backlog(self) -> dict[str, Any]:
        """For `/health`: deliveries waiting, the oldest due one's age, dead letters."""
        now = self._clock.now()
        query = select(
            func.count().filter(_claimable(now)),
            func.min(_D.c.next_attempt_at).filter(_claimable(now)),
            func.count().filter(_D.c.status == "dead"),
            func.count().filter(_D.c.status == "pending"),
        )
        async with database_errors("backlog"), self._engine.connect() as conn:
            due, oldest, dead, pending = (await conn.execute(query)).one()
        unrouted = await self._count_unrouted()
        oldest_s = max(0.0, (now - oldest).total_seconds()) if oldest is not None else None
        return {"due": due, "pending": pending, "dead": dead, "unrouted_events": unrouted, "oldest_due_s": oldest_s}

    async def deliveries(self, *, event_key: str | None = None) -> list[dict[str, Any]]:
        """Every delivery (optionally of one event), for the API and tests."""
        query = (
            select(_D, _E.c.kind.label("event_kind"), _E.c.key.label("event_key"))
            .join(_E, _E.c.id == _D.c.event_id)
            .order_by(_D.c.id)
        )
        if event_key is not None:
            query = query.where(_E.c.key == event_key)
        async with database_errors("deliveries"), self._engine.connect() as conn:
            return [dict(row) for row in (await conn.execute(query)).mappings()]

    async def _count_unrouted(self) -> int:
        async with database_errors("backlog"), self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).where(_E.c.routed_at.is_(None)))).scalar_one())

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert)(table)


_UNROUTED = "SELECT id, kind, payload FROM outbox_events WHERE routed_at IS NULL ORDER BY id LIMIT ?"
_ADD_DELIVERY = (
    "INSERT INTO outbox_deliveries (event_id, channel, target, idempotency_key, status, next_attempt_at, updated_at) "
    "VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (event_id, channel, target) DO NOTHING"
)
_MARK_ROUTED = "UPDATE outbox_events SET routed_at = ? WHERE id = ?"


def _has_unrouted(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM outbox_events WHERE routed_at IS NULL LIMIT 1").fetchone() is not None


def _route_sqlite(conn: sqlite3.Connection, routes: Routes, now: dt.datetime, limit: int) -> int:
    """`route_new` in one plain sqlite3 transaction (the same rows as the SQLAlchemy path)."""
    stamp = sqlite_datetime(now)
    events = conn.execute(_UNROUTED, (limit,)).fetchall()
    for event_id, kind, payload in events:
        for planned in plan(kind, json.loads(payload), now, routes):
            conn.execute(
                _ADD_DELIVERY,
                (
                    event_id,
                    planned.channel,
                    planned.target,
                    f"msg_{uuid.uuid4().hex}",
                    sqlite_datetime(planned.not_before),
                    stamp,
                ),
            )
        conn.execute(_MARK_ROUTED, (stamp, event_id))
    return len(events)


def _claimable(now: dt.datetime) -> Any:
    return or_(
        and_(_D.c.status == "pending", _D.c.next_attempt_at <= now),
        and_(_D.c.status == "sending", _D.c.lease_until <= now),
    )


def _short(detail: str | None) -> str | None:
    return detail[:300] if detail else None
