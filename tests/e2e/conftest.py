"""End-to-end fixtures: the real app on uvicorn (loopback), signed like Twilio, virtual "now"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.config import Settings
from tests.support.server import AppServer, app_server

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
# Wednesday 2 December 2026, 09:00 in Austin: today's morning window has begun, so the first
# open windows are today 12:00-16:00, then Thursday morning and afternoon.
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


Server = AppServer  # the e2e view of a running app: base URL, clock, settings, `call()`, `api()`


def make_settings(tmp_path: Path, port: int, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'hvac.db'}",
        "session_db_path": str(tmp_path / "sessions.db"),
        "twilio_auth_token": AUTH_TOKEN,
        "public_url": f"http://127.0.0.1:{port}",
        "log_level": "WARNING",
        "calls_per_number": 100_000,  # tested on its own (tests/guard), with numbers no other test uses
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with app_server(lambda port: make_settings(tmp_path, port), clock=FixedClock(NOW)) as running:
        yield running


@pytest.fixture
def pg_redis_server(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[Server]:
    def settings(port: int) -> Settings:
        return make_settings(tmp_path, port, database_url=pg_url, redis_url=redis_url)

    with app_server(settings, clock=FixedClock(NOW)) as running:
        yield running
