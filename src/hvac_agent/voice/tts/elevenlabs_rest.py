"""ElevenLabs over REST (`/v1/text-to-speech/{voice}/stream`, MP3) through the official SDK: the
fallback when the WebSocket path is not wanted. One persistent MP3 decoder per sentence stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from hvac_agent.voice.errors import EngineError, EngineUnavailable, from_http_status
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.mp3 import Mp3ToUlaw
from hvac_agent.voice.tts.base import TTSEngine
from hvac_agent.voice.tts.elevenlabs import DEFAULT_MODEL, DEFAULT_VOICE


class ElevenLabsRestTTS(TTSEngine):
    """`elevenlabs-rest` engine."""

    name = "elevenlabs-rest"

    def __init__(
        self,
        api_key: str,
        *,
        voice: str = DEFAULT_VOICE,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        timeout_s: float = 10.0,
        limits: ProviderLimits | None = None,
    ) -> None:
        try:
            from elevenlabs.client import AsyncElevenLabs
        except ImportError as error:
            raise EngineUnavailable(
                self.name, "the ElevenLabs SDK is not installed (pip install 'hvac-agent[elevenlabs]')"
            ) from error
        Mp3ToUlaw(self.name)  # PyAV present, or unavailable now rather than on the first call
        http_base = base_url.replace("wss://", "https://").replace("ws://", "http://") if base_url else None
        self._client: Any = AsyncElevenLabs(api_key=api_key, base_url=http_base, timeout=timeout_s)
        self.voice = voice
        self.model = model
        self.limits = limits or ProviderLimits(self.name)

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        from elevenlabs.core.api_error import ApiError

        decoder = Mp3ToUlaw(self.name)
        try:
            stream = self._client.text_to_speech.stream(
                self.voice, text=text, model_id=self.model, output_format="mp3_22050_32"
            )
            async for data in stream:
                audio = decoder.feed(data)
                if audio:
                    yield audio
        except ApiError as error:
            headers = error.headers or {}
            raise from_http_status(
                self.name, error.status_code or 0, str(error.body), retry_after=headers.get("retry-after")
            ) from error
        except httpx.HTTPError as error:
            raise EngineError(self.name, f"HTTP stream failed: {error!r}") from error
        except self._av_error() as error:
            raise EngineError(self.name, f"undecodable audio: {error!r}") from error
        tail = decoder.flush()
        if tail:
            yield tail

    @staticmethod
    def _av_error() -> type[Exception]:
        import av

        error: type[Exception] = av.FFmpegError
        return error
