"""Moonshine base-en: the offline general recogniser (`moonshine_onnx` runs the model).

Decoding runs in a worker thread (onnxruntime releases the GIL), so every other call's audio keeps
flowing; one lock keeps recognition on one core. Output is capped: on noise the decoder can loop
("one one one ...").
"""

from __future__ import annotations

import asyncio
import functools
import threading

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.codec import resample
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.stt.moonshine_onnx import MoonshineOnnx

_MAX_WORDS_PER_S = 4.0


def clean_transcript(text: str, duration_s: float) -> str:
    """Drop decoder loops (a word or pair repeated 3+ times) and cap length by duration."""
    words = text.split()
    out: list[str] = []
    for word in words:
        if len(out) >= 2 and out[-1].lower() == word.lower() and out[-2].lower() == word.lower():
            continue
        if (
            len(out) >= 4
            and [w.lower() for w in out[-4:]] == [out[-2].lower(), out[-1].lower()] * 2
            and word.lower() == out[-2].lower()
        ):
            continue
        out.append(word)
    cap = int(duration_s * _MAX_WORDS_PER_S) + 3
    return " ".join(out[:cap])


@functools.cache
def _shared_model() -> tuple[MoonshineOnnx, threading.Lock]:
    """One model per process (~0.5 GB, seconds to load), one decode at a time on it."""
    return MoonshineOnnx(), threading.Lock()


class MoonshineSTT(STTEngine):
    """`moonshine` engine: the offline general recogniser."""

    name = "moonshine"

    def __init__(self) -> None:
        self._model, self._lock = _shared_model()

    # Measured here: Moonshine's output swings with how much silence surrounds the words ("100
    # Main Street" → "one hundred main three" with 200 ms after it, exact with 500 ms+). Turns are
    # cut at short pauses for speed, so the cut is padded with digital silence to a steady frame.
    pad_before_ms = 60
    pad_after_ms = 500

    def transcribe_blocking(self, audio_8k: NDArray[np.int16]) -> str:
        text = self._decode(audio_8k, self.pad_after_ms)
        if not text:
            # Seen here: sometimes the padded decode ends at once with nothing (a 6 s greeting:
            # exact unpadded, empty with 500 ms of silence after it; "yes" or "no" with 300 ms of
            # trailing silence in the cut: empty padded, right unpadded). Words were there: decode
            # them as they came (an empty decode costs the encoder and one step).
            text = self._decode(audio_8k, 0)
        return clean_transcript(text, audio_8k.size / 8000)

    def _decode(self, audio_8k: NDArray[np.int16], pad_after_ms: int) -> str:
        padded = np.concatenate(
            [np.zeros(self.pad_before_ms * 8, dtype=np.int16), audio_8k, np.zeros(pad_after_ms * 8, dtype=np.int16)]
        )
        pcm = resample(padded, 8000, 16000).astype(np.float32) / 32768.0
        with self._lock:
            return self._model.transcribe(pcm)

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        return await asyncio.to_thread(self.transcribe_blocking, audio)
