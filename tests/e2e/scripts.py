"""Caller scripts shared by the end-to-end tests."""

from __future__ import annotations

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


def book_cooperatively(call: TwilioCall) -> Twiml:
    """A plain, cooperative caller: greeting to read-back, then the explicit yes."""
    call.start()
    for line in COOPERATIVE:
        call.say(line)
    assert "Shall I book it" in call.last.text, call.last.text  # type: ignore[union-attr]
    return call.say("yes")
