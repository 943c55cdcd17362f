"""Durability and scale-out through real server processes: SIGKILL mid-call, two workers on Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import AUTH_TOKEN
from tests.e2e.scripts import COOPERATIVE, drive_call
from tests.support.server import ServerProcess, free_port
from tests.support.twilio_sim import TwilioCall

pytestmark = pytest.mark.slow


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "HVAC_DATABASE_URL": f"sqlite:///{tmp_path / 'hvac.db'}",
        "HVAC_SESSION_DB": str(tmp_path / "sessions.db"),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HVAC_LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


@pytest.fixture(params=["embedded", "redis"])
def restart_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "embedded":
        yield _env(tmp_path)
    else:
        redis_url = request.getfixturevalue("redis_url")
        pg_url = request.getfixturevalue("pg_url")
        yield _env(tmp_path, HVAC_REDIS_URL=redis_url, HVAC_DATABASE_URL=pg_url)


def test_sigkill_mid_call_then_restart_continues_where_it_was(restart_env: dict[str, str]) -> None:
    server = ServerProcess(restart_env)
    server.start()
    try:
        with TwilioCall(server.base_url, AUTH_TOKEN) as call:
            assert "unit" in drive_call(call, "unit").text.lower()  # problem, name, number, address
            server.kill()
            server.start()  # same port, same stores
            for line in COOPERATIVE[4:]:
                answer = call.say(line)
            assert "Dana Kim" in answer.text and "forty-four ten Duval Street" in answer.text
            assert "Shall I book it" in answer.text
            done = call.say("yes")
            assert "You're all set" in done.text
        found = httpx.get(f"{server.base_url}/api/appointments", params={"call_sid": call.call_sid}).json()
        assert len(found) == 1 and found[0]["customer_name"] == "Dana Kim"
        record = httpx.get(f"{server.base_url}/api/calls/{call.call_sid}").json()
        callers = [t["text"] for t in record["turns"] if t["role"] == "caller"]
        assert callers == [*COOPERATIVE, "yes"]  # turns from before the kill are all there
    finally:
        server.stop()


@pytest.mark.redis
@pytest.mark.postgres
def test_two_workers_on_redis_share_every_call(tmp_path: Path, redis_url: str, pg_url: str) -> None:
    public = f"http://127.0.0.1:{free_port()}"  # what Twilio signs: the load balancer's URL
    env = _env(tmp_path, HVAC_REDIS_URL=redis_url, HVAC_DATABASE_URL=pg_url, HVAC_PUBLIC_URL=public)
    workers = [ServerProcess(env), ServerProcess(env)]
    for worker in workers:
        worker.start()
    try:
        with TwilioCall(workers[0].base_url, AUTH_TOKEN, public_url=public) as call:
            call.start()
            for i, line in enumerate([*COOPERATIVE, "yes"]):
                call.base_url = workers[(i + 1) % 2].base_url  # alternate worker every turn
                answer = call.say(line)
            assert "You're all set" in answer.text
        for worker in workers:
            found = httpx.get(f"{worker.base_url}/api/appointments", params={"call_sid": call.call_sid}).json()
            assert len(found) == 1
            assert (found[0]["customer_name"], found[0]["zip"]) == ("Dana Kim", "78751")
    finally:
        for worker in workers:
            worker.stop()
