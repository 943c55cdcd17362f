"""Offline-engine latency: end of caller speech → first agent audio, with the real offline stack.

In process: the real `CallPipeline` with webrtcvad, the offline recogniser (PocketSphinx grammars in
a worker process + Moonshine on onnxruntime), espeak-ng with the phrase cache, and an instant
scripted dialogue (the dialogue core is measured elsewhere). Caller lines are synthesised with
espeak, sent as 20 ms μ-law frames in real time, and marks are echoed as Twilio would. The clock
starts at the caller's last voiced frame, so the figure includes the end-of-turn wait (adaptive
per question, cut short when the words already answer it) and the recogniser's tail.

Run: `python bench/stream_offline.py [--rounds 3]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from hvac_agent.config import Settings
from hvac_agent.dialogue.state import Event, Expect, Reply
from hvac_agent.voice.codec import FRAME_SAMPLES, frames, silence
from hvac_agent.voice.factory import build_voice
from hvac_agent.voice.pipeline import CallPipeline
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import VoiceStats
from hvac_agent.voice.tts.espeak import EspeakTTS

# (what the agent asked, what the caller answers, the agent's next question)
SCRIPT: list[tuple[Expect, str]] = [
    ("intent", "my furnace stopped working and there's no heat"),
    ("name", "my name is Robert Brown"),
    ("phone_confirm", "yes"),
    ("address", "I live at 200 Park Avenue"),
    ("window", "the earliest"),
    ("confirm", "yes that's correct"),
]
QUESTIONS: dict[str, str] = {
    "intent": "How can I help you today?",
    "name": "May I have your first and last name?",
    "phone_confirm": "Is the number you're calling from the best one?",
    "address": "What's the street address where you need service?",
    "window": "I have today between noon and 4 PM, or tomorrow morning. Which works best?",
    "confirm": "Shall I book it?",
}


class ScriptedDialogue:
    def __init__(self) -> None:
        self.step = 0
        self.heard: list[tuple[str, str]] = []

    async def start(self, call_sid: str, caller_id: str | None) -> Reply:
        return Reply(say=QUESTIONS["intent"], expect="intent")

    async def handle(self, call_sid: str, event: Event, on_sentence: Any = None) -> Reply:
        asked = SCRIPT[self.step % len(SCRIPT)][0]
        self.heard.append((asked, getattr(event, "text", event.kind)))
        self.step += 1
        nxt = SCRIPT[self.step % len(SCRIPT)][0]
        return Reply(say=QUESTIONS[nxt], expect=nxt)

    async def record_agent_turn(self, call_sid: str, text: str) -> int | None:
        return None

    async def amend_agent_turn(self, call_sid: str, seq: int, heard: str) -> None:
        return None

    async def end(self, call_sid: str) -> None:
        return None


async def run(rounds: int) -> None:
    voice = build_voice(Settings(HVAC_STT_ENGINES="offline", HVAC_TTS_ENGINES="espeak"))  # type: ignore[call-arg]
    await voice.tts.prewarm([*QUESTIONS.values(), *voice.ack_phrases])  # type: ignore[attr-defined]
    caller_voice = EspeakTTS(rate_wpm=150)
    lines = {expect: caller_voice.render(text) for expect, text in SCRIPT}
    dialogue = ScriptedDialogue()
    stats = VoiceStats()
    pipeline: CallPipeline | None = None
    agent_done = asyncio.Event()
    first_audio: list[float] = []

    async def send(text: str) -> None:
        msg = json.loads(text)
        if msg["event"] == "media":
            first_audio.append(time.perf_counter())
        if msg["event"] == "mark" and pipeline is not None:
            asyncio.get_running_loop().call_soon(pipeline.on_mark, msg["mark"]["name"])
            if msg["mark"]["name"].endswith(":end"):
                agent_done.set()

    sink = PacedSink(send, "MZbench", stats=stats)
    pipeline = CallPipeline("CAbench", "+15125550123", dialogue, voice, sink, stats=stats)
    # warm the recognisers (first decode loads models / spawns the grammar worker)
    for expect in ("intent", "confirm"):
        stream = voice.stt.stream(expect)  # type: ignore[arg-type]
        stream.push(lines["name"])
        await stream.final()
    await pipeline.begin()
    samples: list[tuple[str, float, float]] = []  # (question, first audio, first words of the reply)
    loop_lag: list[float] = []
    for _ in range(rounds):
        for expect, _text in SCRIPT:
            await asyncio.wait_for(agent_done.wait(), 30)
            await asyncio.sleep(0.3)
            agent_done.clear()
            responses_before, replies_before = len(pipeline.response_ms), len(pipeline.reply_ms)
            speech = frames(silence(200) + lines[expect], FRAME_SAMPLES)
            quiet = silence(20)
            t0 = time.perf_counter()
            i = 0
            # as Twilio does: audio all the time, the caller's line and then silence until the reply
            while len(pipeline.reply_ms) == replies_before:
                due = t0 + i * 0.02
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                loop_lag.append((time.perf_counter() - due) * 1000)
                pipeline.on_media(speech[i] if i < len(speech) else quiet)
                i += 1
                if i > len(speech) + 1500:
                    raise RuntimeError(f"no reply within 30 s to {expect!r}")
            assert len(pipeline.response_ms) > responses_before
            samples.append((expect, pipeline.response_ms[-1][0], pipeline.reply_ms[-1][0]))
    await pipeline.close()
    await voice.aclose()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    print("end of caller speech → first agent audio (offline engines, this machine); 'words' = first audio")
    print("of the reply itself when an 'Okay.' acknowledgement went first")
    print(f"{'question':14s} {'answer':48s} {'audio p50':>9s} {'max':>6s} {'words p50':>9s} {'max':>6s}  heard")
    for expect, text in SCRIPT:
        first = [a for e, a, _ in samples if e == expect]
        words = [w for e, _, w in samples if e == expect]
        heard = next((h for a, h in dialogue.heard if a == expect), "")
        print(
            f"{expect:14s} {text:48s} {statistics.median(first):9.0f} {max(first):6.0f} "
            f"{statistics.median(words):9.0f} {max(words):6.0f}  {heard!r}"
        )
    first_all = [a for _, a, _ in samples]
    words_all = [w for _, _, w in samples]
    print(
        f"all {len(samples)} turns: first agent audio p50 {pct(first_all, 50):.0f} ms, "
        f"p99 {pct(first_all, 99):.0f} ms; reply words p50 {pct(words_all, 50):.0f} ms, "
        f"p99 {pct(words_all, 99):.0f} ms"
    )
    print(f"event-loop lag while decoding: p99 {pct(loop_lag, 99):.1f} ms, max {max(loop_lag):.1f} ms")


def main(argv: Any = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    asyncio.run(run(args.rounds))


if __name__ == "__main__":
    main()
