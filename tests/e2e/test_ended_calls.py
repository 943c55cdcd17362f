"""Ended calls stay ended: late or replayed webhooks get a polite hang-up and change nothing.

Through the real server (signed webhooks), and through two server processes sharing Redis for the
active-calls figure.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from hvac_agent.dialogue.scripts import CALL_ALREADY_ENDED
from tests.e2e.conftest import AUTH_TOKEN, Server
from tests.e2e.scripts import COOPERATIVE, drive_call
from tests.support.server import ServerProcess
from tests.support.twilio_sim import TwilioCall, Twiml


def _record(server: Server, call_sid: str) -> dict[str, object]:
    response = server.api(f"/api/calls/{call_sid}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert found is not None, f"{name} not in /metrics"
    return float(found.group(1))


def _post(call: TwilioCall, url: str, extra: dict[str, str]) -> Twiml:
    params = {"CallSid": call.call_sid, "From": call.caller, "To": call.to, **extra}
    response = call.post_raw(url, params)
    assert response.status_code == 200, response.text
    return Twiml.parse(response.text)


def test_turn_after_completed_status_does_not_bring_the_call_back(server: Server) -> None:
    with server.call() as call:
        call.start()
        call.say("my furnace stopped working")
        next_action = call.last.gather_action  # type: ignore[union-attr]
        assert call.hang_up().status_code == 200
        before = _record(server, call.call_sid)
        assert before["ended_at"] is not None

        late = call.say("hi this is dana kim")  # the gather posted after the call was completed
        assert late.hangup and late.text == CALL_ALREADY_ENDED and late.gather_action is None
        again = call.start()  # a replayed incoming-call webhook
        assert again.hangup and again.text == CALL_ALREADY_ENDED
        assert _post(call, str(next_action), {"Digits": "1"}).hangup

    after = _record(server, call.call_sid)
    assert after == before  # no new turns, same outcome and end time
    metrics = server.api("/metrics").text
    assert _metric(metrics, "hvac_active_calls") == 0
    assert _metric(metrics, 'hvac_requests_refused_total{reason="call_ended"}') == 3
    assert _metric(metrics, 'hvac_calls_total{mode="gather"}') == 1


def test_repeated_status_callback_ends_the_call_once(server: Server) -> None:
    with server.call() as call:
        call.start()
        call.say("my ac is blowing warm air")
        call.hang_up(duration_s=42)
        call.hang_up(duration_s=42)
    metrics = server.api("/metrics").text
    assert _metric(metrics, 'hvac_calls_ended_total{outcome="abandoned"}') == 1
    assert _record(server, call.call_sid)["outcome"] == "abandoned"


def test_turn_older_than_the_retry_window_changes_nothing(server: Server) -> None:
    with server.call() as call:
        first_action = call.start().gather_action  # the first turn's URL (turn=0)
        for line in COOPERATIVE[:5]:
            call.say(line)
        call.silence()
        call.silence()  # seven answered turns: the answer to the first is no longer kept for retries
        assert call.last is not None and call.last.gather_action is not None
        before = _record(server, call.call_sid)

        stale = _post(call, str(first_action), {"SpeechResult": "cancel everything", "Confidence": "0.9"})
        assert stale.hangup and stale.text == CALL_ALREADY_ENDED
        assert _record(server, call.call_sid) == before

        # The live call goes on where it was: a fresh turn is answered normally.
        go_on = call.silence()
        assert go_on.gather_action is not None or go_on.hangup
        turns = _record(server, call.call_sid)["turns"]
        assert isinstance(turns, list) and len(turns) > len(before["turns"])  # type: ignore[arg-type]
    metrics = server.api("/metrics").text
    assert _metric(metrics, 'hvac_requests_refused_total{reason="stale_turn"}') == 1


def test_turn_after_the_dialogue_hung_up_changes_nothing(server: Server) -> None:
    with server.call() as call:
        done = drive_call(call, "booked")
        assert done.hangup and "You're all set" in done.text
        before = _record(server, call.call_sid)
        retried = call.retry_last()  # Twilio's retry of the last turn still gets the same answer
        assert Twiml.parse(retried.text).text == done.text
        target, params, _headers = call.last_request  # type: ignore[misc]
        answered = int(target.rsplit("turn=", 1)[1])
        # A forged "next turn" after the goodbye (a new token, the turn number that would come next).
        replay = _post(call, f"/twilio/gather?turn={answered + 1}", dict(params))
        assert replay.hangup and replay.text == CALL_ALREADY_ENDED
        assert _record(server, call.call_sid) == before
    found = server.api("/api/appointments", call_sid=call.call_sid).json()
    assert len(found) == 1


@pytest.fixture
def private_redis_url(redis_url: str) -> Iterator[str]:
    """A Redis database of its own (the shared one carries other tests' calls), emptied around the test."""
    base, _, _ = redis_url.rpartition("/")
    url = f"{base}/{random.randint(8, 15)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.mark.slow
def test_active_calls_are_right_across_two_server_processes(
    tmp_path: Path, private_redis_url: str, pg_url: str
) -> None:
    env = {
        "HVAC_DATABASE_URL": pg_url,
        "HVAC_REDIS_URL": private_redis_url,
        "HVAC_SESSION_DB": str(tmp_path / "sessions.db"),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HVAC_LOG_LEVEL": "WARNING",
    }
    first, second = ServerProcess(env), ServerProcess(env)
    for worker in (first, second):
        worker.launch()
    for worker in (first, second):
        worker.wait()

    def active(worker: ServerProcess) -> float:
        return _metric(httpx.get(f"{worker.base_url}/metrics", timeout=10).text, "hvac_active_calls")

    calls: list[TwilioCall] = []
    try:
        for _ in range(3):  # started on the first worker (each signed for the URL it is posted to)
            call = TwilioCall(first.base_url, AUTH_TOKEN)
            calls.append(call)
            call.start()
            call.say("my heater is broken")
        assert (active(first), active(second)) == (3, 3)
        assert httpx.get(f"{second.base_url}/health", timeout=10).json()["metrics"]["active_calls"] == 3

        for call in calls[:2]:  # the status callbacks land on the second worker
            ender = TwilioCall(second.base_url, AUTH_TOKEN, call_sid=call.call_sid, caller=call.caller)
            with ender:
                assert ender.hang_up().status_code == 200
        assert (active(first), active(second)) == (1, 1)

        # A late turn for an ended call, on the worker that started it, does not bring it back.
        late_turn = calls[0].say("are you still there")
        assert late_turn.hangup and late_turn.text == CALL_ALREADY_ENDED
        assert (active(first), active(second)) == (1, 1)

        calls[2].hang_up()
        assert (active(first), active(second)) == (0, 0)
    finally:
        for call in calls:
            call.close()
        for worker in (first, second):
            worker.stop()
