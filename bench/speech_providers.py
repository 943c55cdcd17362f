"""Speech providers benchmark, against the local fake providers (tests/fakes/fake_speech.py):

1. first audio per TTS engine (request → first μ-law chunk) and STT engine (end of the turn's
   audio → final words), p50/p95 over repeated requests on a warm connection pool;
2. the gap the caller hears when the TTS provider dies mid-sentence and failover hands the rest of
   the sentence to the next engine — from the frames' send times, played the way Twilio plays
   them (in order, each 20 ms, never before it arrives); goal < 300 ms;
3. with instant fake engines (and an instant dialogue), end of caller speech (last voiced frame)
   → first audio of the answer itself (not the "Okay."), over real-time calls through the real
   pipeline; goal p50 <= 350 ms.

The fakes answer instantly, so (1) is our client's own overhead plus loopback HTTP/WebSocket.
Latency figures are noisy on a shared machine. Run: `python bench/speech_providers.py [--n 30]`
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "voice"))  # for voice_fakes

from voice_fakes import ScriptedResponder

from hvac_agent.clock import SYSTEM_CLOCK
from hvac_agent.dialogue.state import Reply
from hvac_agent.voice.codec import FRAME_SAMPLES, frames, silence
from hvac_agent.voice.failover import FailoverTTS
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.phrase_cache import CachedTTS
from hvac_agent.voice.pipeline import CallPipeline, VoiceEngines
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.stt.fake import FakeSTT
from hvac_agent.voice.tts.base import TTSEngine, one_piece
from hvac_agent.voice.tts.espeak import EspeakTTS
from hvac_agent.voice.tts.fake import FakeTTS
from hvac_agent.voice.vad import WebRtcVad
from tests.fakes.fake_speech import KEY, Faults, fake_providers

REPLY = "Sorry to hear that. What's your name?"
SENTENCE = "Your technician arrives between eight and noon tomorrow, and will call before coming."


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def tts_engines(base: str, ws: str) -> dict[str, TTSEngine]:
    from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS
    from hvac_agent.voice.tts.elevenlabs_rest import ElevenLabsRestTTS
    from hvac_agent.voice.tts.openai import OpenAITTS
    from hvac_agent.voice.tts.polly import PollyTTS

    return {
        "elevenlabs (ws)": ElevenLabsTTS(KEY, base_url=ws),
        "elevenlabs-rest (mp3)": ElevenLabsRestTTS(KEY, base_url=base),
        "openai (pcm 24k)": OpenAITTS(KEY, base_url=f"{base}/v1"),
        "polly (pcm 8k)": PollyTTS(endpoint_url=base, aws_access_key_id="AKIDGOOD", aws_secret_access_key="x"),
        "espeak (offline)": EspeakTTS(),
    }


def stt_engines(base: str, ws: str) -> dict[str, STTEngine]:
    from hvac_agent.voice.stt.deepgram import DeepgramSTT
    from hvac_agent.voice.stt.openai import OpenAISTT

    return {
        "deepgram (live ws)": DeepgramSTT(KEY, base_url=ws),
        "openai (segment)": OpenAISTT(KEY, base_url=f"{base}/v1"),
    }


async def first_audio(n: int) -> None:
    print("\n1. First audio per engine (against the local fakes; our client + loopback)")
    print(f"   {'engine':24s} {'p50 ms':>8s} {'p95 ms':>8s}")
    with fake_providers() as fake:
        for name, engine in tts_engines(fake.base_url, fake.ws_url).items():
            times: list[float] = []
            for i in range(n + 2):
                started = time.perf_counter()
                async for _ in engine.synthesize(f"{SENTENCE} ({i})"):
                    if i >= 2:  # the first two warm the connection pool and the SDK up
                        times.append((time.perf_counter() - started) * 1000)
                    break
            await engine.aclose()
            print(f"   {name:24s} {pct(times, 50):8.1f} {pct(times, 95):8.1f}")
        audio = EspeakTTS().render("my furnace stopped working")
        for name, stt in stt_engines(fake.base_url, fake.ws_url).items():
            session = stt.open_session()
            times = []
            for i in range(n + 2):
                stream = session.stream("issue")
                for j in range(0, len(audio), FRAME_SAMPLES):
                    stream.push(audio[j : j + FRAME_SAMPLES])
                    await asyncio.sleep(0)
                started = time.perf_counter()
                await stream.final()
                if i >= 2:
                    times.append((time.perf_counter() - started) * 1000)
                await stream.aclose()
            await session.aclose()
            await stt.aclose()
            print(f"   {name:24s} {pct(times, 50):8.1f} {pct(times, 95):8.1f}   (end of turn → final words)")


class Wire:
    def __init__(self) -> None:
        self.media_at: list[float] = []
        self.pipeline: CallPipeline | None = None

    async def send(self, text: str) -> None:
        if '"event":"media"' in text:
            self.media_at.append(time.perf_counter())
        elif '"event": "mark"' in text and self.pipeline is not None:
            name = text.split('"name": "')[1].split('"')[0]
            asyncio.get_running_loop().call_soon(self.pipeline.on_mark, name)


async def played_out(pipeline: CallPipeline) -> None:
    while (speech := pipeline.playout.current()) is not None:
        await speech.done.wait()


def heard_gaps_ms(send_times: list[float]) -> float:
    """Silence inside the utterance as Twilio plays it: frames in order, 20 ms each, never early."""
    gap, playing_until = 0.0, None
    for t in send_times:
        if playing_until is not None and t > playing_until:
            gap += t - playing_until
        start = t if playing_until is None else max(t, playing_until)
        playing_until = start + 0.020
    return gap * 1000


async def death_gap(n: int, how: str) -> None:
    from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS
    from hvac_agent.voice.tts.openai import OpenAITTS

    faults = {"drops": dict(drop_after_chars=32, refuse_after_drop=True), "hangs": dict(stall_after_chars=32)}[how]
    print(f"\n2. Gap heard when the TTS provider {how} mid-sentence (ElevenLabs WS → OpenAI TTS), goal < 300 ms")
    gaps: list[float] = []
    handovers: list[float] = []
    for _ in range(n):
        with fake_providers(Faults(**faults)) as fake:  # type: ignore[arg-type]
            failover = FailoverTTS(
                [
                    ElevenLabsTTS(KEY, base_url=fake.ws_url, limits=ProviderLimits("el")),
                    OpenAITTS(KEY, base_url=f"{fake.base_url}/v1"),
                ],
                failure_threshold=1,
            )
            wire = Wire()
            engines = VoiceEngines(stt=FakeSTT(), tts=CachedTTS(failover), vad_factory=WebRtcVad)
            pipeline = CallPipeline(
                "CAbench",
                None,
                ScriptedResponder(Reply(say=SENTENCE, expect="intent")),
                engines,
                PacedSink(wire.send, "MZ1", clock=SYSTEM_CLOCK),
                clock=SYSTEM_CLOCK,
            )
            wire.pipeline = pipeline
            await pipeline.begin()
            await played_out(pipeline)
            await pipeline.close()
            await failover.aclose()
            assert failover.switches == 1
            gaps.append(heard_gaps_ms(wire.media_at))
        with fake_providers(Faults(**faults)) as fake:  # type: ignore[arg-type]
            failover = FailoverTTS(
                [
                    ElevenLabsTTS(KEY, base_url=fake.ws_url, limits=ProviderLimits("el")),
                    OpenAITTS(KEY, base_url=f"{fake.base_url}/v1"),
                ],
                failure_threshold=1,
            )
            arrivals = [time.perf_counter() async for chunk in failover.speak(one_piece(SENTENCE)) if chunk.audio]
            await failover.aclose()
            handovers.append(max(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) * 1000)
    print(
        f"   heard gap p50 {pct(gaps, 50):.1f} ms, p95 {pct(gaps, 95):.1f} ms, max {max(gaps):.1f} ms "
        f"over {n} utterances (audio already queued covers the hand-over)"
    )
    print(
        f"   hand-over (last audio of the dead provider → first of the next) p50 {pct(handovers, 50):.1f} ms, "
        f"max {max(handovers):.1f} ms: the gap a caller would hear if the provider had sent audio only just in time"
    )


async def answer_latency(n: int) -> None:
    print(
        "\n3. End of caller speech → first audio of the answer (instant fake engines and dialogue), goal p50 <= 350 ms"
    )
    speech = EspeakTTS().render("my furnace stopped working")
    samples: list[float] = []
    acks = 0

    async def one_call() -> None:
        nonlocal acks
        wire = Wire()
        fake_tts = FakeTTS()
        dialogue = ScriptedResponder(Reply(say="Hi.", expect="intent"), [Reply(say=REPLY, expect="intent")])
        engines = VoiceEngines(stt=FakeSTT(), tts=CachedTTS(fake_tts), vad_factory=WebRtcVad)
        pipeline = CallPipeline(
            "CAbench", None, dialogue, engines, PacedSink(wire.send, "MZ1", clock=SYSTEM_CLOCK), clock=SYSTEM_CLOCK
        )
        wire.pipeline = pipeline
        await pipeline.begin()
        await played_out(pipeline)
        for _ in range(n):
            started = time.perf_counter()
            for k, frame in enumerate(frames(speech + silence(900), FRAME_SAMPLES)):
                pipeline.on_media(frame)
                await asyncio.sleep(max(0.0, started + (k + 1) * 0.020 - time.perf_counter()))
            await played_out(pipeline)  # the answer plays out (marks echo as it is sent)
        samples.extend(ms for ms, _ in pipeline.reply_ms)
        acks += fake_tts.calls.count("Okay.")
        await pipeline.close()

    await asyncio.gather(*(one_call() for _ in range(5)))
    print(
        f"   p50 {pct(samples, 50):.1f} ms, p95 {pct(samples, 95):.1f} ms over {len(samples)} turns "
        f"(5 concurrent real-time calls); fillers said: {acks}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="requests / utterances / turns per figure")
    args = parser.parse_args()
    await first_audio(args.n)
    await death_gap(max(5, args.n // 2), "drops")
    await death_gap(max(3, args.n // 4), "hangs")
    await answer_latency(max(4, args.n // 4))


if __name__ == "__main__":
    asyncio.run(main())
