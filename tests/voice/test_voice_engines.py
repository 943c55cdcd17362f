"""Engine plumbing: factory from Settings, failover, phrase cache, Twilio frame parsing, pacing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from hvac_agent.config import Settings
from hvac_agent.dialogue.fixed_lines import allow_phrases
from hvac_agent.voice import twilio_frames as tf
from hvac_agent.voice.codec import FRAME_SAMPLES, b64encode, resample, silence, ulaw_decode
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.factory import build_voice, stt_names, tts_names
from hvac_agent.voice.failover import FailoverTTS
from hvac_agent.voice.phrase_cache import CachedTTS, PhraseCache
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import VoiceStats
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.stt.fake import FakeSTT
from hvac_agent.voice.stt.moonshine import clean_transcript
from hvac_agent.voice.tts.base import TtsChunk
from hvac_agent.voice.tts.espeak import EspeakTTS
from hvac_agent.voice.tts.fake import FakeTTS


class _CutRecorder(STTEngine):
    """Answers with the number of samples it was given: which cut of the turn was decoded."""

    name = "cut"

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def _transcribe_impl(self, audio: np.ndarray, expect: object, hints: list[str]) -> str:  # type: ignore[override]
        self.sizes.append(int(audio.size))
        return str(audio.size)


async def _collect(tts: object, text: str) -> bytes:
    return b"".join([chunk async for chunk in tts.synthesize(text)])  # type: ignore[attr-defined]


def test_engine_names_default_to_offline_and_follow_settings() -> None:
    assert stt_names(Settings()) == ["offline"] and tts_names(Settings()) == ["espeak"]
    keyed = Settings(DEEPGRAM_API_KEY="k", ELEVENLABS_API_KEY="k")  # type: ignore[call-arg]
    assert stt_names(keyed) == ["deepgram", "offline"] and tts_names(keyed) == ["elevenlabs", "espeak"]
    assert stt_names(Settings(HVAC_STT_ENGINES=" Fake , moonshine")) == ["fake", "moonshine"]  # type: ignore[call-arg]


async def test_fake_engines_from_settings_use_the_configured_transcript() -> None:
    voice = build_voice(
        Settings(
            HVAC_STT_ENGINES="fake",
            HVAC_TTS_ENGINES="fake",  # type: ignore[call-arg]
            HVAC_FAKE_TRANSCRIPT="the AC is leaking",
        )
    )
    stream = voice.stt.stream("intent")
    stream.push(np.zeros(FRAME_SAMPLES, dtype=np.int16))
    assert (await stream.final()).text == "the AC is leaking"
    audio = await _collect(voice.tts, "Hello there.")  # 12 chars at 70 ms: 840 ms
    assert len(audio) == 840 * 8
    await voice.aclose()


async def test_unknown_engines_are_skipped_and_offline_is_the_last_resort() -> None:
    voice = build_voice(Settings(HVAC_STT_ENGINES="deepgram,fake", HVAC_TTS_ENGINES="nope"))  # type: ignore[call-arg]
    assert voice.stt.name == "fake"
    assert voice.tts.name == "espeak"
    assert len(await _collect(voice.tts, "Hi.")) > 1000
    await voice.aclose()


async def test_tts_failover_skips_a_broken_engine_and_rests_it() -> None:
    broken, good = FakeTTS(fail=True), FakeTTS()
    broken.name = "broken"
    failover = FailoverTTS([broken, good], failure_threshold=1)
    assert len(await _collect(failover, "Hi.")) == 1600  # 210 ms, in whole 20 ms frames
    assert failover.states() == {"broken": "open", "fake": "closed"}
    assert len(await _collect(failover, "Hi.")) > 0
    assert broken.calls == ["Hi."]  # resting: not tried again at once
    with pytest.raises(EngineError):
        await _collect(FailoverTTS([FakeTTS(fail=True)]), "Hi.")


async def test_phrase_cache_synthesises_a_phrase_once_per_voice_and_is_bounded() -> None:
    engine = FakeTTS()
    okay_bytes = len(await _collect(FakeTTS(), "Okay."))
    longer = "A much longer sentence that fills the cache up."
    limit = okay_bytes + len(await _collect(FakeTTS(), longer)) - 1
    cached = CachedTTS(engine, PhraseCache(max_bytes=limit))
    allow_phrases(frozenset({longer}))  # as a call declares its script's fixed lines
    first = await _collect(cached, "Okay.")
    again = await _collect(cached, "Okay.")
    assert first == again and engine.calls == ["Okay."]
    await cached.prewarm([longer])
    assert await cached.cache.get(cached.voice, "Okay.") is None  # evicted: the cache stays under its bound
    assert await cached.cache.get(cached.voice, longer) is not None
    assert sum(len(v) for v in cached.cache._items.values()) <= limit


def test_twilio_frames_parse_the_documented_shapes_and_reject_junk() -> None:
    start = tf.parse(
        json.dumps(
            {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": "MZ1",
                "start": {
                    "accountSid": "AC1",
                    "streamSid": "MZ1",
                    "callSid": "CA1",
                    "tracks": ["inbound"],
                    "customParameters": {"caller": "+15125550123"},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )
    )
    assert start == tf.Start("MZ1", "CA1", {"caller": "+15125550123"}, "audio/x-mulaw", 8000, 1)
    media = tf.parse(
        json.dumps(
            {
                "event": "media",
                "sequenceNumber": "3",
                "streamSid": "MZ1",
                "media": {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": b64encode(b"\x01\x02")},
            }
        )
    )
    assert isinstance(media, tf.Media) and media.payload == b"\x01\x02" and media.sequence == 3
    assert tf.parse('{"event":"mark","streamSid":"MZ1","mark":{"name":"3:end"}}') == tf.Mark("3:end")
    assert tf.parse('{"event":"dtmf","dtmf":{"track":"inbound_track","digit":"7"}}') == tf.Dtmf("7")
    assert isinstance(tf.parse('{"event":"stop","stop":{"callSid":"CA1"}}'), tf.Stop)
    for junk in (
        "",
        "nope",
        "[]",
        "{}",
        '{"event":"media","media":{"payload":"@@"}}',
        '{"event":"start","start":{}}',
        '{"event":"dtmf","dtmf":{"digit":"12"}}',
        b"\xff\xfe",
    ):
        assert tf.parse(junk) is None
    out = json.loads(tf.media_message('MZ"1', b"\x00"))
    assert out == {"event": "media", "streamSid": 'MZ"1', "media": {"payload": "AA=="}}


async def test_sink_paces_in_real_time_with_a_small_lead_and_marks_in_order() -> None:
    sent: list[tuple[float, dict[str, object]]] = []

    async def send(text: str) -> None:
        sent.append((time.perf_counter(), json.loads(text)))

    stats = VoiceStats()
    sink = PacedSink(send, "MZ1", lead_ms=60, stats=stats)
    sink.start()
    t0 = time.perf_counter()
    sink.push(silence(600))
    sink.mark("1:end")
    while not any(m["event"] == "mark" for _, m in sent):  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    await sink.aclose()
    media = [(t, m) for t, m in sent if m["event"] == "media"]
    assert len(media) == 30 and sent[-1][1]["event"] == "mark"
    # never a burst: at most the lead goes out at once, then one frame per 20 ms
    assert sum(1 for t, _ in media if t - t0 < 0.01) <= 4
    assert 0.5 <= media[-1][0] - t0 <= 0.6 + 0.05
    assert stats.lateness_ms.percentile(50) < 5


async def test_sink_clear_drops_queued_audio_and_tells_twilio() -> None:
    sent: list[dict[str, object]] = []

    async def send(text: str) -> None:
        sent.append(json.loads(text))

    sink = PacedSink(send, "MZ1", lead_ms=20)
    sink.start()
    sink.push(silence(2000))
    await asyncio.sleep(0.1)
    await sink.clear()
    n = len(sent)
    await asyncio.sleep(0.1)
    await sink.aclose()
    assert sent[n - 1] == {"event": "clear", "streamSid": "MZ1"}
    assert len(sent) <= n + 1  # at most the frame that was already on its way
    assert sink.idle


def test_moonshine_output_is_cleaned_of_decoder_loops() -> None:
    assert clean_transcript("1. 1. 1. 1. 1. 1. 1.", 1.0) == "1. 1."
    assert (
        clean_transcript("my phone is in not working my phone is in not working", 1.0)
        == "my phone is in not working my"
    )
    assert clean_transcript("yes that's right", 1.0) == "yes that's right"


async def test_offline_recogniser_uses_grammars_for_yes_no_and_moonshine_for_open_answers() -> None:
    from hvac_agent.voice.factory import make_stt
    from hvac_agent.voice.stt.offline import OfflineSTT

    stt = make_stt("offline", Settings())
    voice = EspeakTTS(rate_wpm=150)
    try:
        yes = ulaw_decode(silence(200) + voice.render("yes") + silence(300))
        assert await stt.transcribe(yes, "confirm") in {"yes", "yeah", "yep"}
        assert isinstance(stt, OfflineSTT)
        name = ulaw_decode(silence(200) + voice.render("my name is Robert Brown") + silence(300))
        assert stt.general is not None  # Moonshine runs on any x86-64 (no AVX-512 needed)
        assert "Robert Brown" in await stt.transcribe(name, "name")
    finally:
        await stt.aclose()


def test_fake_stt_script_then_default() -> None:
    stt = FakeSTT("default", ["one", "two"])
    assert [stt.next_text() for _ in range(3)] == ["one", "two", "default"]


async def test_an_utterance_is_spoken_sentence_by_sentence_as_its_pieces_arrive() -> None:
    tts = FakeTTS()
    arrived: list[str] = []

    async def pieces() -> AsyncIterator[str]:
        for piece in ["Sure, I can help. Which day works best?", "Tomorrow is open."]:
            arrived.append(piece)
            yield piece

    seen: list[tuple[int, TtsChunk]] = [(len(arrived), chunk) async for chunk in tts.speak(pieces())]
    text = "Sure, I can help. Which day works best? Tomorrow is open."
    assert [c.spoken_chars for _, c in seen if c.spoken_chars is not None] == [17, 39, len(text)]
    assert tts.calls == ["Sure, I can help.", "Which day works best?", "Tomorrow is open."]
    assert next(n for n, c in seen if c.audio) == 1  # heard before the next piece existed


async def test_a_failed_engine_is_probed_back_in_the_background_not_on_live_calls() -> None:
    import datetime as dt

    from hvac_agent.clock import FixedClock

    clock = FixedClock(dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC))
    flaky, good = FakeTTS(fail=True), FakeTTS()
    flaky.name = "flaky"
    failover = FailoverTTS([flaky, good], clock=clock, failure_threshold=1, recovery_s=10.0, probe_every_s=2.0)
    assert len(await _collect(failover, "Hi.")) > 0  # the good engine answered
    assert failover.states()["flaky"] == "open" and flaky.calls == ["Hi."]
    await _collect(failover, "Hello.")
    assert "Hello." not in flaky.calls and "Hello." in good.calls  # live traffic stays off it while it rests
    flaky.fail = False  # the provider is back
    prober = failover.children._prober
    assert prober is not None
    await asyncio.wait_for(prober, timeout=5)  # virtual time: the rest passes, a probe closes the circuit
    assert failover.states()["flaky"] == "closed" and flaky.calls[-1] == "OK."
    await _collect(failover, "Welcome back.")
    assert flaky.calls[-1] == "Welcome back."
    await failover.aclose()


def test_moonshine_tokenizer_reads_length_prefixed_tokens_and_joins_bytes_into_words() -> None:
    from hvac_agent.voice.stt.moonshine_onnx import detokenize, read_tokenizer

    tokens = [b"<unk>", b"<s>", b"</s>", b"\xc3", b"\xa9", "\u2581caf".encode(), "\u2581Bo".encode(), b"bo"]
    vocab = read_tokenizer(b"".join(bytes([len(token)]) + token for token in tokens))
    assert vocab == tokens
    # special ids and ids past the vocabulary (the logits are wider) are dropped; byte-fallback
    # tokens (here é as two bytes) join into one character; "▁" starts a word
    assert detokenize([1, 5, 3, 4, 6, 7, 2, 32767], vocab) == "café Bobo"
    with pytest.raises(ValueError, match="truncated"):
        read_tokenizer(b"\x05<unk>\x09</s>")


def test_moonshine_runs_the_packaged_model_through_onnxruntime_on_this_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hvac_agent.voice.stt.moonshine_onnx import END_TOKEN, MoonshineOnnx, max_tokens

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    MoonshineOnnx()  # the first start folds the weights and keeps the result
    kept = sorted(p.name for p in (tmp_path / "hvac-agent" / "moonshine").iterdir())
    assert [name.split(".")[0] for name in kept] == ["decoder_model_merged", "encoder_model"]
    model = MoonshineOnnx()  # later starts load it
    assert model.folded  # weights dequantized once, not on every decoder step
    assert len(model.vocab) == 32000 and model.vocab[END_TOKEN] == b"</s>"
    voice = EspeakTTS(rate_wpm=150)
    speech = ulaw_decode(silence(200) + voice.render("my air conditioner is leaking water") + silence(500))
    pcm = resample(speech, 8000, 16000).astype(np.float32) / 32768.0
    assert "air conditioner is leaking water" in model.transcribe(pcm).lower()
    noise = np.random.default_rng(7).uniform(-0.5, 0.5, 16000).astype(np.float32)
    assert len(model.generate(noise)) <= max_tokens(noise.size)  # a looping decode stops


def test_an_ort_export_gets_its_unnamed_subgraphs_named_so_onnx_loads_it() -> None:
    from hvac_agent.voice.stt.ort_export import name_graphs

    def field(number: int, body: bytes) -> bytes:  # a length-delimited protobuf field (short)
        return bytes([number << 3 | 2, len(body)]) + body

    ir_version = b"\x08\x0a"  # ModelProto.ir_version = 10 (a varint field, kept as it is)
    branch = field(1, field(4, b"Identity"))  # GraphProto{node{op_type}}: no name
    node = field(4, b"If") + field(5, field(1, b"then_branch") + field(6, branch))
    model = ir_version + field(7, field(1, node) + field(2, b"main"))
    named = ir_version + field(
        7,
        field(1, field(4, b"If") + field(5, field(1, b"then_branch") + field(6, branch + field(2, b"graph_1"))))
        + field(2, b"main"),
    )
    assert name_graphs(model) == named
    assert name_graphs(named) == named  # graphs with names are left alone


async def test_a_batch_turn_is_decoded_at_one_cut_whenever_the_turn_ends() -> None:
    """The same words give the same text whether the turn ended at a pause (a fast machine) or
    at the end-of-turn silence (a loaded one): the decode always ends 160 ms after the voice."""
    voiced, quiet = b"\x10" * FRAME_SAMPLES, silence(20)
    expected = 20 * FRAME_SAMPLES + 160 * 8
    texts = []
    for decode_at_pause in (True, False):
        engine = _CutRecorder()
        stream = engine.stream("address")
        for _ in range(20):
            stream.push(voiced, True)
        for _ in range(9):  # the pause: 180 ms of quiet pushed when its decode starts
            stream.push(quiet, False)
        if decode_at_pause:
            assert (await stream.partial()).text == str(expected)
        for _ in range(41):  # on to the end-of-turn silence
            stream.push(quiet, False)
        texts.append((await stream.final()).text)
        assert engine.sizes == [expected]  # once: the pause's decode is the final one
    assert texts == [str(expected)] * 2
