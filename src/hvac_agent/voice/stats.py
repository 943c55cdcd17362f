"""Voice measurements (pacing lateness, turn latency) for /health and the benches: one set per app,
made in its lifespan (`StreamWiring.stats`).

Bounded reservoirs (last N values) so a long-running process never grows.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class Reservoir:
    def __init__(self, size: int = 50_000) -> None:
        self.values: deque[float] = deque(maxlen=size)

    def add(self, value: float) -> None:
        self.values.append(value)

    def percentile(self, q: float) -> float:
        if not self.values:
            return float("nan")
        return float(np.percentile(np.fromiter(self.values, dtype=np.float64), q))

    def clear(self) -> None:
        self.values.clear()

    def __len__(self) -> int:
        return len(self.values)


class VoiceStats:
    def __init__(self) -> None:
        self.lateness_ms = Reservoir()  # outbound frame send time minus its due time
        self.response_ms = Reservoir()  # a turn-taking decision → first outbound frame answering it
        self.reply_ms = Reservoir()  # end-of-turn decision → first outbound frame of the reply's words
        self.speech_end_ms = Reservoir()  # last voiced caller frame → first outbound frame
        self.bursts = 0
        self.frames = 0
        self.underruns = 0
        self.unexpected_errors = 0  # failures no handler expected (logged with a traceback)

    def record_error(self) -> None:
        self.unexpected_errors += 1

    def record_lateness(self, ms: float, lead_ms: float = float("inf")) -> None:
        self.lateness_ms.add(ms)
        self.frames += 1
        if ms > lead_ms:  # later than the audio buffered ahead at Twilio: the caller hears a gap
            self.underruns += 1

    def record_response(self, ms: float, from_speech_end_ms: float | None = None) -> None:
        self.response_ms.add(ms)
        if from_speech_end_ms is not None:
            self.speech_end_ms.add(from_speech_end_ms)

    def record_reply(self, ms: float) -> None:
        self.reply_ms.add(ms)

    def record_burst_start(self) -> None:
        self.bursts += 1

    def reset(self) -> None:
        self.lateness_ms.clear()
        self.response_ms.clear()
        self.reply_ms.clear()
        self.speech_end_ms.clear()
        self.bursts = 0
        self.frames = 0
        self.underruns = 0
        self.unexpected_errors = 0

    def summary(self) -> dict[str, float]:
        return {
            "lateness_p50_ms": self.lateness_ms.percentile(50),
            "lateness_p99_ms": self.lateness_ms.percentile(99),
            "response_p50_ms": self.response_ms.percentile(50),
            "response_p99_ms": self.response_ms.percentile(99),
            "reply_p50_ms": self.reply_ms.percentile(50),
            "reply_p99_ms": self.reply_ms.percentile(99),
            "speech_end_p50_ms": self.speech_end_ms.percentile(50),
            "speech_end_p99_ms": self.speech_end_ms.percentile(99),
            "frames": float(self.frames),
            "underrun_pct": 100.0 * self.underruns / self.frames if self.frames else 0.0,
            "responses": float(len(self.response_ms)),
            "unexpected_errors": float(self.unexpected_errors),
        }
