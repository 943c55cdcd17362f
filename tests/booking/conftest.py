"""Booking fixtures: every database test runs on SQLite (a temp file) and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from booking_support import TUESDAY_0630
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import create_engine, migrate
from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import FixedClock
from hvac_agent.config import BusinessProfile


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db')}/hvac.db"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(db_url)
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY_0630)


@pytest.fixture
def profile() -> BusinessProfile:
    return BusinessProfile()


@pytest.fixture
def service(engine: AsyncEngine, profile: BusinessProfile, clock: FixedClock) -> BookingService:
    return BookingService(engine, profile, clock)


@pytest.fixture
def records(engine: AsyncEngine, clock: FixedClock) -> CallRecords:
    return CallRecords(engine, clock)
