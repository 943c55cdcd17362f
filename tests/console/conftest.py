"""Console fixtures: the real app on uvicorn (loopback) with an API token, a virtual "now", and a
browser-like client that signs in once and then rides on the session cookie."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hvac_agent.clock import FixedClock
from tests.e2e.conftest import NOW, make_settings
from tests.support.server import AppServer, app_server

API_TOKEN = "console-test-token-5f1c0a9e"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


class Browser:
    """httpx with a cookie jar, reading the CSRF value off each page like a browser's form would."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=15, follow_redirects=False)
        self.csrf = ""

    def get(self, path: str, **params: Any) -> httpx.Response:
        response = self.client.get(path, params=params) if params else self.client.get(path)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return self.client.post(path, data=form)

    def sign_in(self, token: str = API_TOKEN) -> httpx.Response:
        return self.client.post("/console/login", data={"token": token})

    def close(self) -> None:
        self.client.close()


@dataclass
class ConsoleServer(AppServer):
    profile_file: Path = Path()

    def browser(self) -> Browser:
        return Browser(self.base_url)


PROFILE = """\
name = "Comfort Zone Heating & Air"
timezone = "America/Chicago"
service_zips = ["78701-78799"]
technicians_per_window = 3
dispatch_fee = 89

[[windows]]
start = "08:00"
end = "12:00"

[[windows]]
start = "12:00"
end = "16:00"
"""


def serve_console(tmp_path: Path, profile: str | None = PROFILE, **overrides: object) -> Iterator[ConsoleServer]:
    """The app with the console's token (and `profile` as its business file, when given) on uvicorn."""
    profile_file = tmp_path / "business.toml"
    if profile is not None:
        profile_file.write_text(profile)
        overrides.setdefault("business_file", str(profile_file))
    settings = functools.partial(make_settings, tmp_path, api_token=API_TOKEN, **overrides)
    with app_server(settings, clock=FixedClock(NOW), configure_logs=False) as server:
        yield server.as_(ConsoleServer, profile_file=profile_file)


@pytest.fixture
def console_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    yield from serve_console(tmp_path)


@pytest.fixture
def browser(console_server: ConsoleServer) -> Iterator[Browser]:
    client = console_server.browser()
    assert client.sign_in().status_code == 303
    yield client
    client.close()
