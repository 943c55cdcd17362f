"""How the app is wired: typed services made by the lifespan, and nothing test-only on the import path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hvac_agent.app import create_app
from hvac_agent.clock import FixedClock, ScaledClock
from hvac_agent.services import Services, services_of
from tests.e2e.conftest import NOW, make_settings
from tests.support.server import app_server


def test_the_server_never_imports_the_caller_simulator() -> None:
    code = "import sys, hvac_agent.app, hvac_agent.cli; print([m for m in sys.modules if 'simulator' in m])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_services_exist_only_once_the_app_has_started(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, 8000), clock=FixedClock(NOW), configure_logs=False)
    with pytest.raises(RuntimeError, match="has not started"):
        services_of(app)


def test_each_app_owns_its_services_and_clocks(tmp_path: Path) -> None:
    """Two apps in one process (two workers' worth) share no stats, profile or clock."""
    business, audio = FixedClock(NOW), ScaledClock(4.0)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        app_server(lambda port: make_settings(tmp_path / "a", port), clock=business, voice_clock=audio) as a,
        app_server(lambda port: make_settings(tmp_path / "b", port), clock=FixedClock(NOW)) as b,
    ):
        assert isinstance(a.services, Services) and a.services is not b.services
        assert a.services.clock is business and a.services.stream.clock is audio
        assert a.services.stream.stats is not b.services.stream.stats
        assert a.services.calls.clock is business
        assert a.services.profile is a.services.calls.profile
        assert a.api("/health").json()["status"] == "ok"
