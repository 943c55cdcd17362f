"""Book, cancel and reschedule against the database: idempotent per call, capacity-safe.

Capacity is enforced by the database, never by a Python read-then-write: a booking bumps
`window_capacity.booked` with `UPDATE … WHERE booked < capacity` in the same transaction as the
appointment insert. On PostgreSQL the row lock serialises competing bookings (and READ COMMITTED
re-checks the condition after the wait); on SQLite writes begin `IMMEDIATE`. CHECK constraints back
both. Idempotency comes from the unique `appointments.call_sid`: a concurrent duplicate waits on the
first insert and then reads that appointment instead of consuming capacity.

Offers are held (booking/holds.py): windows offered to a call, and the one it chose at the
read-back, count against everyone else's offers until booked, released or expired. Whatever adds
to a window's usage checks room and takes it under the schedule lock, so what a caller heard stays
theirs across workers; capacity is counted in job units (business/jobs.py).

Lock order, to rule out deadlocks: the appointment row first, then the schedule lock, then
capacity rows in (date, window) order.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hvac_agent.booking import holds
from hvac_agent.booking.availability import CandidateWindow, candidate_windows, is_bookable, local_today
from hvac_agent.booking.db import raw_write, raw_writer, write_transaction
from hvac_agent.booking.errors import database_errors
from hvac_agent.booking.models import appointments, window_capacity
from hvac_agent.booking.schemas import AppointmentOut
from hvac_agent.booking.sqlite_inline import add_outbox, sqlite_datetime
from hvac_agent.business.jobs import JobType
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.state import (
    AppointmentRef,
    BookingRequest,
    BookingResult,
    ChangeResult,
    PastVisit,
    WindowOffer,
)
from hvac_agent.followups import outbox
from hvac_agent.followups.events import appointment_event
from hvac_agent.followups.forget import forget_caller

_A = appointments
_W = window_capacity
PURGE_EVERY = dt.timedelta(minutes=1)


class _Abort(Exception):
    """Roll the transaction back and answer `result`."""

    def __init__(self, result: BookingResult | ChangeResult) -> None:
        super().__init__(result.reason)
        self.result = result


class BookingService:
    """The database implementation of `hvac_agent.dialogue.ports.BookingPort` (plus API helpers).

    Every database failure surfaces as `BookingUnavailable`.
    """

    def __init__(self, engine: AsyncEngine, profile: BusinessProfile, clock: Clock) -> None:
        if engine.dialect.name not in {"postgresql", "sqlite"}:
            raise ValueError(f"unsupported database: {engine.dialect.name}")
        self._engine = engine
        self._profile = profile
        self._clock = clock
        self._purged_at: dt.datetime | None = None  # when this process last deleted expired holds
        self._statements = _Statements(engine.dialect.name == "postgresql")
        self._raw = raw_writer(engine)  # a SQLite file: offers and holds as plain sqlite3

    def use_profile(self, profile: BusinessProfile) -> None:
        """Apply an edited business profile from the next request on (no restart)."""
        self._profile = profile

    @property
    def capacity_per_window(self) -> int:
        """The default technician count (a date's own count: `BusinessProfile.capacity_units`)."""
        return self._profile.technicians_per_window

    @property
    def profile(self) -> BusinessProfile:
        return self._profile

    # ---- BookingPort ---------------------------------------------------------------------------

    async def open_windows(
        self,
        *,
        limit: int = 3,
        not_before: dt.date | None = None,
        exclude_dates: list[dt.date] | None = None,
        part_of_day: str | None = None,
        hold_for: str | None = None,
        job_type: str | None = None,
    ) -> list[WindowOffer]:
        """The first `limit` windows that are bookable now and have room for the job, soonest
        first. With `hold_for` (a call SID) they are held for that call in the same transaction,
        replacing what it held before: the windows a caller hears are windows they can get."""
        if limit <= 0:
            return []
        now = self._clock.now()
        job = self._profile.job_named(job_type)
        candidates = list(
            candidate_windows(
                self._profile, now, not_before=not_before, exclude_dates=exclude_dates, part_of_day=part_of_day
            )
        )
        if not candidates:
            if hold_for is not None:
                await self.release_holds(hold_for)
            return []
        if hold_for is None:
            async with database_errors("open_windows"), self._engine.connect() as conn:
                return await self._pick(conn, candidates, job, limit, now, exclude_call=None)
        if self._raw is not None:
            async with database_errors("open_windows"):
                return await raw_write(
                    self._engine,
                    self._raw,
                    lambda conn: self._offer_sqlite(conn, candidates, job, limit, now, hold_for),
                )
        async with database_errors("open_windows"), write_transaction(self._engine) as conn:
            await holds.lock_schedule(conn)
            await self._purge_expired(conn, now)
            offers = await self._pick(conn, candidates, job, limit, now, exclude_call=hold_for)
            await holds.replace_holds(conn, hold_for, [(o.date, o.window) for o in offers], job, self._hold_until(now))
        return offers

    async def hold_window(self, call_sid: str, day: dt.date, window: str, *, job_type: str | None = None) -> bool:
        """Hold the chosen window for the call (dropping its other holds); False when it is gone:
        full for the job, or no longer bookable. See booking/holds.py for the edge case."""
        now = self._clock.now()
        job = self._profile.job_named(job_type)
        if not is_bookable(self._profile, now, day, window):
            return False
        if self._raw is not None:
            async with database_errors("hold_window"):
                return await raw_write(
                    self._engine, self._raw, lambda conn: self._hold_sqlite(conn, call_sid, day, window, job, now)
                )
        async with database_errors("hold_window"), write_transaction(self._engine) as conn:
            await holds.lock_schedule(conn)
            key = (day, window)
            used = await holds.usage(conn, day, day, now=now, exclude_call=call_sid, chosen_only=True)
            if holds.room_for(self._profile, day, window, job, used.get(key)) < 1:
                return False
            await holds.replace_holds(conn, call_sid, [key], job, self._hold_until(now), chosen=True)
        return True

    async def release_holds(self, call_sid: str) -> None:
        """The call ended (or booked): its held windows are free for others at once."""
        async with database_errors("release_holds"), write_transaction(self._engine) as conn:
            await holds.release(conn, call_sid)

    async def _purge_expired(self, conn: AsyncConnection, now: dt.datetime) -> None:
        """Delete expired holds at most once a minute per process: they no longer count anyway
        (usage reads only live ones), so this only keeps the table small, not correct."""
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        await holds.purge_expired(conn, now)
        self._purged_at = now

    def _offer_sqlite(
        self,
        conn: sqlite3.Connection,
        candidates: list[CandidateWindow],
        job: JobType,
        limit: int,
        now: dt.datetime,
        hold_for: str,
    ) -> list[WindowOffer]:
        """`open_windows`' held offers on a plain sqlite3 connection (its `BEGIN IMMEDIATE` is
        the schedule lock): the same choice as `_pick`, both readings of usage in one statement."""
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            holds.purge_expired_sqlite(conn, now)
            self._purged_at = now
        first, last = candidates[0].date, candidates[-1].date
        everyone, chosen = holds.usage_sqlite(conn, first, last, now=now, exclude_call=hold_for)
        offers = self._with_heard(candidates, job, limit, everyone, chosen)
        keys = [(o.date, o.window) for o in offers]
        holds.replace_holds_sqlite(conn, hold_for, keys, job, self._hold_until(now))
        return offers

    def _hold_sqlite(
        self, conn: sqlite3.Connection, call_sid: str, day: dt.date, window: str, job: JobType, now: dt.datetime
    ) -> bool:
        """`hold_window` on a plain sqlite3 connection."""
        _, chosen = holds.usage_sqlite(conn, day, day, now=now, exclude_call=call_sid)
        if holds.room_for(self._profile, day, window, job, chosen.get((day, window))) < 1:
            return False
        holds.replace_holds_sqlite(conn, call_sid, [(day, window)], job, self._hold_until(now), chosen=True)
        return True

    def _hold_until(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(minutes=self._profile.hold_minutes)

    async def _pick(
        self,
        conn: AsyncConnection,
        candidates: list[CandidateWindow],
        job: JobType,
        limit: int,
        now: dt.datetime,
        *,
        exclude_call: str | None,
    ) -> list[WindowOffer]:
        """Soonest windows with room counting every other call's holds; when those are fewer
        than `limit`, windows that other callers only heard fill the rest (booking/holds.py)."""
        first, last = candidates[0].date, candidates[-1].date
        everyone = await holds.usage(conn, first, last, now=now, exclude_call=exclude_call)
        offers = self._fitting(candidates, job, everyone, limit)
        if len(offers) < limit and exclude_call is not None:
            chosen = await holds.usage(conn, first, last, now=now, exclude_call=exclude_call, chosen_only=True)
            offers = self._with_heard(candidates, job, limit, everyone, chosen)
        return offers

    def _with_heard(
        self,
        candidates: list[CandidateWindow],
        job: JobType,
        limit: int,
        everyone: dict[holds.WindowKey, holds.Usage],
        chosen: dict[holds.WindowKey, holds.Usage],
    ) -> list[WindowOffer]:
        """The windows with room counting every hold; when fewer than `limit`, windows that other
        callers only heard (room counting chosen holds alone) fill the rest, soonest first."""
        offers = self._fitting(candidates, job, everyone, limit)
        if len(offers) < limit:
            taken = {(o.date, o.window) for o in offers}
            offers += [o for o in self._fitting(candidates, job, chosen, limit) if (o.date, o.window) not in taken]
            offers = sorted(offers, key=lambda o: (o.date, o.window))[:limit]
        return offers

    def _fitting(
        self, candidates: list[CandidateWindow], job: JobType, used: dict[holds.WindowKey, holds.Usage], limit: int
    ) -> list[WindowOffer]:
        offers: list[WindowOffer] = []
        for cand in candidates:
            room = holds.room_for(self._profile, cand.date, cand.window, job, used.get((cand.date, cand.window)))
            if room > 0:
                offers.append(WindowOffer(date=cand.date, window=cand.window, remaining=room))
                if len(offers) >= limit:
                    break
        return offers

    async def book(self, request: BookingRequest) -> BookingResult:
        """Book once per call: a repeat answers `already_booked` with the first appointment."""
        now = self._clock.now()
        try:
            if self._raw is not None:  # once a call: plain sqlite3 on a SQLite file
                async with database_errors("book"):
                    return await raw_write(self._engine, self._raw, lambda conn: self._book_sqlite(conn, request, now))
            async with database_errors("book"), write_transaction(self._engine) as conn:
                return await self._book(conn, request, now)
        except _Abort as abort:
            assert isinstance(abort.result, BookingResult)
            return abort.result

    async def find_by_phone(self, phone: str) -> list[AppointmentRef]:
        """Booked appointments for `phone` from today (business-local) on, soonest first."""
        today = local_today(self._profile, self._clock.now())
        query = (
            select(_A)
            .where(_A.c.phone == phone, _A.c.status == "booked", _A.c.date >= today)
            .order_by(_A.c.date, _A.c.window, _A.c.id)
        )
        async with database_errors("find_by_phone"), self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [AppointmentOut.from_row(row).to_ref() for row in rows]

    async def cancel(self, appointment_id: int, *, call_sid: str) -> ChangeResult:
        """Cancel and free the window's place. Cancelling a cancelled appointment is a no-op."""
        now = self._clock.now()
        async with database_errors("cancel"), write_transaction(self._engine) as conn:
            row = await self._locked_appointment(conn, appointment_id)
            if row is None:
                return ChangeResult(ok=False, reason="not_found")
            if row["status"] == "cancelled":
                return ChangeResult(ok=True, reason="done", appointment=AppointmentOut.from_row(row).to_ref())
            if row["status"] != "booked":  # a completed visit happened: there is nothing to cancel
                return ChangeResult(ok=False, reason="not_found")
            await conn.execute(
                update(_A)
                .where(_A.c.id == appointment_id)
                .values(status="cancelled", updated_at=now, changed_by_call_sid=call_sid)
            )
            await self._release(conn, row["date"], row["window"], row["units"])
            cancelled = {**row, "status": "cancelled"}
            await outbox.add_appointment(conn, "cancelled", AppointmentOut.from_row(cancelled), now, call_sid=call_sid)
        return ChangeResult(ok=True, reason="done", appointment=AppointmentOut.from_row(cancelled).to_ref())

    async def reschedule(self, appointment_id: int, *, date: dt.date, window: str, call_sid: str) -> ChangeResult:
        """Move a booked appointment atomically; a full target window leaves it unchanged."""
        now = self._clock.now()
        try:
            async with database_errors("reschedule"), write_transaction(self._engine) as conn:
                row = await self._locked_appointment(conn, appointment_id)
                if row is None or row["status"] != "booked":
                    return ChangeResult(ok=False, reason="not_found")
                current = AppointmentOut.from_row(row)
                if (current.date, current.window) == (date, window):
                    return ChangeResult(ok=True, reason="done", appointment=current.to_ref())
                if not is_bookable(self._profile, now, date, window):
                    return ChangeResult(ok=False, reason="invalid_window", appointment=current.to_ref())
                job, units = self._profile.job_named(row["job_type"]), row["units"]
                await holds.lock_schedule(conn)
                used = await holds.usage(conn, date, date, now=now, exclude_call=call_sid)
                if holds.room_for(self._profile, date, window, job, used.get((date, window))) < 1:
                    raise _Abort(ChangeResult(ok=False, reason="window_full", appointment=current.to_ref()))
                # Touch both capacity rows in key order (see module docstring).
                for key in sorted([(date, window), (current.date, current.window)]):
                    if key == (date, window):
                        if not await self._reserve(conn, date, window, units):
                            raise _Abort(ChangeResult(ok=False, reason="window_full", appointment=current.to_ref()))
                    else:
                        await self._release(conn, current.date, current.window, units)
                await holds.release(conn, call_sid)
                await conn.execute(
                    update(_A)
                    .where(_A.c.id == appointment_id)
                    .values(date=date, window=window, updated_at=now, changed_by_call_sid=call_sid)
                )
                moved = current.model_copy(update={"date": date, "window": window})
                await outbox.add_appointment(conn, "rescheduled", moved, now, previous=current, call_sid=call_sid)
        except _Abort as abort:
            assert isinstance(abort.result, ChangeResult)
            return abort.result
        return ChangeResult(ok=True, reason="done", appointment=moved.to_ref())

    async def complete(self, appointment_id: int, *, changed_by: str) -> AppointmentOut | None:
        """The visit happened: `booked` → `completed` (it keeps its window's place). Completing a
        completed one is a no-op; None when there is no such booked or completed appointment."""
        now = self._clock.now()
        async with database_errors("complete"), write_transaction(self._engine) as conn:
            row = await self._locked_appointment(conn, appointment_id)
            if row is None or row["status"] not in ("booked", "completed"):
                return None
            if row["status"] == "booked":
                await conn.execute(
                    update(_A)
                    .where(_A.c.id == appointment_id)
                    .values(status="completed", updated_at=now, changed_by_call_sid=changed_by)
                )
            done = {**row, "status": "completed"}
        return AppointmentOut.from_row(done)

    # ---- API / CLI helpers ---------------------------------------------------------------------

    async def booked_counts(self, first: dt.date, last: dt.date) -> dict[tuple[dt.date, str], tuple[int, int]]:
        """(capacity, booked) per (date, window) that has a capacity row, for the office's day view."""
        query = select(_W.c.date, _W.c.window, _W.c.capacity, _W.c.booked).where(_W.c.date.between(first, last))
        async with database_errors("booked_counts"), self._engine.connect() as conn:
            return {(row.date, row.window): (row.capacity, row.booked) for row in await conn.execute(query)}

    async def list_appointments(
        self,
        call_sid: str | None = None,
        phone: str | None = None,
        date: dt.date | str | None = None,
        status: str | None = None,
    ) -> list[AppointmentOut]:
        """Appointments matching every given filter, by date and window. `date` may be YYYY-MM-DD."""
        query: Select[Any] = select(_A)
        if call_sid is not None:
            query = query.where(_A.c.call_sid == call_sid)
        if phone is not None:
            query = query.where(_A.c.phone == phone)
        if date is not None:
            day = dt.date.fromisoformat(date) if isinstance(date, str) else date
            query = query.where(_A.c.date == day)
        if status is not None:
            query = query.where(_A.c.status == status)
        query = query.order_by(_A.c.date, _A.c.window, _A.c.id)
        async with database_errors("list_appointments"), self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [AppointmentOut.from_row(row) for row in rows]

    async def past_bookings(self, phone: str, *, limit: int = 5) -> list[AppointmentOut]:
        """Every booking ever made for an E.164 number (any status, past or upcoming), newest first:
        what a returning caller's greeting and the LLM's context can draw on."""
        query = select(_A).where(_A.c.phone == phone).order_by(_A.c.created_at.desc(), _A.c.id.desc()).limit(limit)
        async with database_errors("past_bookings"), self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [AppointmentOut.from_row(row) for row in rows]

    async def past_visits(self, phone: str) -> list[PastVisit]:
        """`past_bookings` as the dialogue sees them (BookingPort)."""
        if self._raw is not None:  # twice a call: plain sqlite3 on a SQLite file
            async with database_errors("past_bookings"):
                rows = await self._raw.read(lambda conn: conn.execute(_SQLITE_PAST_VISITS, (phone, 5)).fetchall())
            return [
                PastVisit(
                    customer_name=name,
                    address=address,
                    unit=unit,
                    zip=zip_code,
                    issue=issue,
                    date=dt.date.fromisoformat(day),
                    window=window,
                    status=status,
                )
                for name, address, unit, zip_code, issue, day, window, status in rows
            ]
        return [
            PastVisit(
                customer_name=a.customer_name,
                address=a.address,
                unit=a.unit,
                zip=a.zip,
                issue=a.issue,
                date=a.date,
                window=a.window,
                status=a.status,
            )
            for a in await self.past_bookings(phone)
        ]

    async def forget_caller(self, phone: str) -> bool:
        """The caller asked to be forgotten (by voice): the erasure `DELETE /api/callers/{phone}` does."""
        await forget_caller(self._engine, phone, self._clock.now())
        return True

    async def get_appointment(self, appointment_id: int) -> AppointmentOut | None:
        async with database_errors("get_appointment"), self._engine.connect() as conn:
            row = (await conn.execute(select(_A).where(_A.c.id == appointment_id))).mappings().first()
        return AppointmentOut.from_row(row) if row is not None else None

    async def capacity(self, date: dt.date, window: str) -> tuple[int, int]:
        """(capacity, booked) for one window, as the database holds it (for health checks, bench)."""
        query = select(_W.c.capacity, _W.c.booked).where(_W.c.date == date, _W.c.window == window)
        async with database_errors("capacity"), self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (row.capacity, row.booked) if row is not None else (self._profile.capacity_units(date, window), 0)

    # ---- transaction steps ---------------------------------------------------------------------

    async def _book(self, conn: AsyncConnection, request: BookingRequest, now: dt.datetime) -> BookingResult:
        existing = await self._locked_by_call(conn, request.call_sid)
        if existing is not None and existing["status"] == "booked":
            return _already_booked(existing)
        if not is_bookable(self._profile, now, request.date, request.window):
            return BookingResult(ok=False, reason="invalid_window", date=request.date, window=request.window)
        job = self._profile.job_for(request.issue_category, request.issue)
        if self._engine.dialect.name == "postgresql" and await self._looks_full(
            conn, request.date, request.window, job.units
        ):
            # Fast refusal without the schedule lock; a window that looks open is still only won
            # under the lock (holds) and by the conditional UPDATE in `_reserve`. (SQLite's write
            # transaction holds the lock from its BEGIN: there the check below decides at once.)
            return BookingResult(ok=False, reason="window_full", date=request.date, window=request.window)
        await holds.lock_schedule(conn)
        # Room counts other calls' chosen holds (a booking follows this call's own read-back hold).
        used = await holds.usage(
            conn, request.date, request.date, now=now, exclude_call=request.call_sid, chosen_only=True
        )
        key = (request.date, request.window)
        if holds.room_for(self._profile, request.date, request.window, job, used.get(key)) < 1:
            return BookingResult(ok=False, reason="window_full", date=request.date, window=request.window)
        values = {**request.model_dump(), "status": "booked", "updated_at": now}
        values |= {"job_type": job.name, "units": job.units}
        if existing is not None:
            # This call booked, cancelled, and books again: the call's one row is reused.
            appointment_id: int = existing["id"]
            await conn.execute(update(_A).where(_A.c.id == appointment_id).values(**values, changed_by_call_sid=None))
        else:
            new_id = (await conn.execute(self._statements.book, {**values, "created_at": now})).scalar_one_or_none()
            if new_id is None:
                # A concurrent duplicate committed first (PostgreSQL waited for it): answer with it.
                return await self._book(conn, request, now)
            appointment_id = new_id
        if not await self._reserve(conn, request.date, request.window, job.units):
            full = BookingResult(ok=False, reason="window_full", date=request.date, window=request.window)
            raise _Abort(full)
        await holds.release(conn, request.call_sid)
        created = existing["created_at"] if existing is not None else now
        booked = AppointmentOut(**request.model_dump(), id=appointment_id, status="booked", created_at=created)
        await outbox.add_appointment(conn, "booked", booked, now, call_sid=request.call_sid)
        return BookingResult(
            ok=True, reason="booked", appointment_id=appointment_id, date=request.date, window=request.window
        )

    def _book_sqlite(self, conn: sqlite3.Connection, request: BookingRequest, now: dt.datetime) -> BookingResult:
        """`_book` on a plain sqlite3 connection: its `BEGIN IMMEDIATE` is the schedule lock, and
        the capacity row's conditional UPDATE (and CHECK) still decide; a lost race raises `_Abort`
        and rolls everything back."""
        existing = conn.execute(_SQLITE_BY_CALL, (request.call_sid,)).fetchone()
        if existing is not None and existing[1] == "booked":
            appointment_id, _, day, window, _ = existing
            return BookingResult(
                ok=True,
                reason="already_booked",
                appointment_id=appointment_id,
                date=dt.date.fromisoformat(day),
                window=window,
            )
        if not is_bookable(self._profile, now, request.date, request.window):
            return BookingResult(ok=False, reason="invalid_window", date=request.date, window=request.window)
        job = self._profile.job_for(request.issue_category, request.issue)
        _, chosen = holds.usage_sqlite(conn, request.date, request.date, now=now, exclude_call=request.call_sid)
        key = (request.date, request.window)
        if holds.room_for(self._profile, request.date, request.window, job, chosen.get(key)) < 1:
            return BookingResult(ok=False, reason="window_full", date=request.date, window=request.window)
        r = request
        fields = (r.customer_name, r.phone, r.address, r.unit, r.zip, r.issue, r.issue_category, r.urgency)
        common = (*fields, r.date.isoformat(), r.window, sqlite_datetime(now), job.name, job.units)
        if existing is not None:  # this call booked, cancelled, and books again: its one row is reused
            appointment_id = int(existing[0])
            conn.execute(_SQLITE_REBOOK, (*common, appointment_id))
            created = holds.utc_from_sqlite(existing[4])
        else:
            inserted = conn.execute(_SQLITE_BOOK, (r.call_sid, *common, sqlite_datetime(now))).fetchone()
            if inserted is None:  # not on SQLite (the write lock is held since BEGIN), but never wrong
                return self._book_sqlite(conn, request, now)
            appointment_id, created = int(inserted[0]), now
        capacity = self._profile.capacity_units(r.date, r.window)
        conn.execute(_SQLITE_SEED_CAPACITY, (r.date.isoformat(), r.window, capacity))
        taken = conn.execute(_SQLITE_TAKE_CAPACITY, (job.units, r.date.isoformat(), r.window, job.units))
        if taken.rowcount != 1:
            raise _Abort(BookingResult(ok=False, reason="window_full", date=r.date, window=r.window))
        holds.release_sqlite(conn, r.call_sid)
        booked = AppointmentOut(**r.model_dump(), id=appointment_id, status="booked", created_at=created)
        event = appointment_event("booked", booked.model_dump(mode="json"), call_sid=r.call_sid)
        add_outbox(conn, event, now)
        return BookingResult(ok=True, reason="booked", appointment_id=appointment_id, date=r.date, window=r.window)

    async def _reserve(self, conn: AsyncConnection, day: dt.date, window: str, units: int = 1) -> bool:
        """Take `units` of a window; False when they do not fit. The capacity row follows the
        profile (that date's units), but never drops below what is already booked (the CHECK
        would refuse it)."""
        capacity = self._profile.capacity_units(day, window)
        seed = {"date": day, "window": window, "capacity": capacity, "booked": 0}
        await conn.execute(self._statements.seed_capacity, seed)
        taken = await conn.execute(self._statements.take_capacity, {"t_day": day, "t_window": window, "t_units": units})
        return taken.rowcount == 1

    async def _looks_full(self, conn: AsyncConnection, day: dt.date, window: str, units: int) -> bool:
        query = select(_W.c.booked).where(_W.c.date == day, _W.c.window == window)
        booked = (await conn.execute(query)).scalar_one_or_none() or 0
        return booked + units > self._profile.capacity_units(day, window)

    async def _release(self, conn: AsyncConnection, day: dt.date, window: str, units: int = 1) -> None:
        await conn.execute(
            update(_W)
            .where(_W.c.date == day, _W.c.window == window, _W.c.booked >= units)
            .values(booked=_W.c.booked - units)
        )

    async def _locked_appointment(self, conn: AsyncConnection, appointment_id: int) -> RowMapping | None:
        query = select(_A).where(_A.c.id == appointment_id).with_for_update()
        return (await conn.execute(query)).mappings().first()

    async def _locked_by_call(self, conn: AsyncConnection, call_sid: str) -> RowMapping | None:
        return (await conn.execute(_BY_CALL, {"sid": call_sid})).mappings().first()

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert)(table)


# `_book`'s statements as plain SQLite (`_book_sqlite`); dates as SQLAlchemy's Date stores them.
_SQLITE_BY_CALL = 'SELECT id, status, date, "window", created_at FROM appointments WHERE call_sid = ?'
_BOOKED_COLUMNS = (
    'customer_name, phone, address, unit, zip, issue, issue_category, urgency, date, "window", '
    "updated_at, job_type, units"
)
_SQLITE_BOOK = (
    f"INSERT INTO appointments (call_sid, {_BOOKED_COLUMNS}, status, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?) ON CONFLICT (call_sid) DO NOTHING RETURNING id"
)
_SQLITE_REBOOK = (
    "UPDATE appointments SET "
    + ", ".join(f"{name.strip()} = ?" for name in _BOOKED_COLUMNS.split(","))
    + ", status = 'booked', changed_by_call_sid = NULL WHERE id = ?"
)
_SQLITE_SEED_CAPACITY = """
INSERT INTO window_capacity (date, "window", capacity, booked) VALUES (?, ?, ?, 0)
ON CONFLICT (date, "window") DO UPDATE SET
    capacity = CASE WHEN excluded.capacity >= window_capacity.booked
        THEN excluded.capacity ELSE window_capacity.booked END
WHERE window_capacity.capacity != excluded.capacity
"""
_SQLITE_TAKE_CAPACITY = (
    'UPDATE window_capacity SET booked = booked + ? WHERE date = ? AND "window" = ? AND booked + ? <= capacity'
)
_SQLITE_PAST_VISITS = (
    'SELECT customer_name, address, unit, zip, issue, date, "window", status FROM appointments '
    "WHERE phone = ? ORDER BY created_at DESC, id DESC LIMIT ?"
)
_BY_CALL = select(_A).where(_A.c.call_sid == bindparam("sid", type_=_A.c.call_sid.type)).with_for_update()


class _Statements:
    """A booking's statements, built once per dialect with values bound at execution: building
    them anew for each booking cost more than running them (SQLAlchemy's cache key is computed
    from each new statement object)."""

    def __init__(self, postgresql: bool) -> None:
        insert = pg_insert if postgresql else sqlite_insert
        self.book = insert(_A).on_conflict_do_nothing(index_elements=[_A.c.call_sid]).returning(_A.c.id)
        seed = insert(_W)
        synced = case((seed.excluded.capacity >= _W.c.booked, seed.excluded.capacity), else_=_W.c.booked)
        self.seed_capacity = seed.on_conflict_do_update(
            index_elements=[_W.c.date, _W.c.window],
            set_={"capacity": synced},
            where=_W.c.capacity != seed.excluded.capacity,
        )
        # Not named after columns: an UPDATE's parameters named like columns would become SET values.
        units = bindparam("t_units", type_=_W.c.booked.type)
        self.take_capacity = (
            update(_W)
            .where(
                _W.c.date == bindparam("t_day", type_=_W.c.date.type),
                _W.c.window == bindparam("t_window", type_=_W.c.window.type),
                _W.c.booked + units <= _W.c.capacity,
            )
            .values(booked=_W.c.booked + units)
        )


def _already_booked(row: RowMapping) -> BookingResult:
    return BookingResult(
        ok=True, reason="already_booked", appointment_id=row["id"], date=row["date"], window=row["window"]
    )


if TYPE_CHECKING:

    def _implements_port(service: BookingService) -> BookingPort:
        return service  # mypy checks BookingService against the dialogue's port
