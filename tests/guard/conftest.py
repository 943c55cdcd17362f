"""Servers for the trust-boundary tests: the real app on uvicorn, tuned per test through settings."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from hvac_agent.app import create_app
from hvac_agent.clock import FixedClock, ScaledClock
from hvac_agent.config import Settings
from hvac_agent.tools.simulator import CallerSimulator
from tests.e2e.conftest import make_settings
from tests.support.server import free_port, serve_in_thread
from tests.support.twilio_sim import TwilioCall

TOKEN = "guard-test-auth-token-0123456789ab"
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)  # a Wednesday morning in Austin


def fresh_number() -> str:
    """A caller number no other test uses (the per-number limit counts across a shared Redis)."""
    return f"+1512555{random.randint(2000, 9999):04d}"


@dataclass
class GuardServer:
    base_url: str
    app: Any
    clock: FixedClock
    settings: Settings

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/twilio/stream"

    @property
    def voice_url(self) -> str:
        return self.base_url + "/twilio/voice"

    def signed_upgrade(self) -> dict[str, str]:
        """What Twilio sends on the stream upgrade: the same for every call (hence the tokens)."""
        token = self.settings.twilio_auth_token or TOKEN
        return {"X-Twilio-Signature": RequestValidator(token).compute_signature(self.ws_url, {})}

    def call(self, **kwargs: Any) -> TwilioCall:
        return TwilioCall(self.base_url, self.settings.twilio_auth_token, **kwargs)

    def simulator(self, **kwargs: Any) -> CallerSimulator:
        kwargs.setdefault("voice_url", self.voice_url)
        return CallerSimulator(
            self.ws_url,
            headers=self.signed_upgrade(),
            auth_token=self.settings.twilio_auth_token,
            quiet_s=0.3,
            **kwargs,
        )

    def metrics(self) -> str:
        return httpx.get(self.base_url + "/metrics", timeout=10).text

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=10, **kwargs)


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
        port = free_port(host)
        settings = guard_settings(tmp_path, port, host, **overrides)
        clock = FixedClock(NOW)
        app = create_app(settings, clock=clock, configure_logs=configure_logs)
        app.state.voice_clock = ScaledClock(10.0)
        with serve_in_thread(app, port, host=host) as base:
            yield GuardServer(base, app, clock, settings)

    return start
