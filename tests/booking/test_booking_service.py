"""BookingService on real SQLite and PostgreSQL: round-trips, idempotency, capacity under
concurrency, cancel and reschedule."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc

import pytest
from booking_support import AFTERNOON, MORNING, TUESDAY, WEDNESDAY, request_for
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import create_engine
from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.booking.models import appointments, window_capacity
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import FixedClock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.state import WindowOffer


async def booked_in_db(engine: AsyncEngine, date: dt.date, window: str) -> tuple[int, int]:
    """(booked appointments, window_capacity.booked) as the database holds them."""
    async with engine.connect() as conn:
        rows = await conn.scalar(
            select(func.count()).where(
                appointments.c.date == date,
                appointments.c.window == window,
                appointments.c.status == "booked",
            )
        )
        counter = await conn.scalar(
            select(window_capacity.c.booked).where(window_capacity.c.date == date, window_capacity.c.window == window)
        )
    return int(rows or 0), int(counter or 0)


async def test_booking_round_trips_as_contract_object(service: BookingService) -> None:
    result = await service.book(request_for("CA1", unit="Apt 4", urgency="urgent"))
    assert result.ok and result.reason == "booked"
    assert (result.date, result.window) == (TUESDAY, MORNING)
    assert result.appointment_id is not None

    listed = await service.list_appointments(call_sid="CA1")
    assert [a.id for a in listed] == [result.appointment_id]
    assert listed[0].model_dump(mode="json") == {
        "id": result.appointment_id,
        "call_sid": "CA1",
        "customer_name": "Dana Kim",
        "phone": "+15125550123",
        "address": "4410 Duval Street",
        "unit": "Apt 4",
        "zip": "78751",
        "issue": "furnace stopped working",
        "issue_category": "no_heat",
        "urgency": "urgent",
        "date": "2026-12-01",
        "window": "08:00-12:00",
        "status": "booked",
        "created_at": "2026-12-01T12:30:00Z",
    }
    fetched = await service.get_appointment(result.appointment_id)
    assert fetched == listed[0]
    assert await service.get_appointment(result.appointment_id + 1000) is None


async def test_list_filters(service: BookingService) -> None:
    await service.book(request_for("CA1"))
    await service.book(request_for("CA2", phone="+15125550999", date=WEDNESDAY, window=AFTERNOON))
    third = await service.book(request_for("CA3", date=WEDNESDAY))
    assert third.appointment_id is not None
    await service.cancel(third.appointment_id, call_sid="CA9")

    assert [a.call_sid for a in await service.list_appointments()] == ["CA1", "CA3", "CA2"]
    assert [a.call_sid for a in await service.list_appointments(phone="+15125550999")] == ["CA2"]
    assert [a.call_sid for a in await service.list_appointments(date="2026-12-02")] == ["CA3", "CA2"]
    assert [a.call_sid for a in await service.list_appointments(date=WEDNESDAY, status="booked")] == ["CA2"]
    assert [a.call_sid for a in await service.list_appointments(status="cancelled")] == ["CA3"]
    assert await service.list_appointments(call_sid="nope") == []


async def test_same_call_books_once(service: BookingService, engine: AsyncEngine) -> None:
    first = await service.book(request_for("CA1"))
    again = await service.book(request_for("CA1", date=WEDNESDAY, window=AFTERNOON))
    assert again.ok and again.reason == "already_booked"
    assert (again.appointment_id, again.date, again.window) == (first.appointment_id, TUESDAY, MORNING)
    assert await booked_in_db(engine, TUESDAY, MORNING) == (1, 1)
    assert await booked_in_db(engine, WEDNESDAY, AFTERNOON) == (0, 0)


async def test_concurrent_duplicates_book_once(
    engine: AsyncEngine, db_url: str, profile: BusinessProfile, clock: FixedClock
) -> None:
    engines = [engine] + [create_engine(db_url) for _ in range(3)]
    try:
        services = [BookingService(e, profile, clock) for e in engines]
        results = await asyncio.gather(*(services[i % 4].book(request_for("CA-dup")) for i in range(8)))
    finally:
        for extra in engines[1:]:
            await extra.dispose()
    assert all(r.ok for r in results)
    assert sorted(r.reason for r in results) == ["already_booked"] * 7 + ["booked"]
    assert len({r.appointment_id for r in results}) == 1
    assert await booked_in_db(engine, TUESDAY, MORNING) == (1, 1)


async def test_capacity_holds_under_concurrency(
    engine: AsyncEngine, db_url: str, profile: BusinessProfile, clock: FixedClock
) -> None:
    assert profile.technicians_per_window == 3
    engines = [engine] + [create_engine(db_url) for _ in range(3)]
    try:
        services = [BookingService(e, profile, clock) for e in engines]
        results = await asyncio.gather(*(services[i % 4].book(request_for(f"CA{i}")) for i in range(20)))
    finally:
        for extra in engines[1:]:
            await extra.dispose()
    assert sum(r.ok for r in results) == 3
    assert all(r.reason == "booked" for r in results if r.ok)
    assert all(r.reason == "window_full" and r.appointment_id is None for r in results if not r.ok)
    assert await booked_in_db(engine, TUESDAY, MORNING) == (3, 3)
    offers = await services[0].open_windows(limit=2)
    assert offers == [
        WindowOffer(date=TUESDAY, window=AFTERNOON, remaining=3),
        WindowOffer(date=WEDNESDAY, window=MORNING, remaining=3),
    ]


async def test_open_windows_follow_capacity_and_clock(service: BookingService, clock: FixedClock) -> None:
    assert await service.open_windows() == [
        WindowOffer(date=TUESDAY, window=MORNING, remaining=3),
        WindowOffer(date=TUESDAY, window=AFTERNOON, remaining=3),
        WindowOffer(date=WEDNESDAY, window=MORNING, remaining=3),
    ]
    await service.book(request_for("CA1", window=AFTERNOON))
    assert (await service.open_windows(limit=2))[1] == WindowOffer(date=TUESDAY, window=AFTERNOON, remaining=2)
    assert await service.open_windows(limit=1, part_of_day="afternoon", exclude_dates=[TUESDAY]) == [
        WindowOffer(date=WEDNESDAY, window=AFTERNOON, remaining=3)
    ]
    clock.advance(2 * 3600)  # 08:30: the morning window has started
    assert (await service.open_windows(limit=1))[0].window == AFTERNOON
    assert await service.open_windows(limit=0) == []


async def test_invalid_windows_are_refused(service: BookingService, engine: AsyncEngine) -> None:
    sunday = dt.date(2026, 12, 6)
    yesterday = TUESDAY - dt.timedelta(days=1)
    beyond = TUESDAY + dt.timedelta(days=60)
    for request in (
        request_for("CA1", window="09:00-11:00"),
        request_for("CA2", date=sunday),
        request_for("CA3", date=yesterday),
        request_for("CA4", date=beyond),
    ):
        result = await service.book(request)
        assert (result.ok, result.reason) == (False, "invalid_window")
    assert await service.list_appointments() == []


async def test_zero_capacity_offers_and_books_nothing(engine: AsyncEngine, clock: FixedClock) -> None:
    closed = BookingService(engine, BusinessProfile(technicians_per_window=0), clock)
    assert await closed.open_windows() == []
    result = await closed.book(request_for("CA1"))
    assert (result.ok, result.reason) == (False, "window_full")
    assert await closed.list_appointments() == []


async def test_lowering_capacity_in_profile_is_enforced(engine: AsyncEngine, clock: FixedClock) -> None:
    roomy = BookingService(engine, BusinessProfile(technicians_per_window=3), clock)
    assert (await roomy.book(request_for("CA1"))).ok
    assert (await roomy.book(request_for("CA2"))).ok
    tight = BookingService(engine, BusinessProfile(technicians_per_window=1), clock)
    assert (await tight.book(request_for("CA3"))).reason == "window_full"
    assert (await tight.open_windows(limit=1))[0].window == AFTERNOON
    assert (await tight.capacity(TUESDAY, MORNING))[1] == 2  # the refused booking took nothing


async def test_cancel_frees_the_place(service: BookingService, engine: AsyncEngine) -> None:
    ids = [(await service.book(request_for(f"CA{i}"))).appointment_id for i in range(3)]
    assert (await service.book(request_for("CA-late"))).reason == "window_full"
    assert ids[0] is not None

    done = await service.cancel(ids[0], call_sid="CA-cancel")
    assert done.ok and done.reason == "done"
    assert done.appointment is not None and done.appointment.status == "cancelled"
    assert await booked_in_db(engine, TUESDAY, MORNING) == (2, 2)
    again = await service.cancel(ids[0], call_sid="CA-cancel")  # a retried cancel frees nothing more
    assert again.ok and await booked_in_db(engine, TUESDAY, MORNING) == (2, 2)
    assert (await service.open_windows(limit=1))[0] == WindowOffer(date=TUESDAY, window=MORNING, remaining=1)
    assert (await service.book(request_for("CA-late2"))).reason == "booked"
    assert (await service.cancel(99999, call_sid="CA-x")).reason == "not_found"


async def test_call_that_cancelled_can_book_again(service: BookingService, engine: AsyncEngine) -> None:
    first = await service.book(request_for("CA1"))
    assert first.appointment_id is not None
    await service.cancel(first.appointment_id, call_sid="CA1")
    again = await service.book(request_for("CA1", date=WEDNESDAY))
    assert (again.ok, again.reason, again.appointment_id) == (True, "booked", first.appointment_id)
    assert await booked_in_db(engine, TUESDAY, MORNING) == (0, 0)
    assert await booked_in_db(engine, WEDNESDAY, MORNING) == (1, 1)


async def test_reschedule_moves_capacity(service: BookingService, engine: AsyncEngine) -> None:
    booked = await service.book(request_for("CA1"))
    assert booked.appointment_id is not None
    moved = await service.reschedule(booked.appointment_id, date=WEDNESDAY, window=AFTERNOON, call_sid="CA2")
    assert moved.ok and moved.appointment is not None
    assert (moved.appointment.date, moved.appointment.window) == (WEDNESDAY, AFTERNOON)
    assert await booked_in_db(engine, TUESDAY, MORNING) == (0, 0)
    assert await booked_in_db(engine, WEDNESDAY, AFTERNOON) == (1, 1)
    stored = await service.get_appointment(booked.appointment_id)
    assert stored is not None and (stored.date, stored.window, stored.call_sid) == (
        WEDNESDAY,
        AFTERNOON,
        "CA1",
    )

    same = await service.reschedule(booked.appointment_id, date=WEDNESDAY, window=AFTERNOON, call_sid="CA2")
    assert same.ok and await booked_in_db(engine, WEDNESDAY, AFTERNOON) == (1, 1)


async def test_reschedule_into_full_window_changes_nothing(service: BookingService, engine: AsyncEngine) -> None:
    for i in range(3):
        await service.book(request_for(f"CA-full{i}", date=WEDNESDAY))
    mine = await service.book(request_for("CA-mine"))
    assert mine.appointment_id is not None
    result = await service.reschedule(mine.appointment_id, date=WEDNESDAY, window=MORNING, call_sid="CA-2")
    assert (result.ok, result.reason) == (False, "window_full")
    assert await booked_in_db(engine, TUESDAY, MORNING) == (1, 1)
    assert await booked_in_db(engine, WEDNESDAY, MORNING) == (3, 3)
    stored = await service.get_appointment(mine.appointment_id)
    assert stored is not None and (stored.date, stored.window) == (TUESDAY, MORNING)


async def test_reschedule_refusals(service: BookingService) -> None:
    booked = await service.book(request_for("CA1"))
    assert booked.appointment_id is not None
    bad = await service.reschedule(booked.appointment_id, date=dt.date(2026, 12, 6), window=MORNING, call_sid="x")
    assert (bad.ok, bad.reason) == (False, "invalid_window")
    assert (await service.reschedule(4242, date=WEDNESDAY, window=MORNING, call_sid="x")).reason == "not_found"
    await service.cancel(booked.appointment_id, call_sid="x")
    gone = await service.reschedule(booked.appointment_id, date=WEDNESDAY, window=MORNING, call_sid="x")
    assert gone.reason == "not_found"


async def test_crossing_reschedules_do_not_deadlock(
    engine: AsyncEngine, db_url: str, profile: BusinessProfile, clock: FixedClock
) -> None:
    service = BookingService(engine, profile, clock)
    a = await service.book(request_for("CA-a", date=TUESDAY))
    b = await service.book(request_for("CA-b", date=WEDNESDAY))
    assert a.appointment_id is not None and b.appointment_id is not None
    other_engine = create_engine(db_url)
    try:
        other = BookingService(other_engine, profile, clock)
        for _ in range(5):
            results = await asyncio.gather(
                service.reschedule(a.appointment_id, date=WEDNESDAY, window=MORNING, call_sid="x"),
                other.reschedule(b.appointment_id, date=TUESDAY, window=MORNING, call_sid="y"),
            )
            assert all(r.ok for r in results)
            a, b = b, a
    finally:
        await other_engine.dispose()
    assert await booked_in_db(engine, TUESDAY, MORNING) == (1, 1)
    assert await booked_in_db(engine, WEDNESDAY, MORNING) == (1, 1)


async def test_find_by_phone_lists_upcoming_booked(service: BookingService, clock: FixedClock) -> None:
    later = await service.book(request_for("CA1", date=WEDNESDAY))
    sooner = await service.book(request_for("CA2", window=AFTERNOON))
    cancelled = await service.book(request_for("CA3", date=dt.date(2026, 12, 3)))
    await service.book(request_for("CA4", phone="+15125550999"))
    assert cancelled.appointment_id is not None
    await service.cancel(cancelled.appointment_id, call_sid="CA3")

    found = await service.find_by_phone("+15125550123")
    assert [f.id for f in found] == [sooner.appointment_id, later.appointment_id]
    assert found[0].model_dump() == {
        "id": sooner.appointment_id,
        "customer_name": "Dana Kim",
        "phone": "+15125550123",
        "address": "4410 Duval Street",
        "unit": None,
        "zip": "78751",
        "issue": "furnace stopped working",
        "date": TUESDAY,
        "window": AFTERNOON,
        "status": "booked",
    }
    clock.advance(86400)  # Wednesday: Tuesday's visit is past
    assert [f.id for f in await service.find_by_phone("+15125550123")] == [later.appointment_id]
    assert await service.find_by_phone("+15125550000") == []


@pytest.mark.parametrize("url", ["postgresql://127.0.0.1:1/nothing", "sqlite:////nonexistent-dir/x/hvac.db"])
async def test_database_down_raises_booking_unavailable(url: str, clock: FixedClock) -> None:
    engine = (
        create_engine(url, connect_args={"connect_timeout": 1}) if url.startswith("postgres") else create_engine(url)
    )
    service = BookingService(engine, BusinessProfile(), clock)
    try:
        with pytest.raises(BookingUnavailable):
            await service.book(request_for("CA1"))
        with pytest.raises(BookingUnavailable):
            await service.open_windows()
        with pytest.raises(BookingUnavailable):
            await service.list_appointments()
    finally:
        await engine.dispose()
        # A failed aiosqlite connect leaves its worker thread to finish on its own; let it deliver
        # its last callback before the test's loop closes (a known aiosqlite teardown race).
        gc.collect()
        await asyncio.sleep(0.01)
