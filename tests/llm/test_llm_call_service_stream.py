"""Stream mode through CallService: an LLM reply reaches TTS sentence by sentence, state is saved once."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from hvac_agent.booking.records import CallRecords
from hvac_agent.booking.service import BookingService
from hvac_agent.calls import CallService
from hvac_agent.clock import FixedClock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.llm_agent import LlmAgent
from hvac_agent.dialogue.state import CallerSaid
from hvac_agent.observability.metrics import Metrics
from hvac_agent.sessions.embedded_store import EmbeddedSessionStore
from tests.fakes.fake_openai import FakeResponse
from tests.llm.support import CALLER_ID, Brain


async def test_sentences_reach_the_sink_before_the_model_finishes(
    tmp_path: Path,
    llm_agent: LlmAgent,
    brain: Brain,
    booking: BookingService,
    engine: AsyncEngine,
    profile: BusinessProfile,
    clock: FixedClock,
) -> None:
    store = EmbeddedSessionStore(str(tmp_path / "sessions.db"), clock=clock)
    records = CallRecords(engine, clock)
    calls = CallService(
        store=store, records=records, booking=booking, agent=llm_agent, profile=profile, clock=clock, metrics=Metrics()
    )
    try:
        await calls.start_call("CAstream", CALLER_ID, record_agent=False)
        text = "I'm sorry to hear about your furnace. Let's get a technician out to you. May I have your name?"
        brain.add(FakeResponse(text=text, chunk_chars=6, chunk_delay_s=0.02))
        started = time.perf_counter()
        heard: list[tuple[float, str]] = []

        async def to_tts(sentence: str) -> None:
            heard.append((time.perf_counter() - started, sentence))

        reply = await calls.handle_event(
            "CAstream", CallerSaid(text="my furnace is broken"), record_agent=False, on_sentence=to_tts
        )
        done = time.perf_counter() - started
        assert [s for _, s in heard] == [
            "I'm sorry to hear about your furnace.",
            "Let's get a technician out to you.",
            "May I have your name?",
        ]
        assert heard[0][0] < done - 0.15  # the first sentence was handed over well before the last token
        assert reply.say == text
        state = await calls.state("CAstream")
        assert state is not None and state.turn == 1 and state.history[-1].text == text  # saved once, whole
        record = await records.get_call("CAstream")
        assert record is not None
        assert [(t["role"], t["text"]) for t in record["turns"]] == [("caller", "my furnace is broken")]
    finally:
        await store.close()
