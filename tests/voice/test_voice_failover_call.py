"""A TTS provider dies mid-sentence in a call: the caller hears the rest of the sentence from the
next engine, nothing twice, and the call record holds what was heard. And a short, quiet answer
(a two-word name) said once through the real codec reaches the recogniser."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from voice_fakes import ScriptedResponder, Wire, feed, until

from hvac_agent.clock import ScaledClock
from hvac_agent.dialogue.state import CallerSaid, CallerUnclear, Reply
from hvac_agent.voice.codec import ulaw_decode, ulaw_encode
from hvac_agent.voice.failover import FailoverTTS
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.phrase_cache import CachedTTS
from hvac_agent.voice.pipeline import CallPipeline, PipelineConfig, VoiceEngines
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.stt.fake import FakeSTT
from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS
from hvac_agent.voice.tts.espeak import EspeakTTS
from hvac_agent.voice.tts.fake import FakeTTS
from hvac_agent.voice.vad import WebRtcVad
from tests.fakes.fake_speech import KEY, FakeProviders, Faults, fake_providers

LINE = "Your technician arrives between eight and noon tomorrow, and will call before coming."


@pytest.fixture
def dying_provider() -> Iterator[FakeProviders]:
    # the socket drops after "Your technician arrives between " and every reconnect is refused
    with fake_providers(Faults(drop_after_chars=32, refuse_after_drop=True)) as fake:
        yield fake


def _pipeline(
    responder: ScriptedResponder, tts: object, stt: STTEngine | None = None, speed: float = 10.0
) -> tuple[CallPipeline, Wire]:
    wire = Wire()
    clock = ScaledClock(speed)
    engines = VoiceEngines(stt=stt or FakeSTT(), tts=CachedTTS(tts), vad_factory=WebRtcVad)  # type: ignore[arg-type]
    pipeline = CallPipeline(
        "CAfail",
        "+15125550123",
        responder,
        engines,
        PacedSink(wire.send, "MZ1", clock=clock),
        clock=clock,
        config=PipelineConfig(),
    )
    wire.pipeline = pipeline
    return pipeline, wire


async def test_tts_dies_mid_sentence_and_the_next_engine_says_only_the_rest(dying_provider: FakeProviders) -> None:
    eleven = ElevenLabsTTS(KEY, base_url=dying_provider.ws_url, limits=ProviderLimits("elevenlabs"))
    backup = FakeTTS()
    failover = FailoverTTS([eleven, backup], failure_threshold=1)
    responder = ScriptedResponder(Reply(say=LINE, expect="intent"))
    pipeline, wire = _pipeline(responder, failover)
    try:
        await pipeline.begin()
        await until(lambda: any(m["mark"]["name"] == "1:end" for m in wire.events("mark")), timeout_s=20)
        await until(lambda: responder.recorded and not pipeline.speaking)
    finally:
        await pipeline.close()
    heard_first = dying_provider.faults.texts[0]
    assert heard_first.split() == LINE.split()  # ElevenLabs was sent the whole line...
    assert eleven.reconnects == 1 and dying_provider.faults.dropped == 1  # one reconnect, refused
    # ...spoke "Your technician arrives between " and died; the backup said exactly the rest
    assert backup.calls == ["eight and noon tomorrow, and will call before coming."]
    assert failover.switches == 1 and failover.states()["elevenlabs"] == "open"
    spoken_ms = wire.audio_bytes() / 8
    expected_ms = 70 * len("Your technician arrives between ") + 70 * len(backup.calls[0])
    assert abs(spoken_ms - expected_ms) <= 40  # whole frames; nothing said twice, nothing lost
    assert responder.recorded == [LINE]  # the call record: the whole line, heard to its last mark


async def test_a_short_quiet_name_said_once_reaches_the_recogniser() -> None:
    """Issue 10 item 7: "Dana Kim" once, at a quiet phone level (-40 dBFS RMS while speaking), through μ-law."""

    class Heard(STTEngine):
        name = "heard"
        audio_ms: list[float] = []

        async def _transcribe_impl(self, audio: np.ndarray, expect: object, hints: list[str]) -> str:  # type: ignore[override]
            self.audio_ms.append(audio.size / 8)
            return "Dana Kim"

    pcm = ulaw_decode(EspeakTTS().render("Dana Kim")).astype(np.float32)
    voiced = np.nonzero(np.abs(pcm) > 0.02 * np.abs(pcm).max())[0]
    rms = float(np.sqrt(np.mean(pcm[voiced[0] : voiced[-1]] ** 2)))
    quiet = ulaw_encode((pcm * (32768 * 10 ** (-40 / 20) / rms)).astype(np.int16))
    span_ms = (voiced[-1] - voiced[0]) / 8
    responder = ScriptedResponder(Reply(say="Name?", expect="name"), [Reply(say="Thanks.", expect="phone")])
    stt = Heard()
    pipeline, wire = _pipeline(responder, FakeTTS(), stt=stt, speed=10.0)
    try:
        await pipeline.begin()
        await until(lambda: responder.recorded == ["Name?"] and not pipeline.speaking)
        await feed(pipeline, quiet, trailing_ms=1500)
        await until(lambda: len(responder.events) == 1, timeout_s=10)
    finally:
        await pipeline.close()
    assert responder.events == [CallerSaid(text="Dana Kim")]
    assert stt.audio_ms and stt.audio_ms[-1] >= span_ms  # the whole name, onset included


async def test_speech_that_gives_no_words_is_a_miss_not_a_silence() -> None:
    responder = ScriptedResponder(Reply(say="Name?", expect="name"), [Reply(say="Sorry?", expect="name")])
    pipeline, wire = _pipeline(responder, FakeTTS(), stt=FakeSTT(""))
    try:
        await pipeline.begin()
        await until(lambda: responder.recorded == ["Name?"] and not pipeline.speaking)
        await feed(pipeline, EspeakTTS().render("mumble mumble"), trailing_ms=1500)
        await until(lambda: len(responder.events) == 1, timeout_s=10)
    finally:
        await pipeline.close()
    assert responder.events == [CallerUnclear()]


async def test_when_every_engine_fails_the_record_holds_only_what_was_spoken(dying_provider: FakeProviders) -> None:
    eleven = ElevenLabsTTS(KEY, base_url=dying_provider.ws_url, limits=ProviderLimits("elevenlabs"))
    responder = ScriptedResponder(Reply(say=LINE, expect="intent"))
    pipeline, wire = _pipeline(responder, eleven)
    try:
        await pipeline.begin()
        await until(lambda: any(m["mark"]["name"] == "1:end" for m in wire.events("mark")), timeout_s=20)
        await until(lambda: not pipeline.speaking and responder.amended)
    finally:
        await pipeline.close()
    assert responder.recorded == ["Your technician arrives between"]  # not the words never said
