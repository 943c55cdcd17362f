"""OpenAI TTS (`/v1/audio/speech`), streamed as raw PCM 24 kHz mono and turned into μ-law 8 kHz
as it arrives (a resampler that keeps its state across chunks, so chunk cuts add no clicks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from hvac_agent.voice.codec import resample, ulaw_encode
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.openai_errors import openai_failures
from hvac_agent.voice.tts.base import TTSEngine

SOURCE_HZ = 24_000
_BLOCK = 3 * 160  # 24 kHz samples per 20 ms at 8 kHz: resample in whole blocks of three


class Pcm24kToUlaw:
    """24 kHz PCM16 byte stream → μ-law 8 kHz, in whole 20 ms blocks; odd bytes wait for the rest."""

    def __init__(self) -> None:
        self._pending = b""
        self._history = np.zeros(0, dtype=np.int16)

    def feed(self, data: bytes) -> bytes:
        data = self._pending + data
        usable = len(data) - len(data) % (_BLOCK * 2)
        self._pending = data[usable:]
        if not usable:
            return b""
        return self._convert(np.frombuffer(data[:usable], dtype="<i2"))

    def flush(self) -> bytes:
        tail = self._pending[: len(self._pending) - len(self._pending) % 6]
        self._pending = b""
        return self._convert(np.frombuffer(tail, dtype="<i2")) if tail else b""

    def _convert(self, pcm: np.ndarray[Any, np.dtype[np.int16]]) -> bytes:
        # 32 samples of the previous block ride along so the low-pass filter has its history
        joined = np.concatenate([self._history, pcm])
        out = resample(joined, SOURCE_HZ, 8000)[self._history.size // 3 :]
        self._history = pcm[-48:]
        return ulaw_encode(out)


class OpenAITTS(TTSEngine):
    """`openai` TTS engine."""

    name = "openai"

    def __init__(
        self,
        api_key: str,
        *,
        voice: str = "alloy",
        model: str = "gpt-4o-mini-tts",
        base_url: str | None = None,
        timeout_s: float = 10.0,
        limits: ProviderLimits | None = None,
    ) -> None:
        import openai

        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
        self.voice = voice
        self.model = model
        self.limits = limits or ProviderLimits(self.name)

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        converter = Pcm24kToUlaw()
        with openai_failures(self.name):
            async with self._client.audio.speech.with_streaming_response.create(
                model=self.model, voice=self.voice, input=text, response_format="pcm"
            ) as response:
                async for data in response.iter_bytes(4800):
                    audio = converter.feed(data)
                    if audio:
                        yield audio
        tail = converter.flush()
        if tail:
            yield tail
