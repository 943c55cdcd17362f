"""Each cloud speech engine against a local fake of its provider, over real HTTP and WebSocket:
a normal request, a slow first byte, a 429 storm, the connection dropped mid-sentence, garbage
frames, and bad credentials — each ends in audio/words or in our error vocabulary, never a hang
or a crash."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import pytest

from hvac_agent.voice.codec import ulaw_decode
from hvac_agent.voice.errors import EngineError, RateLimited
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.tts.base import TTSEngine, one_piece
from hvac_agent.voice.tts.espeak import EspeakTTS
from tests.fakes.fake_speech import KEY, MS_PER_CHAR, FakeProviders, Faults, fake_providers

SENTENCE = "Your technician arrives between eight and noon tomorrow."


@pytest.fixture(scope="module")
def providers() -> Iterator[FakeProviders]:
    with fake_providers() as fake:
        yield fake


@pytest.fixture
def fake(providers: FakeProviders) -> FakeProviders:
    fresh = Faults()
    providers.faults.__dict__.update(replace(fresh).__dict__)  # the server keeps its Faults object
    return providers


def _limits(name: str) -> ProviderLimits:
    return ProviderLimits(name, limit_budget_s=1.0, first_backoff_s=0.02)


def tts_engine(kind: str, fake: FakeProviders, key: str = KEY) -> TTSEngine:
    if kind == "elevenlabs":
        from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS

        return ElevenLabsTTS(key, base_url=fake.ws_url, first_audio_timeout_s=1.0, limits=_limits(kind))
    if kind == "elevenlabs-rest":
        from hvac_agent.voice.tts.elevenlabs_rest import ElevenLabsRestTTS

        return ElevenLabsRestTTS(key, base_url=fake.base_url, limits=_limits(kind), timeout_s=2.0)
    if kind == "openai":
        from hvac_agent.voice.tts.openai import OpenAITTS

        return OpenAITTS(key, base_url=f"{fake.base_url}/v1", limits=_limits(kind), timeout_s=2.0)
    from hvac_agent.voice.tts.polly import PollyTTS

    return PollyTTS(
        endpoint_url=fake.base_url,
        limits=_limits(kind),
        timeout_s=2.0,
        aws_access_key_id="AKIDGOOD" if key == KEY else "AKIDBAD",
        aws_secret_access_key="secret",
    )


def stt_engine(kind: str, fake: FakeProviders, key: str = KEY) -> STTEngine:
    if kind == "deepgram":
        from hvac_agent.voice.stt.deepgram import DeepgramSTT

        return DeepgramSTT(key, base_url=fake.ws_url, limits=_limits(kind), finalize_timeout_s=1.0, keepalive_s=0.2)
    from hvac_agent.voice.stt.openai import OpenAISTT

    return OpenAISTT(key, base_url=f"{fake.base_url}/v1", limits=_limits(kind), timeout_s=2.0)


TTS_KINDS = ["elevenlabs", "elevenlabs-rest", "openai", "polly"]
STT_KINDS = ["deepgram", "openai"]


async def _speak(engine: TTSEngine, text: str = SENTENCE) -> bytes:
    try:
        return b"".join([chunk async for chunk in engine.synthesize(text)])
    finally:
        await engine.aclose()


def _expected_ms(text: str) -> float:
    return len(text) * MS_PER_CHAR


@pytest.mark.parametrize("kind", TTS_KINDS)
async def test_tts_normal_request_gives_the_whole_sentence_as_telephone_audio(kind: str, fake: FakeProviders) -> None:
    audio = await _speak(tts_engine(kind, fake))
    assert fake.faults.texts and " ".join(fake.faults.texts).split() == SENTENCE.split()
    # the fake speaks 70 ms a character; MP3 and resampling pad a little, never lose a word
    assert abs(len(audio) / 8 - _expected_ms(SENTENCE)) < 150
    if kind == "elevenlabs":
        assert fake.faults.query["output_format"] == "ulaw_8000"  # Twilio-ready, nothing decoded
    else:
        level = np.abs(ulaw_decode(audio).astype(np.int32)).mean()
        assert level > 1000  # real decoded speech-band audio, not silence


@pytest.mark.parametrize("kind", TTS_KINDS)
async def test_tts_slow_first_byte_is_waited_for_and_measured(kind: str, fake: FakeProviders) -> None:
    fake.faults.first_byte_delay_s = 0.3
    engine = tts_engine(kind, fake)
    audio = await _speak(engine)
    assert len(audio) > 0 and engine.last_latency_s >= 0.3


@pytest.mark.parametrize("kind", TTS_KINDS)
async def test_tts_429_storm_slows_down_then_speaks(kind: str, fake: FakeProviders) -> None:
    fake.faults.rate_limit_requests = 3
    engine = tts_engine(kind, fake)
    assert engine.limits is not None
    audio = await _speak(engine)
    assert abs(len(audio) / 8 - _expected_ms(SENTENCE)) < 150
    assert fake.faults.rate_limited == 3 and engine.limits.rate_limited == 3


@pytest.mark.parametrize("kind", TTS_KINDS)
async def test_tts_endless_429s_end_as_a_retryable_rate_limit(kind: str, fake: FakeProviders) -> None:
    fake.faults.rate_limit_requests = 1000
    with pytest.raises(RateLimited):
        await _speak(tts_engine(kind, fake))


@pytest.mark.parametrize("kind", TTS_KINDS)
async def test_tts_bad_credentials_are_not_retryable(kind: str, fake: FakeProviders) -> None:
    with pytest.raises(EngineError) as failed:
        await _speak(tts_engine(kind, fake, key="wrong"))
    assert failed.value.retryable is False


@pytest.mark.parametrize("kind", ["elevenlabs", "elevenlabs-rest"])
async def test_tts_garbage_frames_become_an_engine_error(kind: str, fake: FakeProviders) -> None:
    fake.faults.garbage = True
    with pytest.raises(EngineError) as failed:
        await _speak(tts_engine(kind, fake))
    assert failed.value.retryable


@pytest.mark.parametrize("kind", ["elevenlabs-rest", "openai", "polly"])
async def test_tts_connection_dropped_mid_sentence_is_a_retryable_error(kind: str, fake: FakeProviders) -> None:
    fake.faults.drop_after_chars = 20
    with pytest.raises(EngineError) as failed:
        await _speak(tts_engine(kind, fake))
    assert failed.value.retryable


async def test_elevenlabs_reconnects_mid_utterance_and_resends_only_the_unspoken_words(fake: FakeProviders) -> None:
    from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS

    fake.faults.drop_after_chars = 24  # "Your technician arrives " is spoken, then the socket drops
    engine = tts_engine("elevenlabs", fake)
    assert isinstance(engine, ElevenLabsTTS)
    chunks = [chunk async for chunk in engine.speak(one_piece(SENTENCE))]
    await engine.aclose()
    assert engine.reconnects == 1
    first, second = fake.faults.texts
    assert second.split() == "between eight and noon tomorrow.".split()  # only what was not heard
    audio_ms = sum(len(c.audio) for c in chunks) / 8
    assert audio_ms == _expected_ms("Your technician arrives ") + _expected_ms("between eight and noon tomorrow. ")
    assert chunks[-1].spoken_chars == len(SENTENCE)


async def test_elevenlabs_uses_one_context_per_utterance_with_flushes_and_keepalive(fake: FakeProviders) -> None:
    import asyncio

    from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS

    engine = ElevenLabsTTS(KEY, base_url=fake.ws_url, keepalive_s=0.05, limits=_limits("elevenlabs"))

    async def llm() -> object:
        yield "Okay, let me look."
        await asyncio.sleep(0.2)  # the LLM is still writing: the context is kept alive meanwhile
        yield "Tomorrow works."

    chunks = [chunk async for chunk in engine.speak(llm())]  # type: ignore[arg-type]
    await engine.aclose()
    assert len(fake.faults.texts) == 1  # one context for the whole utterance
    assert fake.faults.texts[0].split() == "Okay, let me look. Tomorrow works.".split()
    assert chunks[-1].spoken_chars == len("Okay, let me look. Tomorrow works.")


# ---- speech to text ---------------------------------------------------------------------------------


def _caller_audio() -> bytes:
    return EspeakTTS().render("my furnace stopped working")


async def _recognise(engine: STTEngine, audio: bytes, expect: str | None = "issue") -> str:
    session = engine.open_session()
    stream = session.stream(expect, ["furnace"])  # type: ignore[arg-type]
    try:
        for i in range(0, len(audio), 160):
            stream.push(audio[i : i + 160])
        return (await stream.final()).text
    finally:
        await stream.aclose()
        await session.aclose()
        await engine.aclose()


@pytest.mark.parametrize("kind", STT_KINDS)
async def test_stt_normal_turn_gives_the_words(kind: str, fake: FakeProviders) -> None:
    assert await _recognise(stt_engine(kind, fake), _caller_audio()) == "my furnace stopped working"
    if kind == "deepgram":
        q = fake.faults.deepgram_query
        assert (q["encoding"], q["sample_rate"], q["interim_results"]) == ("mulaw", "8000", "true")
        assert "endpointing" in q and "utterance_end_ms" in q
        assert fake.faults.finalizes == 1 and fake.faults.close_streams == 1


@pytest.mark.parametrize("kind", STT_KINDS)
async def test_stt_slow_answer_is_waited_for(kind: str, fake: FakeProviders) -> None:
    fake.faults.first_byte_delay_s = 0.3
    assert await _recognise(stt_engine(kind, fake), _caller_audio()) == "my furnace stopped working"


@pytest.mark.parametrize("kind", STT_KINDS)
async def test_stt_429_storm_slows_down_then_recognises(kind: str, fake: FakeProviders) -> None:
    fake.faults.rate_limit_requests = 2
    engine = stt_engine(kind, fake)
    assert await _recognise(engine, _caller_audio()) == "my furnace stopped working"
    assert fake.faults.rate_limited == 2


@pytest.mark.parametrize("kind", STT_KINDS)
async def test_stt_bad_credentials_are_not_retryable(kind: str, fake: FakeProviders) -> None:
    with pytest.raises(EngineError) as failed:
        await _recognise(stt_engine(kind, fake, key="wrong"), _caller_audio())
    assert failed.value.retryable is False


@pytest.mark.parametrize("kind", STT_KINDS)
async def test_stt_garbage_becomes_an_engine_error(kind: str, fake: FakeProviders) -> None:
    fake.faults.garbage = True
    with pytest.raises(EngineError):
        await _recognise(stt_engine(kind, fake), _caller_audio())


async def test_deepgram_reconnects_when_dropped_mid_turn_and_replays_the_turn(fake: FakeProviders) -> None:
    fake.faults.drop_after_chars = 4000  # half a second of audio in, the socket drops
    assert await _recognise(stt_engine("deepgram", fake), _caller_audio()) == "my furnace stopped working"
    assert fake.faults.dropped == 1


async def test_deepgram_keeps_an_idle_call_connection_alive(fake: FakeProviders) -> None:
    import asyncio

    engine = stt_engine("deepgram", fake)
    session = engine.open_session()
    stream = session.stream("issue")
    for i in range(0, 1600, 160):
        stream.push(_caller_audio()[i : i + 160])
    await stream.final()
    await stream.aclose()
    await asyncio.sleep(0.6)  # the agent talks: no caller audio goes out, KeepAlives do
    assert fake.faults.keepalives >= 1
    await session.aclose()
    await engine.aclose()
    assert fake.faults.close_streams == 1


def test_fake_provider_factories_cover_every_engine_name() -> None:
    names: list[Callable[..., object]] = [tts_engine, stt_engine]
    assert len(names) == 2 and set(TTS_KINDS) >= {"elevenlabs", "polly"}
