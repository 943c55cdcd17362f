"""How much time the LLM agent adds to a turn, and how much earlier streaming starts speaking.

1. Overhead: the same turns through (a) the bare OpenAI SDK and (b) our LlmAgent (NLU pre-checks,
   prompt and state summary, streaming client with breaker and deadline, sentence splitting,
   speech guard, tool validation), both against an instant fake model on loopback. Our added
   time per turn = (b) - (a), reported as p50/p99.
2. Streaming: a model that streams a three-sentence reply at a steady token rate; time to the
   first sentence handed to TTS vs time to the last token.

Run: `python bench/llm_overhead.py [--turns 200]` (a few seconds; loopback only).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from openai import AsyncOpenAI

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.agent import RulesAgent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.llm_agent import LlmAgent
from hvac_agent.dialogue.state import (
    AppointmentRef,
    BookingRequest,
    BookingResult,
    CallerSaid,
    CallState,
    ChangeResult,
    PastVisit,
    WindowOffer,
)
from hvac_agent.llm.client import LlmClient
from tests.fakes.fake_openai import FakeOpenAI, FakeResponse, FakeToolCall

NOW = dt.datetime(2026, 12, 1, 12, 30, tzinfo=dt.UTC)
TEXT = "Thanks, Dana. I've noted that. What's the best number to reach you?"
STREAMED = (
    "I'm sorry to hear your furnace stopped working. Let's get a technician out to you. "
    "May I have your first and last name?"
)


class NoBooking:
    """The turns measured here never reach the booking service."""

    async def open_windows(self, **kwargs: Any) -> list[WindowOffer]:
        return []

    async def book(self, request: BookingRequest) -> BookingResult:
        return BookingResult(ok=False, reason="error")

    async def find_by_phone(self, phone: str) -> list[AppointmentRef]:
        return []

    async def past_visits(self, phone: str) -> list[PastVisit]:
        return []

    async def forget_caller(self, phone: str) -> bool:
        return False

    async def cancel(self, appointment_id: int, *, call_sid: str) -> ChangeResult:
        return ChangeResult(ok=False, reason="error")

    async def reschedule(self, appointment_id: int, **kwargs: Any) -> ChangeResult:
        return ChangeResult(ok=False, reason="error")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(label: str, values_ms: list[float]) -> str:
    return (
        f"  {label:<38} p50 {pct(values_ms, 0.5):7.2f} ms   p99 {pct(values_ms, 0.99):7.2f} ms   "
        f"mean {statistics.fmean(values_ms):7.2f} ms"
    )


async def bare_turn(sdk: AsyncOpenAI, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        stream = await sdk.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "dana kim"}], stream=True, tools=[]
        )
        async for _chunk in stream:
            pass
    return time.perf_counter() - started


async def agent_turn(agent: LlmAgent, state: CallState, ctx: DialogueContext) -> float:
    started = time.perf_counter()
    await agent.respond(state, CallerSaid(text="dana kim"), ctx, NoBooking())
    return time.perf_counter() - started


async def overhead(turns: int) -> None:
    profile = BusinessProfile()
    ctx = DialogueContext(profile=profile, now=NOW)
    state = CallState(
        call_sid="CA-bench",
        caller_id="+15125550123",
        started_at=NOW,
        asked="name",
        last_question="May I have your first and last name?",
    )
    state.slots.issue = "furnace stopped working"
    for tools in (False, True):

        def script(body: dict[str, Any], tools: bool = tools) -> FakeResponse:
            if tools and body["messages"][-1]["role"] != "tool" and body.get("tools"):
                return FakeResponse(tool_calls=[FakeToolCall("update_caller_details", {"name": "Dana Kim"})])
            return FakeResponse(text=TEXT)

        async with FakeOpenAI(script) as fake:
            sdk = AsyncOpenAI(base_url=fake.base_url, api_key="k", max_retries=0)
            client = LlmClient(base_url=fake.base_url, api_key="k")
            agent = LlmAgent(client, model="m", fast_model=None, rules=RulesAgent())
            requests = 2 if tools else 1
            for _ in range(20):  # warm-up: connections, imports, caches
                await bare_turn(sdk, requests)
                await agent_turn(agent, state, ctx)
            bare, ours = [], []
            for _ in range(turns):
                bare.append(await bare_turn(sdk, requests) * 1000)
                ours.append(await agent_turn(agent, state, ctx) * 1000)
            added = [o - b for o, b in zip(ours, bare, strict=True)]
            kind = "text + 1 tool call (2 requests)" if tools else "text only (1 request)"
            print(f"turn: {kind}, {turns} turns")
            print(line("bare SDK against the fake", bare))
            print(line("LlmAgent.respond, same turn", ours))
            print(line("added by us", added))
            await sdk.close()
            await client.aclose()


async def streaming(runs: int, chunk_delay_s: float) -> None:
    profile = BusinessProfile()
    ctx = DialogueContext(profile=profile, now=NOW)
    state = CallState(call_sid="CA-bench", started_at=NOW, asked="issue")
    response = FakeResponse(text=STREAMED, chunk_chars=4, chunk_delay_s=chunk_delay_s)
    async with FakeOpenAI(lambda body: response) as fake:
        client = LlmClient(base_url=fake.base_url, api_key="k")
        agent = LlmAgent(client, model="m", fast_model=None, rules=RulesAgent())
        first, last, earlier = [], [], []
        for _ in range(runs):
            started = time.perf_counter()
            first_at = None
            async for item in agent.respond_stream(state, CallerSaid(text="my furnace stopped"), ctx, NoBooking()):
                if isinstance(item, str) and first_at is None:
                    first_at = time.perf_counter() - started
            done_at = time.perf_counter() - started
            assert first_at is not None
            first.append(first_at * 1000)
            last.append(done_at * 1000)
            earlier.append((done_at - first_at) * 1000)
        chunks = -(-len(STREAMED) // 4)
        print(f"streaming: {len(STREAMED)} chars in {chunks} chunks, {chunk_delay_s * 1000:.0f} ms apart, {runs} runs")
        print(line("first sentence to TTS", first))
        print(line("last token (whole reply)", last))
        print(line("speaking starts earlier by", earlier))
        await client.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--stream-runs", type=int, default=10)
    parser.add_argument("--chunk-ms", type=float, default=20.0, help="delay between streamed chunks")
    args = parser.parse_args()
    await overhead(args.turns)
    await streaming(args.stream_runs, args.chunk_ms / 1000)


if __name__ == "__main__":
    asyncio.run(main())
