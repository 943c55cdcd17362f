"""Stream mode on the cloud providers, through the real server: with keys for several providers
set, `/health` lists every engine and its circuit; a call is spoken and heard by the providers
(local fakes of them); a provider that refuses our key is skipped and shows as open. And the
phrase cache is shared by workers (disk, Redis)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from hvac_agent.clock import FixedClock, ScaledClock
from hvac_agent.config import load_profile
from hvac_agent.dialogue.fixed_lines import allow_phrases
from hvac_agent.dialogue.scripts import fixed_sentences
from hvac_agent.tools.simulator import CallerSimulator
from hvac_agent.voice.phrase_cache import (
    CachedTTS,
    DiskPhraseStore,
    PhraseCache,
    RedisPhraseStore,
)
from hvac_agent.voice.tts.fake import FakeTTS
from tests.fakes.fake_speech import KEY, FakeProviders, Faults, fake_providers
from tests.support.server import app_server, stream_settings

TOKEN = "cloud-test-token-0123456789abcdef"
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def providers() -> Iterator[FakeProviders]:
    with fake_providers(Faults(transcript="I want to talk to a representative")) as fake:
        yield fake


@pytest.fixture
def server(providers: FakeProviders, tmp_path: Path) -> Iterator[tuple[str, int]]:
    settings = functools.partial(
        stream_settings,
        tmp_path,
        token=TOKEN,
        **{
            "phrase_cache_dir": str(tmp_path / "phrases"),
            # keys for every provider (ElevenLabs' is refused by the provider)
            "ELEVENLABS_API_KEY": "revoked-key",
            "HVAC_ELEVENLABS_URL": providers.ws_url,
            "DEEPGRAM_API_KEY": KEY,
            "HVAC_DEEPGRAM_URL": providers.ws_url,
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": f"{providers.base_url}/v1",
            "AWS_ACCESS_KEY_ID": "AKIDGOOD",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_ENDPOINT_URL_POLLY": providers.base_url,
        },
    )
    with app_server(settings, clock=FixedClock(NOW), voice_clock=ScaledClock(5.0), configure_logs=False) as running:
        yield running.base_url, running.port


def _health(base: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/health", timeout=10)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_health_lists_every_engine_and_a_call_runs_on_the_providers(
    server: tuple[str, int], providers: FakeProviders
) -> None:
    base, port = server
    before = await asyncio.to_thread(_health, base)
    engines = {k: v["state"] for k, v in before["circuits"].items() if k.startswith(("stt:", "tts:"))}
    assert engines == {  # from the keys present, in the README's order, offline last
        "stt:deepgram": "closed",
        "stt:openai": "closed",
        "stt:offline": "closed",
        "tts:elevenlabs": "closed",
        "tts:openai": "closed",
        "tts:polly": "closed",
        "tts:espeak": "closed",
    }
    assert before["status"] == "ok"

    ws_url = f"ws://127.0.0.1:{port}/twilio/stream"
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(ws_url, {})}
    sim = CallerSimulator(
        ws_url,
        headers=headers,
        quiet_s=0.3,  # dials in first, as Twilio does
        voice_url=f"http://127.0.0.1:{port}/twilio/voice",
        auth_token=TOKEN,
    )
    async with sim:
        greeting = await sim.listen(timeout_s=30)
        assert greeting.audio  # spoken by OpenAI TTS: ElevenLabs refused the key
        await sim.say("hello there")  # Deepgram (fake) hears "I want to talk to a representative"
        while not (await sim.listen(timeout_s=30)).closed:
            pass
    spoken = [t for t in providers.faults.texts if not t.endswith("bytes")]
    assert any(t.startswith("Comfort Zone") for t in spoken)  # the greeting went to a provider
    assert providers.faults.finalizes >= 1 and providers.faults.deepgram_query.get("encoding") == "mulaw"

    record = (await asyncio.to_thread(httpx.get, f"{base}/api/calls/{sim.call_sid}", timeout=10)).json()
    caller = [t["text"] for t in record["turns"] if t["role"] == "caller"]
    assert caller == ["I want to talk to a representative"] and record["outcome"] == "transferred"

    after = await asyncio.to_thread(_health, base)
    eleven = after["circuits"]["tts:elevenlabs"]
    # refused key: skipped at once; after its 10 s rest a probe may be due (half open), never closed
    assert eleven["state"] in ("open", "half_open") and eleven["total_failures"] >= 1
    assert eleven["total_successes"] == 0
    assert after["circuits"]["tts:openai"]["state"] == "closed"
    if eleven["state"] == "open":
        assert after["status"] == "degraded"  # calls go on, on the next engine
        metrics = (await asyncio.to_thread(httpx.get, f"{base}/metrics", timeout=10)).text
        assert 'hvac_circuit_open{circuit="tts:elevenlabs"} 1.0' in metrics


async def _speak(tts: CachedTTS, text: str) -> bytes:
    return b"".join([chunk async for chunk in tts.synthesize(text)])


async def test_phrase_cache_on_disk_is_shared_by_workers(tmp_path: Path) -> None:
    first, second = FakeTTS(), FakeTTS()
    worker_a = CachedTTS(first, PhraseCache(shared=DiskPhraseStore(tmp_path)))
    worker_b = CachedTTS(second, PhraseCache(shared=DiskPhraseStore(tmp_path)))
    allow_phrases(fixed_sentences(load_profile(None)))  # as a call declares its script's fixed lines
    audio = await _speak(worker_a, "May I have your first and last name?")
    assert await _speak(worker_b, "May I have your first and last name?") == audio
    assert first.calls == ["May I have your first and last name?"] and second.calls == []


async def test_phrase_cache_in_redis_is_shared_by_machines(redis_url: str) -> None:
    prefix = f"hvac:test:{uuid.uuid4().hex}:"
    stores = [RedisPhraseStore(redis_url, prefix=prefix) for _ in range(2)]
    first, second = FakeTTS(), FakeTTS()
    a = CachedTTS(first, PhraseCache(shared=stores[0]))
    b = CachedTTS(second, PhraseCache(shared=stores[1]))
    try:
        audio = await _speak(a, "Okay.")
        assert await _speak(b, "Okay.") == audio and second.calls == []
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_broken_phrase_store_never_silences_a_call(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    tts = CachedTTS(FakeTTS(), PhraseCache(shared=DiskPhraseStore(blocker)))
    assert len(await _speak(tts, "Okay.")) > 0
    assert len(await _speak(tts, "Okay.")) > 0  # served from memory
