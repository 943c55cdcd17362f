"""The cooperative caller (the e2e script) with the fake model's matching moves, and `drive_to`:
a call on an agent taken to a named point (the same points as the e2e `drive_call`)."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hvac_agent.dialogue.agent import Agent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.state import CallerSaid, CallStarted, CallState, Reply
from tests.e2e.scripts import COOPERATIVE as CALLER_LINES
from tests.e2e.scripts import POINTS, Point
from tests.fakes.fake_openai import FakeResponse, FakeToolCall
from tests.llm.support import CALLER_ID, NOW, last_tool_result


def tool(tool_name: str, /, **args: Any) -> FakeToolCall:
    return FakeToolCall(tool_name, args)


def update(**args: Any) -> FakeResponse:
    return FakeResponse(tool_calls=[FakeToolCall("update_caller_details", args)])


def say(text: str) -> FakeResponse:
    return FakeResponse(text=text)


def offer_windows(body: dict[str, Any]) -> FakeResponse:
    windows = last_tool_result(body)["windows"]
    spoken = [w["say"] for w in windows]
    return say(f"I have {', or '.join(spoken)}. Which works best for you?")


def offered_in_summary(body: dict[str, Any]) -> list[tuple[str, str]]:
    summary = body["messages"][1]["content"]
    line = next(x for x in summary.splitlines() if x.startswith("windows offered:"))
    return re.findall(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d-\d\d:\d\d)", line)


def choose_first(body: dict[str, Any]) -> FakeResponse:
    date, window = offered_in_summary(body)[0]
    return update(date=date, window=window)


# The model's moves for each line of the cooperative caller (`tests/e2e/scripts.COOPERATIVE`,
# then the final yes): one caller script for both agents.
MOVES: list[list[Any]] = [
    [
        update(issue="furnace stopped working, no heat", issue_category="no_heat"),
        say("I'm sorry to hear that. May I have your first and last name?"),
    ],
    [
        update(name="Dana Kim"),
        say("Thanks, Dana. Is the number you're calling from the best one to reach you?"),
    ],
    [update(use_caller_id=True), say("Great. What's the street address and ZIP code of the visit?")],
    [
        update(street="4410 Duval Street", zip="78751"),
        say("Got it. Is there an apartment or unit number?"),
    ],
    [update(no_unit=True), say("Is anyone at home especially at risk from the cold, like an infant?")],
    [
        FakeResponse(
            tool_calls=[tool("update_caller_details", urgency="routine"), tool("check_availability")],
            arg_chunk_chars=3,
        ),
        offer_windows,
    ],
    [choose_first],
    [FakeResponse(tool_calls=[tool("create_booking")])],
]
# (caller words, the model's moves for that turn)
COOPERATIVE: list[tuple[str, list[Any]]] = list(zip([*CALLER_LINES, "yes"], MOVES, strict=True))


@dataclass
class Call:
    """Drives one call through an agent and keeps every reply."""

    agent: Agent
    booking: BookingPort
    ctx: DialogueContext
    call_sid: str = "CA-llm-1"
    state: CallState = field(init=False)
    replies: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = CallState(call_sid=self.call_sid, caller_id=CALLER_ID, started_at=NOW)

    async def start(self) -> Reply:
        self.state, reply = await self.agent.respond(
            self.state, CallStarted(caller_id=CALLER_ID), self.ctx, self.booking
        )
        self.replies.append(reply)
        return reply

    async def say(self, text: str) -> Reply:
        self.state, reply = await self.agent.respond(self.state, CallerSaid(text=text), self.ctx, self.booking)
        self.replies.append(reply)
        return reply

    @property
    def said(self) -> list[str]:
        return [r.say for r in self.replies]


async def drive_to(call: Call, brain: Any, point: Point) -> Call:
    """Greet, then play the cooperative caller (and the model's moves) until the agent waits for
    `point`; fails at once if the call is anywhere else by then."""
    await call.start()
    for words, moves in COOPERATIVE[: POINTS.index(point)]:
        brain.add(*moves)
        await call.say(words)
    if point == "booked":
        assert call.state.outcome == "booked" and call.state.ended, call.said[-1]
    else:
        assert call.state.asked == point and not call.state.ended, (call.state.asked, call.said[-1])
    if point == "confirm":
        assert call.state.awaiting_yes == "book" and call.said[-1].endswith("Shall I book it?")
    return call


class CallAt(Protocol):
    """The `call_at` fixture: a new call driven to `point` (on the LLM agent unless `agent` is given)."""

    def __call__(self, point: Point, *, agent: Agent | None = None, call_sid: str = ...) -> Awaitable[Call]: ...
