"""LLM agent fixtures: the fake OpenAI server on loopback, a real booking service on SQLite, and a
scripted "model" that answers each request in turn (or by looking at it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.db import create_engine, migrate
from hvac_agent.booking.service import BookingService
from hvac_agent.clock import FixedClock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.agent import Agent, RulesAgent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.llm_agent import LlmAgent
from hvac_agent.llm.client import LlmClient
from hvac_agent.resilience.breaker import BreakerRegistry
from tests.fakes.fake_openai import FakeOpenAI
from tests.llm.scenario import Call, CallAt, Point, drive_to
from tests.llm.support import FAST, FAST_BUDGETS, MAIN, NOW, Brain


@pytest.fixture
def profile() -> BusinessProfile:
    return BusinessProfile()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def ctx(profile: BusinessProfile, clock: FixedClock) -> DialogueContext:
    return DialogueContext(profile=profile, now=clock.now())


@pytest.fixture
async def engine(tmp_path: Any) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite:///{tmp_path}/hvac.db"
    await migrate(url)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def booking(engine: AsyncEngine, profile: BusinessProfile, clock: FixedClock) -> BookingService:
    return BookingService(engine, profile, clock)


@pytest.fixture
def brain() -> Brain:
    return Brain()


@pytest.fixture
async def fake_llm(brain: Brain) -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(brain) as server:
        yield server


@pytest.fixture
def breakers(clock: FixedClock) -> BreakerRegistry:
    return BreakerRegistry(clock=clock)


@pytest.fixture
async def client(fake_llm: FakeOpenAI, breakers: BreakerRegistry) -> AsyncIterator[LlmClient]:
    client = LlmClient(base_url=fake_llm.base_url, api_key="test-key", breakers=breakers)
    yield client
    await client.aclose()


@pytest.fixture
def llm_agent(client: LlmClient) -> LlmAgent:
    return LlmAgent(client, model=MAIN, fast_model=FAST, rules=RulesAgent(), budgets=FAST_BUDGETS)


@pytest.fixture
def call_at(llm_agent: LlmAgent, brain: Brain, booking: BookingService, ctx: DialogueContext) -> CallAt:
    """`await call_at("confirm")`: a new call (on `llm_agent` unless another agent is given) driven
    along the cooperative script until the agent waits for that point (`scenario.POINTS`)."""

    async def drive(point: Point, *, agent: Agent | None = None, call_sid: str = "CA-llm-1") -> Call:
        return await drive_to(Call(agent or llm_agent, booking, ctx, call_sid=call_sid), brain, point)

    return drive
