"""End-to-end fixtures: the real app on uvicorn (loopback), signed like Twilio, virtual "now"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hvac_agent.app import create_app
from hvac_agent.clock import FixedClock
from hvac_agent.config import Settings
from tests.support.server import free_port, serve_in_thread
from tests.support.twilio_sim import TwilioCall

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
# Wednesday 2 December 2026, 09:00 in Austin: today's morning window has begun, so the first
# open windows are today 12:00-16:00, then Thursday morning and afternoon.
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


@dataclass
class Server:
    base_url: str
    clock: FixedClock
    settings: Settings

    def call(self, **kwargs: object) -> TwilioCall:
        return TwilioCall(self.base_url, AUTH_TOKEN, **kwargs)  # type: ignore[arg-type]

    def api(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(self.base_url + path, params=params, timeout=10)


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
    port = free_port()
    settings = make_settings(tmp_path, port)
    clock = FixedClock(NOW)
    with serve_in_thread(create_app(settings, clock=clock), port) as base:
        yield Server(base, clock, settings)


@pytest.fixture
def pg_redis_server(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[Server]:
    port = free_port()
    settings = make_settings(tmp_path, port, database_url=pg_url, redis_url=redis_url)
    clock = FixedClock(NOW)
    with serve_in_thread(create_app(settings, clock=clock), port) as base:
        yield Server(base, clock, settings)
