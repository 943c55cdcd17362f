"""Moonshine base-en on one core: model load, and time per caller utterance (1–2 s of speech).

The utterances are synthesised with espeak, sent through μ-law like a phone call, and transcribed
by `MoonshineSTT.transcribe_blocking` (padding, resampling, greedy decode, clean-up), the same
call the server makes on a worker thread. Prints one JSON line per utterance and a summary.

Run: `python bench/moonshine_cpu.py [--rounds 3]`
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

from hvac_agent.voice.codec import silence, ulaw_decode
from hvac_agent.voice.stt.moonshine import MoonshineSTT
from hvac_agent.voice.tts.espeak import EspeakTTS

LINES = [
    "yes",
    "my name is Robert Brown",
    "I live at 200 Park Avenue",
    "my furnace stopped working",
    "the earliest please",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    engine = MoonshineSTT()
    load_s = time.perf_counter() - started
    voice = EspeakTTS(rate_wpm=150)
    audio = {line: ulaw_decode(silence(200) + voice.render(line) + silence(300)) for line in LINES}
    engine.transcribe_blocking(audio[LINES[0]])  # warm-up
    times: list[float] = []
    for _ in range(args.rounds):
        for line, pcm in audio.items():
            t0 = time.perf_counter()
            heard = engine.transcribe_blocking(pcm)
            elapsed = time.perf_counter() - t0
            times.append(elapsed)
            print(
                json.dumps(
                    {
                        "said": line,
                        "heard": heard,
                        "audio_s": round(pcm.size / 8000, 2),
                        "decode_ms": round(elapsed * 1000),
                    }
                )
            )
    print(
        json.dumps(
            {
                "load_s": round(load_s, 2),
                "decode_p50_ms": round(statistics.median(times) * 1000),
                "decode_max_ms": round(max(times) * 1000),
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
