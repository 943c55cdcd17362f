"""The degradation ladder: full AI → fast AI → rules → transfer, mid-call, state kept."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.service import BookingService
from hvac_agent.clock import FixedClock
from hvac_agent.config import Settings
from hvac_agent.dialogue.agent import RulesAgent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.degrade import DegradingAgent, build_agent
from hvac_agent.dialogue.llm_agent import LlmAgent, LlmBudgets
from hvac_agent.dialogue.state import CallerSaid, CallState, Reply
from hvac_agent.llm.client import LlmClient
from hvac_agent.resilience.breaker import BreakerRegistry
from tests.fakes.fake_openai import FakeOpenAI, FakeResponse
from tests.llm.scenario import CallAt
from tests.llm.support import FAST, MAIN, NOW, stored_appointments

# Questions the agents ask for each slot: none may come back once the slot is known.
SLOT_QUESTIONS = (
    "first and last name",
    "best phone number",
    "calling from",
    "street address",
    "ZIP code there",
    "going on with your heating",
)


def ladder(llm_agent: LlmAgent) -> DegradingAgent:
    return DegradingAgent(llm_agent, RulesAgent())


def dead(body: dict[str, Any]) -> FakeResponse:
    return FakeResponse(status=503, error_message="model overloaded")


async def test_llm_dies_mid_call_and_rules_finish_without_repeating_a_question(
    call_at: CallAt,
    llm_agent: LlmAgent,
    engine: AsyncEngine,
    fake_llm: FakeOpenAI,
) -> None:
    agent = ladder(llm_agent)
    call = await call_at("unit", agent=agent)  # issue, name, phone, address+zip on the full model
    assert call.state.rung in ("llm", "fast_llm")
    known = call.state.slots.model_dump(exclude_none=True)
    assert set(known) >= {"name", "phone", "street", "zip", "issue"}
    fake_llm.script(dead)  # the endpoint dies: every request from now on is a 503
    before = len(fake_llm.requests)
    reply = await call.say("no")  # answer to the model's "any apartment or unit number?"
    assert call.state.rung == "rules"
    # A short "no" is a simple turn: the fast model is chosen on the top rung; once it has failed,
    # the fast rung is not tried again in the same turn.
    assert len(fake_llm.requests) == before + 1 and fake_llm.requests[-1]["model"] == FAST
    assert agent.failures == [(call.call_sid, "llm", FAST, "status")]
    assert "at risk" in reply.say  # the rules agent goes on with the next question (urgency)
    await call.say("no")  # → windows offered
    await call.say("the first one")  # → read-back
    assert "Shall I book it?" in call.replies[-1].say
    final = await call.say("yes")
    assert final.action == "hangup" and call.state.outcome == "booked"
    assert len(fake_llm.requests) == before + 1  # the call stayed on the rules rung
    after_failure = " ".join(call.said[-4:])
    for question in SLOT_QUESTIONS:
        assert question not in after_failure, question
    (row,) = await stored_appointments(engine)
    assert row["customer_name"] == "Dana Kim" and row["address"] == "4410 Duval Street"


async def test_slow_model_falls_to_the_next_rung_within_the_budget(
    call_at: CallAt,
    client: LlmClient,
    fake_llm: FakeOpenAI,
) -> None:
    budgets = LlmBudgets(full_s=0.3, fast_s=0.2)
    agent = DegradingAgent(
        LlmAgent(client, model=MAIN, fast_model=FAST, rules=RulesAgent(), budgets=budgets), RulesAgent()
    )
    call = await call_at("intent", agent=agent)
    fake_llm.script(lambda body: FakeResponse(text="Far too late.", delay_s=10))
    started = time.perf_counter()
    reply = await call.say("my air conditioner is blowing warm air")
    elapsed = time.perf_counter() - started
    assert 0.5 <= elapsed < 2.5, elapsed  # 0.3 + 0.2 budget, then rules at once (slack for a busy CPU)
    assert call.state.rung == "rules" and "Far too late" not in reply.say
    assert call.state.slots.issue  # the rules agent understood the same words
    assert "first and last name" in reply.say


async def test_fast_model_answers_when_the_main_model_fails(
    call_at: CallAt,
    llm_agent: LlmAgent,
    fake_llm: FakeOpenAI,
) -> None:
    agent = ladder(llm_agent)
    call = await call_at("intent", agent=agent)

    def main_down(body: dict[str, Any]) -> FakeResponse:
        if body["model"] == MAIN:
            return FakeResponse(status=500)
        return FakeResponse(text="Sorry to hear that. May I have your first and last name?")

    fake_llm.script(main_down)
    reply = await call.say("my furnace is making a loud banging noise")
    assert call.state.rung == "fast_llm"
    assert reply.say == "Sorry to hear that. May I have your first and last name?"
    await call.say("dana kim")  # the next turn starts on the fast rung: no request to the main model
    assert [r["model"] for r in fake_llm.requests] == [MAIN, FAST, FAST]


async def test_breaker_opens_after_five_failures_and_calls_skip_the_dead_endpoint(
    call_at: CallAt,
    client: LlmClient,
    breakers: BreakerRegistry,
    clock: FixedClock,
    fake_llm: FakeOpenAI,
) -> None:
    agent = DegradingAgent(LlmAgent(client, model=MAIN, fast_model=None, rules=RulesAgent()), RulesAgent())
    fake_llm.script(lambda body: FakeResponse(status=500))
    for n in range(5):
        call = await call_at("intent", agent=agent, call_sid=f"CA-{n}")
        reply = await call.say("my heat pump is broken")
        assert call.state.rung == "rules" and reply.action == "listen"
    assert len(fake_llm.requests) == 5
    circuits = agent.circuits()
    (name,) = circuits
    assert name == client.breaker_for(MAIN).name and circuits[name]["state"] == "open"
    started = time.perf_counter()
    call = await call_at("intent", agent=agent, call_sid="CA-6")
    await call.say("my heat pump is broken")
    assert len(fake_llm.requests) == 5 and time.perf_counter() - started < 0.5  # no request at all
    clock.advance(60)  # recovery period over: one trial request goes out, succeeds, circuit closes
    fake_llm.script(lambda body: FakeResponse(text="Sorry about that. May I have your first and last name?"))
    call = await call_at("intent", agent=agent, call_sid="CA-7")
    reply = await call.say("my heat pump is broken")
    assert call.state.rung == "llm" and agent.circuits()[name]["state"] == "closed"


async def test_transfer_is_the_last_rung(
    llm_agent: LlmAgent,
    booking: BookingService,
    ctx: DialogueContext,
    fake_llm: FakeOpenAI,
) -> None:
    class BrokenRules:
        async def respond(self, *args: Any) -> tuple[CallState, Reply]:
            raise RuntimeError("bug")

    agent = DegradingAgent(llm_agent, BrokenRules())
    fake_llm.script(dead)
    state = CallState(call_sid="CA-t", started_at=NOW, rung="llm")
    new_state, reply = await agent.respond(state, CallerSaid(text="my furnace is out"), ctx, booking)
    assert reply.action == "transfer" and reply.transfer_to == ctx.profile.transfer_number
    assert reply.transfer_reason == "fallback" and new_state.rung == "transfer" and new_state.ended
    assert new_state.outcome == "transferred"


def test_build_agent_is_rules_only_without_an_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HVAC_LLM_BASE_URL", "HVAC_LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(build_agent(Settings(_env_file=None)), RulesAgent)  # type: ignore[call-arg]


async def test_build_agent_with_an_llm_runs_a_turn(
    call_at: CallAt,
    fake_llm: FakeOpenAI,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, HVAC_LLM_BASE_URL=fake_llm.base_url, HVAC_LLM_MODEL=MAIN, HVAC_LLM_FAST_MODEL=FAST
    )
    registry = BreakerRegistry()
    agent = build_agent(settings, breakers=registry, embeddings=False)
    assert isinstance(agent, DegradingAgent)
    fake_llm.script(lambda body: FakeResponse(text="Sorry to hear that. What's your name?"))
    call = await call_at("intent", agent=agent)
    reply = await call.say("my furnace is out")
    assert reply.say == "Sorry to hear that. What's your name?" and call.state.rung == "llm"
    assert list(registry.snapshot()) == [f"llm:{MAIN}@127.0.0.1:{fake_llm.port}"]
    await agent.aclose()


async def test_model_dropping_mid_stream_hands_over_without_losing_what_was_said(
    call_at: CallAt,
    llm_agent: LlmAgent,
    booking: BookingService,
    ctx: DialogueContext,
    fake_llm: FakeOpenAI,
) -> None:
    agent = ladder(llm_agent)
    call = await call_at("intent", agent=agent)

    def flaky(body: dict[str, Any]) -> FakeResponse:
        if body["model"] == MAIN:  # one sentence, then the socket drops
            return FakeResponse(text="I'm sorry to hear that. Let me just", chunk_chars=5, drop_after_chunks=6)
        return FakeResponse(text="May I have your first and last name?")

    fake_llm.script(flaky)
    items = [i async for i in agent.respond_stream(call.state, CallerSaid(text="my furnace is out"), ctx, booking)]
    sentences = [i for i in items if isinstance(i, str)]
    state, reply = items[-1]  # type: ignore[misc]
    assert sentences == ["I'm sorry to hear that.", "May I have your first and last name?"]
    assert reply.say == "I'm sorry to hear that. May I have your first and last name?"
    assert state.rung == "fast_llm" and state.turn == 1
    assert [t.role for t in state.history][-2:] == ["caller", "agent"]  # the caller's words once


async def test_stream_reply_works_for_any_agent(
    llm_agent: LlmAgent,
    booking: BookingService,
    ctx: DialogueContext,
    fake_llm: FakeOpenAI,
) -> None:
    from hvac_agent.dialogue.degrade import stream_reply
    from hvac_agent.dialogue.state import CallStarted

    state = CallState(call_sid="CA-s", started_at=NOW)
    rules_items = [i async for i in stream_reply(RulesAgent(), state, CallStarted(), ctx, booking)]
    assert len(rules_items) > 2 and all(isinstance(i, str) for i in rules_items[:-1])
    assert " ".join(rules_items[:-1]) == rules_items[-1][1].say  # type: ignore[index]
    fake_llm.script(lambda body: FakeResponse(text="Sorry to hear that. What's your name?"))
    agent = ladder(llm_agent)
    greeted = [i async for i in stream_reply(agent, state, CallStarted(), ctx, booking)]
    assert greeted[:-1] == rules_items[:-1]  # the greeting is the same code on every rung
    started = greeted[-1][0]  # type: ignore[index]
    assert started.rung == "llm"
    items = [i async for i in stream_reply(agent, started, CallerSaid(text="no heat"), ctx, booking)]
    assert items[:2] == ["Sorry to hear that.", "What's your name?"]


async def test_simple_turn_uses_the_main_model_while_the_fast_one_is_down(
    call_at: CallAt,
    llm_agent: LlmAgent,
    breakers: BreakerRegistry,
    fake_llm: FakeOpenAI,
) -> None:
    fast_breaker = llm_agent.client.breaker_for(FAST)
    for _ in range(5):
        fast_breaker.record_failure()
    assert breakers.snapshot()[fast_breaker.name]["state"] == "open"
    agent = ladder(llm_agent)
    call = await call_at("intent", agent=agent)
    fake_llm.script(lambda body: FakeResponse(text="Got it. What's the street address?"))
    call.state.asked = "phone_confirm"  # a yes/no turn would normally go to the fast model
    reply = await call.say("yes")
    assert [r["model"] for r in fake_llm.requests] == [MAIN] and call.state.rung == "llm"
    assert reply.say.startswith("Got it.")


async def test_a_bug_on_the_ai_rung_costs_the_rung_not_the_call(
    call_at: CallAt,
    client: LlmClient,
    fake_llm: FakeOpenAI,
) -> None:
    class Broken:
        def prepare(self) -> None: ...

        async def aclassify(self, *args: Any) -> Any:
            raise RuntimeError("classifier exploded")

    class BrokenFaq:
        def lookup(self, *args: Any) -> Any:
            raise RuntimeError("faq exploded")

    agent = DegradingAgent(
        LlmAgent(client, model=MAIN, fast_model=FAST, rules=RulesAgent(), classifier=Broken(), faq=BrokenFaq()),
        RulesAgent(),
    )  # type: ignore[arg-type]
    call = await call_at("intent", agent=agent)
    reply = await call.say("what are your hours")  # no caller data: classifier and FAQ are consulted
    assert reply.action == "listen" and call.state.rung == "rules" and fake_llm.requests == []
    assert agent.failures == [(call.call_sid, "llm", MAIN, "error")]
