"""Servers for the trust-boundary tests: the real app on uvicorn, tuned per test through settings."""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hvac_agent.clock import FixedClock, ScaledClock
from hvac_agent.config import Settings
from hvac_agent.tools.simulator import CallerSimulator
from tests.e2e.conftest import make_settings
from tests.support.server import AppServer, app_server

TOKEN = "guard-test-auth-token-0123456789ab"
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)  # a Wednesday morning in Austin


def fresh_number() -> str:
    """A caller number no other test uses (the per-number limit counts across a shared Redis)."""
    return f"+1512555{random.randint(2000, 9999):04d}"


@dataclass
class GuardServer(AppServer):
    def simulator(self, **kwargs: Any) -> CallerSimulator:
        kwargs.setdefault("quiet_s", 0.3)
        return super().simulator(**kwargs)

    def metrics(self) -> str:
        return httpx.get(self.base_url + "/metrics", timeout=10).text


def guard_settings(tmp_path: Path, port: int, host: str = "127.0.0.1", **overrides: object) -> Settings:
    """The e2e settings, on `host`, with instant fake speech engines for stream mode."""
    values: dict[str, object] = {
        "twilio_auth_token": TOKEN,
        "public_url": f"http://{host}:{port}",
        "stt_engines": "fake",
        "tts_engines": "fake",
        "fake_transcript": "I want to talk to a representative",
    }
    values.update(overrides)
    return make_settings(tmp_path, port, **values)


ServerFactory = Callable[..., AbstractContextManager[GuardServer]]


@pytest.fixture
def guard_server(tmp_path: Path) -> ServerFactory:
    """`with guard_server(voice_mode="stream", max_streams=2) as server:` — a real server with
    these settings. Two started in one test share the database and the session store, like two
    workers of one deployment."""

    @contextmanager
    def start(host: str = "127.0.0.1", configure_logs: bool = False, **overrides: object) -> Iterator[GuardServer]:
        settings = functools.partial(guard_settings, tmp_path, host=host, **overrides)
        with app_server(
            settings, clock=FixedClock(NOW), voice_clock=ScaledClock(10.0), host=host, configure_logs=configure_logs
        ) as server:
            yield server.as_(GuardServer)

    return start
