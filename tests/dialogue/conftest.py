"""Drive the pure core turn by turn with an in-memory booking port and a fixed "now"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.agent import run_step
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.state import CallerSaid, CallStarted, CallState, DigitsPressed, Event, Reply, Silence
from tests.dialogue.fake_booking import FakeBooking

NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


@dataclass
class Conversation:
    booking: FakeBooking = field(default_factory=FakeBooking)
    caller_id: str | None = "+15125550123"
    state: CallState = field(init=False)
    reply: Reply = field(init=False)

    def __post_init__(self) -> None:
        self.state = CallState(call_sid="CAtest", caller_id=self.caller_id, started_at=NOW)

    @property
    def ctx(self) -> DialogueContext:
        return DialogueContext(profile=BusinessProfile(), now=NOW)

    async def send(self, event: Event) -> Reply:
        self.state, self.reply = await run_step(self.state, event, self.ctx, self.booking)
        assert self.reply.effect is None
        return self.reply

    async def start(self) -> Reply:
        return await self.send(CallStarted(caller_id=self.caller_id))

    async def say(self, text: str) -> Reply:
        return await self.send(CallerSaid(text=text))

    async def press(self, digits: str) -> Reply:
        return await self.send(DigitsPressed(digits=digits))

    async def silence(self) -> Reply:
        return await self.send(Silence())


@pytest.fixture
def conversation() -> Conversation:
    return Conversation()
