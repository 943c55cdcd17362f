"""Caller scripts shared by the end-to-end tests, and `drive_call`: a call taken to a named point."""

from __future__ import annotations

from typing import Any, Literal

from tests.support.server import AppServer
from tests.support.twilio_sim import TwilioCall, Twiml

COOPERATIVE = [
    "my furnace stopped working and there's no heat",
    "dana kim",
    "yes",
    "4410 duval street 78751",
    "no",
    "no",
    "the first one",
]

# Where the cooperative call stands after each of its turns, named by what the agent then waits
# for (the same names as the LLM agent's `tests/llm/scenario.POINTS`); "booked" ends the call.
Point = Literal["intent", "name", "phone_confirm", "address", "unit", "urgency", "window", "confirm", "booked"]
POINTS: tuple[Point, ...] = (
    "intent",
    "name",
    "phone_confirm",
    "address",
    "unit",
    "urgency",
    "window",
    "confirm",
    "booked",
)
# What the caller hears on reaching a point, where the wording is the dialogue's for every agent.
HEARD: dict[Point, str] = {
    "unit": "unit",
    "window": "which works best",
    "confirm": "shall i book it",
    "booked": "you're all set",
}


def drive_call(call: TwilioCall, to: Point) -> Twiml:
    """Greet, then play the cooperative caller until the agent waits for `to`; returns what was
    last heard. Checks the read-back's question on the way to a booking, and what `to` sounds like."""
    heard = call.start()
    for point, line in zip(POINTS[1:], [*COOPERATIVE, "yes"][: POINTS.index(to)], strict=False):
        heard = call.say(line)
        if point == "confirm":
            assert "Shall I book it" in heard.text, heard.text
    expected = HEARD.get(to)
    assert expected is None or expected in heard.text.lower(), (to, heard.text)
    if to == "booked":
        assert heard.hangup, heard.text
    return heard


def book_cooperatively(call: TwilioCall) -> Twiml:
    """A plain, cooperative caller: greeting to read-back, then the explicit yes."""
    return drive_call(call, "booked")


DANA = "+15125550123"  # Dana Kim, 4410 Duval Street, 78751: the cooperative caller's own phone


def booked_for_dana(server: AppServer) -> dict[str, Any]:
    """A cooperative call from Dana's phone, booked; the appointment as the API shows it."""
    with server.call(caller=DANA) as call:
        book_cooperatively(call)
        call.hang_up()
    [appointment] = server.api("/api/appointments", phone=DANA).json()
    assert isinstance(appointment, dict)
    return appointment
