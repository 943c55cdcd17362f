"""Real servers for tests: uvicorn on a loopback port, in a thread or in a child process.

`app_server` is the one way tests start our app in-process; fakes of other parties (model,
speech and messaging providers, webhook receivers) use `serve_in_thread` / `ThreadServer`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import uvicorn

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hvac_agent.clock import Clock
    from hvac_agent.config import Settings
    from hvac_agent.services import Services
    from hvac_agent.tools.simulator import CallerSimulator
    from tests.support.twilio_sim import TwilioCall

S = TypeVar("S", bound="AppServer")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_healthy(base_url: str, timeout_s: float = 30.0, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code in (200, 503):
                return
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.05)
    raise TimeoutError(f"server at {base_url} not healthy: {last!r}")


class ThreadServer:
    """An ASGI app on uvicorn in a background thread that a test can stop and start again on the
    same port (a receiver that is down for a while). Configured as `hvac-agent serve` runs it:
    uvicorn's own proxy-header handling off."""

    def __init__(self, app: Any, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = port or free_port(host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="on",
            proxy_headers=False,
        )
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60  # start-up warms models up: slow on a loaded 2-core machine
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self.base_url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None


@contextmanager
def serve_in_thread(app: Any, port: int | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """Run an ASGI app on uvicorn in a background thread; yields its base URL."""
    server = ThreadServer(app, port, host)
    try:
        yield server.start()
    finally:
        server.stop()


@dataclass
class AppServer:
    """Our app running on uvicorn (loopback, a background thread), with what tests reach for."""

    base_url: str
    port: int
    app: FastAPI
    clock: Clock
    settings: Settings

    @property
    def services(self) -> Services:
        from hvac_agent.services import services_of

        return services_of(self.app)

    def call(self, **kwargs: Any) -> TwilioCall:
        """A phone call signed like Twilio's, placed on this server (`tests/support/twilio_sim`)."""
        from tests.support.twilio_sim import TwilioCall

        return TwilioCall(self.base_url, self.settings.twilio_auth_token, **kwargs)

    def api(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(self.base_url + path, params=params, timeout=10)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.base_url + path, timeout=10, **kwargs)

    @property
    def voice_url(self) -> str:
        return self.base_url + "/twilio/voice"

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/twilio/stream"

    def signed_upgrade(self) -> dict[str, str]:
        """What Twilio sends on the stream upgrade: the same for every call (hence the tokens)."""
        from twilio.request_validator import RequestValidator

        token = self.settings.twilio_auth_token or "unchecked"
        return {"X-Twilio-Signature": RequestValidator(token).compute_signature(self.ws_url, {})}

    def simulator(self, **kwargs: Any) -> CallerSimulator:
        """A caller that dials in as Twilio does: the incoming-call webhook, then the media stream."""
        from hvac_agent.tools.simulator import CallerSimulator

        kwargs.setdefault("voice_url", self.voice_url)
        return CallerSimulator(
            self.ws_url, headers=self.signed_upgrade(), auth_token=self.settings.twilio_auth_token, **kwargs
        )

    def as_(self, cls: type[S], **extra: Any) -> S:
        """This server as a richer view (a test folder's subclass with its own helpers)."""
        return cls(**{f.name: getattr(self, f.name) for f in fields(AppServer)}, **extra)


@contextmanager
def app_server(
    settings: Callable[[int], Settings], *, clock: Clock, host: str = "127.0.0.1", **create: Any
) -> Iterator[AppServer]:
    """`create_app(settings(port), clock=clock, **create)` on a free loopback port, started and
    stopped around the block. `settings` gets the port (the public URL signatures are checked on)."""
    from hvac_agent.app import create_app

    port = free_port(host)
    configured = settings(port)
    app = create_app(configured, clock=clock, **create)
    with serve_in_thread(app, port, host=host) as base:
        yield AppServer(base, port, app, clock, configured)


class ServerProcess:
    """`hvac-agent serve` in a child process (so a test can SIGKILL it and start it again)."""

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        workers: int = 1,
        log_path: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.port = port or free_port()
        self.env = {
            # Tests share one Redis and call from the same few numbers: the per-number limit on new
            # calls is tested on its own (tests/guard), with numbers no other test uses.
            "HVAC_CALLS_PER_NUMBER": "100000",
            **os.environ,
            **env,
            "HVAC_PUBLIC_URL": env.get("HVAC_PUBLIC_URL", f"http://127.0.0.1:{self.port}"),
        }
        self.workers = workers
        self.host = host
        self.process: subprocess.Popen[bytes] | None = None
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix="hvac-server-", suffix=".log")
            os.close(fd)
        self.log_path = log_path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.launch()
        self.wait()

    def launch(self) -> None:
        """Start the process without waiting (several can then start side by side)."""
        cmd = [sys.executable, "-m", "hvac_agent.cli", "serve", "--host", self.host, "--port", str(self.port)]
        cmd += ["--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:  # a file, never a pipe nobody drains
            self.process = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log, start_new_session=True)

    def wait(self) -> None:
        """Until it answers `/health`; a server that does not start is stopped and its log shown."""
        try:
            wait_healthy(self.base_url, timeout_s=90, process=self.process)
        except Exception as error:
            self.stop()  # never leave a half-started server behind
            with open(self.log_path, errors="replace") as log:
                tail = log.read()[-3000:]
            raise RuntimeError(f"server did not start: {error}\n--- server log ---\n{tail}") from error

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handlers run."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen[Any]) -> None:
    """SIGTERM a child started with `start_new_session=True` and its children; SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def stream_settings(tmp_path: Any, port: int, token: str, **overrides: Any) -> Any:
    """Settings for a stream-mode test server on `port`: its own SQLite files, signed upgrades."""
    from hvac_agent.config import Settings

    return Settings.model_validate(
        {
            "database_url": f"sqlite:///{tmp_path / 'hvac.db'}",
            "session_db_path": str(tmp_path / "sessions.db"),
            "twilio_auth_token": token,
            "public_url": f"http://127.0.0.1:{port}",
            "voice_mode": "stream",
            "log_level": "WARNING",
            "calls_per_number": 100_000,  # the shared Redis must never trip the per-number limit
            **overrides,
        }
    )
