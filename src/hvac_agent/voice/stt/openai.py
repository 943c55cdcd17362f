"""OpenAI transcription (`/v1/audio/transcriptions`) on endpointed segments: the turn's audio is
sent once, at the end of the turn (as 8 kHz WAV), with the question's vocabulary as a prompt.
Partials are not transcribed (each would be a paid request)."""

from __future__ import annotations

import io
import wave

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.openai_errors import openai_failures
from hvac_agent.voice.stt.base import STTEngine


def wav_bytes(pcm: NDArray[np.int16], rate_hz: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate_hz)
        wav.writeframes(pcm.astype("<i2").tobytes())
    return out.getvalue()


class OpenAISTT(STTEngine):
    """`openai` STT engine."""

    name = "openai"
    transcribe_partials = False

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "gpt-4o-mini-transcribe",
        base_url: str | None = None,
        timeout_s: float = 8.0,
        limits: ProviderLimits | None = None,
    ) -> None:
        import openai

        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
        self.model = model
        self.limits = limits or ProviderLimits(self.name)

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        import openai

        prompt = ", ".join(hints[:30])
        with openai_failures(self.name):
            result = await self._client.audio.transcriptions.create(
                model=self.model,
                file=("turn.wav", wav_bytes(audio), "audio/wav"),
                language="en",
                response_format="json",
                prompt=prompt or openai.omit,
            )
        text = getattr(result, "text", None)
        if not isinstance(text, str):
            raise EngineError(self.name, "a transcription without text")
        return text
