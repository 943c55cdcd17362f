"""AWS Polly `SynthesizeSpeech` through boto3: `OutputFormat=pcm` at `SampleRate=8000` is already
the telephone rate, so the audio only needs μ-law encoding. boto3 is synchronous: the request and
every read of the body stream run in a worker thread, never on the event loop. Credentials,
region and endpoint come from the standard AWS variables (`AWS_ACCESS_KEY_ID`, `AWS_REGION`,
`AWS_ENDPOINT_URL_POLLY`...)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from hvac_agent.voice.codec import ulaw_encode
from hvac_agent.voice.errors import EngineError, EngineUnavailable, RateLimited, from_http_status
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.tts.base import TTSEngine

_READ_BYTES = 3200  # 200 ms of 8 kHz PCM16
_THROTTLED = {"ThrottlingException", "TooManyRequestsException", "Throttling", "ServiceQuotaExceededException"}
_REFUSED = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
}


class PollyTTS(TTSEngine):
    """`polly` engine."""

    name = "polly"

    def __init__(
        self,
        *,
        voice: str = "Joanna",
        engine: str = "neural",
        region: str | None = None,
        endpoint_url: str | None = None,
        timeout_s: float = 10.0,
        limits: ProviderLimits | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as error:
            raise EngineUnavailable(self.name, "boto3 is not installed (pip install 'hvac-agent[aws]')") from error
        config = Config(connect_timeout=timeout_s, read_timeout=timeout_s, retries={"total_max_attempts": 1})
        self._client: Any = boto3.client(
            "polly",
            region_name=region or "us-east-1",
            endpoint_url=endpoint_url,
            config=config,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=aws_secret_access_key,
        )
        self.voice = voice
        self.engine = engine
        self.limits = limits or ProviderLimits(self.name)

    def _request(self, text: str) -> Any:
        return self._client.synthesize_speech(
            Text=text, VoiceId=self.voice, Engine=self.engine, OutputFormat="pcm", SampleRate="8000", TextType="text"
        )

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = await asyncio.to_thread(self._request, text)
            body = response["AudioStream"]
            pending = b""
            try:
                while data := await asyncio.to_thread(body.read, _READ_BYTES):
                    data = pending + data
                    even = len(data) - len(data) % 2
                    pending = data[even:]
                    yield ulaw_encode(np.frombuffer(data[:even], dtype="<i2"))
            finally:
                body.close()
        except ClientError as error:
            raise _from_client_error(self.name, error) from error
        except BotoCoreError as error:  # connection lost, timeouts, a body cut short
            raise EngineError(self.name, repr(error)) from error


def _from_client_error(name: str, error: Any) -> EngineError:
    info = error.response.get("Error", {})
    code = str(info.get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    message = str(info.get("Message", code))
    if code in _THROTTLED:
        return RateLimited(name, message)
    if code in _REFUSED:
        return EngineError(name, f"credentials refused ({code})", retryable=False)
    return from_http_status(name, status, f"{code} {message}")
