"""Moonshine base-en (PyPI `moonshine_cpp`: ONNX model + its own onnxruntime, no download).

The package's Python `transcribe()` is broken (it uses a missing `ctypes.c_float_p`), so we call
`moonshine_transcribe(handle, float*, n, char**)` ourselves. ctypes drops the GIL for the call,
so decoding in a thread leaves every other call's audio flowing. One lock: the C handle is not
documented as thread-safe. Output is capped: on noise the decoder can loop ("one one one ...").
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import threading

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.codec import resample
from hvac_agent.voice.errors import EngineError, EngineUnavailable
from hvac_agent.voice.stt.base import STTEngine

_MAX_WORDS_PER_S = 4.0


# PyPI's libmoonshine.so is built for AVX-512 (seen: `vpbroadcastq` from a general register while
# loading the model): on a CPU without it the process dies of SIGILL, taking every call with it.
_NEEDED_CPU_FLAGS = frozenset({"avx512f", "avx512vl", "avx512bw", "avx512dq"})


def missing_cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The instruction sets the packaged library needs that this CPU lacks (empty when it has
    them all, or when the CPU can't be read: then loading is tried)."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
                cpuinfo = handle.read()
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return _NEEDED_CPU_FLAGS - set(value.split())
    return frozenset()


def _load() -> tuple[ctypes.CDLL, int]:
    missing = missing_cpu_flags()
    if missing:
        raise EngineUnavailable("moonshine", f"this CPU lacks {', '.join(sorted(missing))}")
    try:
        from moonshine_cpp import moonshine_cpp as mc
    except (ImportError, OSError) as error:
        raise EngineUnavailable("moonshine", f"moonshine_cpp unavailable: {error!r}") from error
    model_dir = os.path.join(os.path.dirname(mc.__file__), "models", "base-en")
    paths = [os.path.join(model_dir, f) for f in ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")]
    if not all(os.path.exists(p) for p in paths):
        raise EngineUnavailable("moonshine", "base-en model files missing from the package")
    handle = mc.moonshine_lib.moonshine_load_model(*(p.encode() for p in paths), mc.MOONSHINE_MODEL_TYPE_BASE)
    if handle < 0:
        raise EngineUnavailable("moonshine", "moonshine_load_model failed")
    return mc.moonshine_lib, int(handle)


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


class MoonshineSTT(STTEngine):
    """`moonshine` engine: the offline general recogniser."""

    name = "moonshine"

    def __init__(self) -> None:
        self._lib, self._handle = _load()
        self._lock = threading.Lock()

    # Measured here: Moonshine's output swings with how much silence surrounds the words ("100
    # Main Street" → "one hundred main three" with 200 ms after it, exact with 500 ms+). Turns are
    # cut at short pauses for speed, so the cut is padded with digital silence to a steady frame.
    pad_before_ms = 60
    pad_after_ms = 500

    def transcribe_blocking(self, audio_8k: NDArray[np.int16]) -> str:
        text = self._decode(audio_8k, self.pad_after_ms)
        if not text and audio_8k.size >= 8000:
            # Seen here: on some longer segments the padded decode ends at once with nothing (a
            # 6 s greeting: exact unpadded, empty with 500 ms of silence after it). Words were
            # there: decode them as they came.
            text = self._decode(audio_8k, 0)
        return clean_transcript(text, audio_8k.size / 8000)

    def _decode(self, audio_8k: NDArray[np.int16], pad_after_ms: int) -> str:
        padded = np.concatenate(
            [np.zeros(self.pad_before_ms * 8, dtype=np.int16), audio_8k, np.zeros(pad_after_ms * 8, dtype=np.int16)]
        )
        pcm = np.ascontiguousarray(resample(padded, 8000, 16000).astype(np.float32) / 32768.0)
        out = ctypes.c_char_p()
        with self._lock:
            error = self._lib.moonshine_transcribe(
                self._handle, pcm.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), pcm.size, ctypes.byref(out)
            )
            if error != 0:
                raise EngineError(self.name, f"moonshine_transcribe error {error}")
            text = (out.value or b"").decode("utf-8", "replace")
            if out.value is not None:
                self._lib.moonshine_free_text(out)
        return text

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        return await asyncio.to_thread(self.transcribe_blocking, audio)
