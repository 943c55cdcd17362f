"""The stream-mode phrase cache keeps fixed phrases only, never a caller's data: a real call on the
real app (uvicorn, a signed WebSocket, the μ-law codec, fake engines), then the phrase store on
disk and the worker's in-memory cache are read back; and the rule on `CachedTTS` itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hvac_agent.clock import FixedClock, ScaledClock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.fixed_lines import allow_phrases
from hvac_agent.llm.splitter import split_sentences
from hvac_agent.voice.phrase_cache import ACK_PHRASES, CachedTTS, DiskPhraseStore, PhraseCache, cache_key
from hvac_agent.voice.tts.base import TtsChunk
from hvac_agent.voice.tts.fake import FakeTTS
from tests.support.server import AppServer, app_server, stream_settings

TOKEN = "phrase-test-token-0123456789abcdef"
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)  # a Wednesday, 09:00 in Austin: office open
CALLER_ID_QUESTION = "Is the number you're calling from, 5 1 2, 5 5 5, 0 1 2 3, the best number to reach you?"
GREETING = "Comfort Zone Heating & Air, virtual assistant here. If you smell gas, say so now. How can I help?"
ADDRESS_QUESTION = scripts.QUESTIONS["address"]


def _stored(root: Path) -> set[str]:
    """The keys of the phrases in a disk store."""
    return {p.stem for p in root.glob("*/*.ulaw")}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[AppServer]:
    settings = functools.partial(
        stream_settings,
        tmp_path,
        token=TOKEN,
        stt_engines="fake",
        tts_engines="fake",
        # every turn the caller gives a name and a problem: the next question reads their number back
        fake_transcript="my name is Dana Kim and my furnace stopped working",
        phrase_cache_dir=str(tmp_path / "phrases"),
    )
    with app_server(settings, clock=FixedClock(NOW), voice_clock=ScaledClock(10.0), configure_logs=False) as running:
        yield running


async def test_a_stream_call_leaves_the_callers_number_out_of_the_phrase_store(
    server: AppServer, tmp_path: Path
) -> None:
    sim = server.simulator(quiet_s=0.3)
    async with sim:
        assert (await sim.listen(timeout_s=30)).audio  # the greeting
        await sim.say("hello there", realtime=0)  # heard as the name and the problem
        assert (await sim.listen(timeout_s=30)).audio  # "Is the number you're calling from, 5 1 2, …?"
        await sim.press("5125550199#")  # another number, keyed in: the address question is next
        assert (await sim.listen(timeout_s=30)).audio
    await asyncio.sleep(0.3)
    record = (await asyncio.to_thread(httpx.get, f"{server.base_url}/api/calls/{sim.call_sid}", timeout=10)).json()
    said = [t["text"] for t in record["turns"] if t["role"] == "agent"]
    assert said == [GREETING, CALLER_ID_QUESTION, ADDRESS_QUESTION]

    tts = server.app.state.services.stream.voice.engines.tts
    assert isinstance(tts, CachedTTS)
    texts = {cache_key(tts.voice, t): t for s in [*said, *ACK_PHRASES] for t in [s, *split_sentences(s)]}
    on_disk = {texts.get(key, key) for key in _stored(tmp_path / "phrases")}
    in_memory = {texts.get(key, key) for key in tts.cache._items}
    assert CALLER_ID_QUESTION not in on_disk and CALLER_ID_QUESTION not in in_memory
    assert {GREETING, ADDRESS_QUESTION} <= on_disk and {GREETING, ADDRESS_QUESTION} <= in_memory
    assert on_disk <= {GREETING, ADDRESS_QUESTION, *ACK_PHRASES}  # nothing else, under any key


async def _speak(tts: CachedTTS, *pieces: str) -> bytes:
    async def stream() -> AsyncIterator[str]:
        for piece in pieces:
            yield piece

    chunks: list[TtsChunk] = [chunk async for chunk in tts.speak(stream())]
    return b"".join(c.audio for c in chunks)


async def test_cached_tts_stores_a_fixed_piece_and_speaks_a_personal_one_live_every_time(tmp_path: Path) -> None:
    engine = FakeTTS()
    tts = CachedTTS(engine, PhraseCache(shared=DiskPhraseStore(tmp_path)))
    allow_phrases(scripts.fixed_sentences(BusinessProfile()))
    await _speak(tts, "Got it.")
    for _ in range(2):
        await _speak(tts, "Got it.", CALLER_ID_QUESTION)  # a cached lead, then the personal line alone
        await _speak(tts, "Thanks, Dana.")  # a model's own words
        await _speak(tts, ADDRESS_QUESTION)
    assert engine.calls.count(CALLER_ID_QUESTION) == 2 and engine.calls.count("Thanks, Dana.") == 2
    assert engine.calls.count(ADDRESS_QUESTION) == 1 and engine.calls.count("Got it.") == 1  # then cached
    assert _stored(tmp_path) == {cache_key(tts.voice, ADDRESS_QUESTION), cache_key(tts.voice, "Got it.")}
    assert len(tts.cache) == 2


async def test_audio_stored_before_the_rule_is_never_read_for_a_personal_line(tmp_path: Path) -> None:
    """A store written by an older version may hold personal lines: they are not looked up (nor,
    in Redis, kept alive by reads), so they are never played or copied into memory."""
    store = DiskPhraseStore(tmp_path)
    engine = FakeTTS()
    tts = CachedTTS(engine, PhraseCache(shared=store))
    await store.put(cache_key(tts.voice, CALLER_ID_QUESTION), b"\xff" * 800)
    allow_phrases(scripts.fixed_sentences(BusinessProfile()))
    await _speak(tts, CALLER_ID_QUESTION)
    assert engine.calls == [CALLER_ID_QUESTION] and len(tts.cache) == 0
