"""Contract rule 7 with the LLM agent answering: the real app on uvicorn, signed Twilio webhooks, and
the OpenAI-compatible fake model over real HTTP. Nothing about a booking under another number
reaches the model (or the caller) before the second factor matches; with it, the cancel goes through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hvac_agent.clock import FixedClock
from hvac_agent.dialogue import scripts
from tests.e2e.conftest import NOW, Server
from tests.e2e.scripts import booked_for_dana
from tests.fakes.fake_openai import FakeOpenAI, FakeResponse, serve_in_thread
from tests.llm.brain import nlu_brain
from tests.llm.support import llm_settings
from tests.support.server import app_server

BOOKED_NUMBER = "+15125550123"
OTHER_PHONE = "+15125550177"
SECRETS = ("Duval", "4410", "forty-four ten", "Dana", "Kim", "78751", "7 8 7 5 1")


class RecordingBrain:
    """The scripted model, keeping every request it was sent and every tool call it made."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.calls: list[tuple[int, str, dict[str, Any]]] = []  # (request index, tool, arguments)

    def __call__(self, body: dict[str, Any]) -> FakeResponse:
        self.bodies.append(body)
        response = nlu_brain(body)
        for call in response.tool_calls:
            self.calls.append((len(self.bodies) - 1, call.name, json.loads(call.arguments_text())))
        return response

    def tool_calls(self, since: int) -> list[tuple[str, dict[str, Any]]]:
        return [(name, args) for index, name, args in self.calls if index >= since]


@pytest.fixture
def brain() -> RecordingBrain:
    return RecordingBrain()


@pytest.fixture
def llm_server(tmp_path: Path, brain: RecordingBrain) -> Iterator[tuple[Server, FakeOpenAI]]:
    with serve_in_thread(brain) as fake, app_server(llm_settings(tmp_path, fake), clock=FixedClock(NOW)) as server:
        yield server, fake


def test_the_llm_agent_reveals_and_changes_nothing_without_the_second_factor(
    llm_server: tuple[Server, FakeOpenAI], brain: RecordingBrain
) -> None:
    server, _ = llm_server
    appointment = booked_for_dana(server)
    since = len(brain.bodies)
    with server.call(caller=OTHER_PHONE) as call:
        heard = [call.start().text]
        heard.append(call.say("i want to cancel my appointment, it's under 512 555 0123").text)
        assert scripts.VERIFY_QUESTION in heard[-1]
        heard.append(call.say("john smith").text)
        heard.append(call.say("yes cancel it").text)  # not a second factor: still nothing happens
        heard.append(call.say("pat jones").text)
        assert any(scripts.VERIFY_GIVE_UP in text for text in heard[3:]), heard  # and a person is offered
        call.hang_up()
    # The model was asked (and looked the number up through its tool) ...
    assert ("cancel_booking", {"phone": BOOKED_NUMBER}) in brain.tool_calls(since)
    # ... but nothing it was sent, and nothing the caller heard, says anything about the booking.
    # (Dialogue turns only: the summary of Dana's own call may be written by the model meanwhile.)
    turns = [body["messages"] for body in brain.bodies[since:] if body.get("tools")]
    assert turns
    sent = json.dumps(turns)
    assert [s for s in SECRETS if s in sent] == [], sent
    assert [s for s in SECRETS for text in heard if s.lower() in text.lower()] == [], heard
    after = server.api(f"/api/appointments/{appointment['id']}").json()
    assert after["status"] == "booked"


def test_the_llm_agent_cancels_once_the_name_on_the_booking_is_given(
    llm_server: tuple[Server, FakeOpenAI], brain: RecordingBrain
) -> None:
    server, _ = llm_server
    appointment = booked_for_dana(server)
    since = len(brain.bodies)
    with server.call(caller=OTHER_PHONE) as call:
        call.start()
        call.say("i want to cancel my appointment, it's under 512 555 0123")
        found = call.say("dana kim")
        assert "forty-four ten Duval Street" in found.text and "cancel it" in found.text, found.text
        done = call.say("yes")
        assert scripts.CANCELLED in done.text and done.hangup
        call.hang_up()
    assert [name for name, _ in brain.tool_calls(since)].count("cancel_booking") >= 2  # look-up, then the cancel
    assert server.api(f"/api/appointments/{appointment['id']}").json()["status"] == "cancelled"


def test_the_model_knows_a_returning_callers_bookings_and_only_theirs(
    llm_server: tuple[Server, FakeOpenAI], brain: RecordingBrain
) -> None:
    server, _ = llm_server
    booked_for_dana(server)

    def summaries(caller: str) -> list[str]:
        since = len(brain.bodies)
        with server.call(caller=caller) as call:
            call.start()
            call.say("the ac is blowing warm air")
            call.hang_up()
        return [body["messages"][1]["content"] for body in brain.bodies[since:] if body.get("tools")]

    returning = summaries(BOOKED_NUMBER)
    assert returning and all("returning caller (caller ID)" in text for text in returning)
    assert "Dana Kim at 4410 Duval Street" in returning[0] and "past bookings: 2026-12-02" in returning[0]
    stranger = summaries(OTHER_PHONE)
    assert stranger and not any(secret in text for text in stranger for secret in SECRETS)
