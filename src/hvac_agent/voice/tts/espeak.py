"""In-process espeak-ng through ctypes (PyPI `espeakng-loader` ships the library and its data).

No subprocess per sentence: synchronous synthesis with a callback, a few ms per sentence. ctypes
releases the GIL during the C call, so it runs in a thread without freezing other calls' audio.
libespeak-ng has global state, hence one lock for the whole process.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import AsyncIterator

import numpy as np

from hvac_agent.voice.codec import resample, ulaw_encode
from hvac_agent.voice.errors import EngineUnavailable
from hvac_agent.voice.tts.base import TTSEngine

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Espeak:
    """The process-wide library handle (initialised once)."""

    lock = threading.Lock()
    _instance: _Espeak | None = None

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:  # pragma: no cover - it is a hard dependency
            raise EngineUnavailable("espeak", "espeakng-loader is not installed") from error
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 100, espeakng_loader.get_data_path().encode(), 0)
        if rate <= 0:
            raise EngineUnavailable("espeak", "espeak_Initialize failed")
        self.sample_rate_hz = int(rate)
        self.lib = lib
        self._chunks: list[bytes] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    @classmethod
    def get(cls) -> _Espeak:
        with cls.lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _on_audio(self, wav: ctypes._Pointer[ctypes.c_short], n_samples: int, _events: int) -> int:
        if n_samples > 0 and wav:
            self._chunks.append(ctypes.string_at(wav, n_samples * 2))
        return 0

    def synth(self, text: str, voice: str, rate_wpm: int) -> np.ndarray:
        with self.lock:
            if voice != self._voice:
                if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise EngineUnavailable("espeak", f"unknown voice {voice!r}")
                self._voice = voice
            self.lib.espeak_SetParameter(_ESPEAK_RATE, rate_wpm, 0)
            self._chunks = []
            data = text.encode("utf-8")
            self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None)
            pcm = np.frombuffer(b"".join(self._chunks), dtype=np.int16)
            self._chunks = []
            return pcm


class EspeakTTS(TTSEngine):
    """`espeak` engine: offline default voice."""

    name = "espeak"

    def __init__(self, voice: str = "en-us", rate_wpm: int = 165) -> None:
        self._lib = _Espeak.get()
        self.voice = voice
        self.rate_wpm = rate_wpm

    def render(self, text: str) -> bytes:
        """Blocking: `text` → μ-law 8 kHz (also used by the caller simulator)."""
        pcm = self._lib.synth(text, self.voice, self.rate_wpm)
        return ulaw_encode(resample(pcm, self._lib.sample_rate_hz, 8000))

    def render_pcm16k(self, text: str) -> np.ndarray:
        pcm = self._lib.synth(text, self.voice, self.rate_wpm)
        return resample(pcm, self._lib.sample_rate_hz, 16000)

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        yield await asyncio.to_thread(self.render, text)
