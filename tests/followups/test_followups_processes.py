"""Follow-ups across real processes: a server SIGKILLed between a booking and its text (and while
the text is in flight), and a separate `hvac-agent worker` delivering jobs from Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import AUTH_TOKEN
from tests.e2e.scripts import book_cooperatively
from tests.fakes.fake_twilio_messaging import ACCOUNT_SID, FakeTwilioMessaging
from tests.followups.conftest import SMS_FROM, wait_for
from tests.support.server import ServerProcess
from tests.support.twilio_sim import TwilioCall

pytestmark = pytest.mark.slow
CALLER = "+15125550123"


@pytest.fixture
def twilio() -> Iterator[FakeTwilioMessaging]:
    with FakeTwilioMessaging(AUTH_TOKEN) as fake:
        yield fake


def _env(tmp_path: Path, twilio: FakeTwilioMessaging, **extra: str) -> dict[str, str]:
    env = {
        "HVAC_DATABASE_URL": f"sqlite:///{tmp_path / 'hvac.db'}",
        "HVAC_SESSION_DB": str(tmp_path / "sessions.db"),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HVAC_SMS_FROM": SMS_FROM,
        "HVAC_TWILIO_API_URL": twilio.api_url,
        "HVAC_LOG_LEVEL": "WARNING",
        "HVAC_OUTBOX_POLL_S": "0.1",
        "HVAC_OUTBOX_RETRY_BASE_S": "0.2",
    }
    env.update(extra)
    return env


def _book(server: ServerProcess) -> str:
    with TwilioCall(server.base_url, AUTH_TOKEN) as call:
        assert "You're all set" in book_cooperatively(call).text
        return call.call_sid


def _followups(server: ServerProcess) -> list[dict[str, object]]:
    return httpx.get(f"{server.base_url}/api/followups", timeout=10).json()  # type: ignore[no-any-return]


def test_killed_between_booking_and_text_sends_it_after_restart_once(
    tmp_path: Path, twilio: FakeTwilioMessaging
) -> None:
    # First life: the dispatcher looks once at start-up and then not for an hour, so the booking's
    # text is still only in the outbox when the process is killed.
    server = ServerProcess(_env(tmp_path, twilio, HVAC_OUTBOX_POLL_S="3600"))
    server.start()
    try:
        call_sid = _book(server)
        assert httpx.get(f"{server.base_url}/api/appointments", params={"call_sid": call_sid}).json()
        server.kill()
        assert twilio.messages == []
        server.env["HVAC_OUTBOX_POLL_S"] = "0.1"
        server.start()
        [text] = wait_for(lambda: twilio.sent_to(CALLER), what="the confirmation after restart")
        assert "your visit is booked" in text["body"]
        time.sleep(1.0)  # several more dispatcher passes: still one text
        assert len(twilio.sent_to(CALLER)) == 1
        [delivery] = [d for d in _followups(server) if d["channel"] == "sms_caller"]
        assert (delivery["status"], delivery["attempts"], delivery["provider_ref"]) == ("delivered", 1, text["sid"])
    finally:
        server.stop()


def test_killed_while_the_text_is_in_flight_never_sends_it_twice(tmp_path: Path, twilio: FakeTwilioMessaging) -> None:
    # Twilio accepts the message but the answer never comes back before the process dies.
    twilio.hold_next = 1
    server = ServerProcess(_env(tmp_path, twilio, HVAC_OUTBOX_LEASE_S="1"))
    server.start()
    try:
        _book(server)
        assert twilio.held.wait(15)
        server.kill()
        server.start()
        wait_for(
            lambda: [d for d in _followups(server) if d["channel"] == "sms_caller" and d["status"] == "delivered"],
            what="the in-doubt text to be settled",
        )
        [delivery] = [d for d in _followups(server) if d["channel"] == "sms_caller"]
        assert delivery["last_error"] == "found already sent" and delivery["attempts"] == 2
        assert len(twilio.sent_to(CALLER)) == 1
        assert delivery["provider_ref"] == twilio.sent_to(CALLER)[0]["sid"]
    finally:
        server.stop()


@pytest.mark.redis
@pytest.mark.postgres
def test_with_redis_a_separate_worker_process_delivers_the_jobs(
    tmp_path: Path, twilio: FakeTwilioMessaging, redis_url: str, pg_url: str
) -> None:
    queue = f"hvac:test:{uuid.uuid4().hex[:12]}"
    env = _env(tmp_path, twilio, HVAC_REDIS_URL=redis_url, HVAC_DATABASE_URL=pg_url, HVAC_JOB_QUEUE=queue)
    server = ServerProcess(env)
    server.start()
    worker: subprocess.Popen[bytes] | None = None
    log_path = tmp_path / "worker.log"
    try:
        _book(server)
        time.sleep(1.0)  # the web tier never delivers when a job queue is configured
        assert twilio.messages == []
        health = httpx.get(f"{server.base_url}/health", timeout=10).json()
        assert health["metrics"]["followups"]["runner"] == "queue"
        assert health["metrics"]["followups"]["unrouted_events"] >= 1  # waiting for a worker
        with open(log_path, "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "hvac_agent.cli", "worker"],
                env={**os.environ, **env},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        [text] = wait_for(lambda: twilio.sent_to(CALLER), timeout_s=60, what="the worker's text")
        assert "your visit is booked" in text["body"]
        [delivery] = [d for d in _followups(server) if d["channel"] == "sms_caller"]
        assert delivery["status"] == "delivered"
        assert str(delivery["delivered_by"]).endswith(f":{worker.pid}")  # the worker, not the web tier
        time.sleep(1.0)
        assert len(twilio.sent_to(CALLER)) == 1
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=5)
        server.stop()
    assert worker is not None and worker.returncode in (0, -signal.SIGTERM), log_path.read_text()[-2000:]
