"""Held offers, per-date capacity and job sizes, on SQLite and PostgreSQL through `BookingService`."""

from __future__ import annotations

import datetime as dt

from booking_support import AFTERNOON, MORNING, TUESDAY, WEDNESDAY, request_for
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.business.calendar import CapacityOverride, WindowSpec
from hvac_agent.business.jobs import JobType
from hvac_agent.clock import FixedClock
from hvac_agent.config import BusinessProfile


def _service(engine: AsyncEngine, clock: FixedClock, **profile: object) -> BookingService:
    return BookingService(engine, BusinessProfile.model_validate(profile), clock)


async def test_offered_windows_are_held_until_released_or_expired(engine: AsyncEngine, clock: FixedClock) -> None:
    service = _service(engine, clock, technicians_per_window=1, hold_minutes=5)
    first = await service.open_windows(limit=2, hold_for="CAfirst")
    assert [(w.date, w.window) for w in first] == [(TUESDAY, MORNING), (TUESDAY, AFTERNOON)]
    second = await service.open_windows(limit=2, hold_for="CAsecond")
    assert [(w.date, w.window) for w in second] == [(WEDNESDAY, MORNING), (WEDNESDAY, AFTERNOON)]
    # Choosing one at the read-back lets the other go at once.
    assert await service.hold_window("CAfirst", TUESDAY, MORNING)
    third = await service.open_windows(limit=1, hold_for="CAthird")
    assert [(w.date, w.window) for w in third] == [(TUESDAY, AFTERNOON)]
    # A caller who did not hold Tuesday morning cannot take it from under the one who chose it.
    assert not await service.hold_window("CAsecond", TUESDAY, MORNING)
    assert not (await service.book(request_for("CAsecond", date=TUESDAY, window=MORNING))).ok
    assert (await service.book(request_for("CAfirst", date=TUESDAY, window=MORNING))).ok
    # Hang-up frees what was held; expiry frees the rest.
    await service.release_holds("CAthird")
    again = await service.open_windows(limit=1)
    assert [(w.date, w.window) for w in again] == [(TUESDAY, AFTERNOON)]
    clock.advance(6 * 60)
    later = await service.open_windows(limit=2)
    assert [(w.date, w.window) for w in later][0] == (TUESDAY, AFTERNOON)
    assert (WEDNESDAY, MORNING) in [(w.date, w.window) for w in later]


async def test_finishing_a_call_record_frees_its_holds(engine: AsyncEngine, clock: FixedClock) -> None:
    """The end of a call frees what it was offered in the commit that ends its record."""
    service = _service(engine, clock, technicians_per_window=1, hold_minutes=5)
    records = CallRecords(engine, clock)
    first = await service.open_windows(limit=2, hold_for="CAfirst")
    assert [(w.date, w.window) for w in first] == [(TUESDAY, MORNING), (TUESDAY, AFTERNOON)]
    other = await service.open_windows(limit=1, hold_for="CAother")
    assert [(w.date, w.window) for w in other] == [(WEDNESDAY, MORNING)]
    await records.finish_call("CAfirst", ended_at=clock.now(), release_holds=True)
    free = await service.open_windows(limit=3)
    # Tuesday is free again; Wednesday morning is still the other caller's.
    assert [(w.date, w.window) for w in free] == [(TUESDAY, MORNING), (TUESDAY, AFTERNOON), (WEDNESDAY, AFTERNOON)]
    record = await records.get_call("CAfirst")
    assert record is not None and record["outcome"] == "abandoned" and record["ended_at"] is not None


async def test_capacity_override_and_holiday(engine: AsyncEngine, clock: FixedClock) -> None:
    service = _service(
        engine,
        clock,
        capacity_overrides=[CapacityOverride(date=TUESDAY, window=MORNING, technicians=0)],
        holidays=[{"date": WEDNESDAY.isoformat(), "name": "Founders Day"}],
    )
    offers = await service.open_windows(limit=3)
    assert [(w.date, w.window) for w in offers] == [
        (TUESDAY, AFTERNOON),
        (dt.date(2026, 12, 3), MORNING),
        (dt.date(2026, 12, 3), AFTERNOON),
    ]
    refused = await service.book(request_for("CAsick", date=TUESDAY, window=MORNING))
    assert refused.reason == "window_full"


async def test_whole_window_job_needs_a_whole_technician_and_its_skill(engine: AsyncEngine, clock: FixedClock) -> None:
    jobs = [
        JobType(name="tune_up", units=1, categories=["maintenance"]),
        JobType(name="install_estimate", units=2, skills=["install"], keywords=["estimate"]),
    ]
    weekly = {
        day: [WindowSpec(start="08:00", end="12:00", skills={"install": 1}), WindowSpec(start="12:00", end="16:00")]
        for day in ("tue", "wed")
    }
    service = _service(
        engine, clock, technicians_per_window=1, units_per_technician=2, job_types=jobs, weekly_windows=weekly
    )
    tune_up = request_for("CAtune", issue="yearly tune-up", issue_category="maintenance")
    assert (await service.book(tune_up)).ok  # Tuesday morning: one of its two units
    estimate = await service.open_windows(limit=2, job_type="install_estimate")
    # Tuesday morning has one unit left; afternoons have nobody who installs; next Tuesday does.
    assert [(w.date, w.window) for w in estimate] == [(WEDNESDAY, MORNING), (dt.date(2026, 12, 8), MORNING)]
    small = await service.open_windows(limit=1, job_type="tune_up")
    assert [(w.date, w.window) for w in small] == [(TUESDAY, MORNING)]
    quote = request_for("CAquote", issue="an estimate for a new system", date=TUESDAY, window=MORNING)
    assert (await service.book(quote)).reason == "window_full"
    assert (await service.book(quote.model_copy(update={"date": WEDNESDAY}))).ok
    assert await service.capacity(WEDNESDAY, MORNING) == (2, 2)
