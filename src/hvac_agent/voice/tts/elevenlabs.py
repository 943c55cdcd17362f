"""ElevenLabs over its multi-context `stream-input` WebSocket, `output_format=ulaw_8000`: the audio
is Twilio-ready as it arrives, nothing is decoded.

- One context per utterance on a pooled connection (at most a few contexts per socket, as the
  API allows); text goes out in short word chunks for a fast first byte, with `flush` at each
  sentence end; `{"text": ""}` keeps a context alive while an LLM is still writing; the utterance
  ends with `close_context` and the server's `isFinal`.
- Alignment (the characters each audio chunk speaks) says how far the caller has heard.
- A connection that drops mid-utterance is reopened once and only the text not yet spoken is sent
  again; if that fails too, failover takes the rest.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.llm.splitter import split_sentences
from hvac_agent.voice.errors import EngineError, RateLimited, from_http_status
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.tts.base import TtsChunk, TTSEngine, Utterance, retrieved, word_start

DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"
DEFAULT_MODEL = "eleven_flash_v2_5"
MAX_CONTEXTS_PER_SOCKET = 4  # the API allows 5; one spare for a context still closing
CHUNK_WORDS = 4  # the first words leave at once; the rest in groups this size


def text_chunks(sentence: str, words: int = CHUNK_WORDS) -> list[str]:
    """A sentence as short chunks, each ending with the single space the API expects."""
    parts = sentence.split()
    return [" ".join(parts[i : i + words]) + " " for i in range(0, len(parts), words)]


class _SendStatus:
    __slots__ = ("closed_context", "waiting_for_text")

    def __init__(self) -> None:
        self.waiting_for_text = False  # no text to speak yet: a quiet provider is not a slow one
        self.closed_context = False


class _Socket:
    """One pooled connection: a reader task routes messages to their context's queue."""

    def __init__(self, ws: ClientConnection, engine: str) -> None:
        self.ws = ws
        self.engine = engine
        self.contexts: dict[str, asyncio.Queue[dict[str, Any] | EngineError]] = {}
        self.garbage = 0
        self.closed = False
        self.idle_since = 0.0
        self.reader = asyncio.get_running_loop().create_task(self._read(), name="elevenlabs-reader")

    async def _read(self) -> None:
        error: EngineError
        try:
            async for raw in self.ws:
                self._route(raw)
            error = EngineError(self.engine, "connection closed by the server")
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else "no close frame"
            error = EngineError(self.engine, f"connection dropped ({code})")
        except OSError as lost:
            error = EngineError(self.engine, f"connection lost: {lost!r}")
        self.closed = True
        for queue in self.contexts.values():
            queue.put_nowait(error)

    def _route(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            message = None
        if not isinstance(message, dict):
            self.garbage += 1
            if self.garbage >= 3:  # a provider talking nonsense: fail its utterances over
                for queue in self.contexts.values():
                    queue.put_nowait(EngineError(self.engine, "garbage frames from the provider"))
            return
        context = message.get("contextId") or message.get("context_id")
        if isinstance(context, str) and context in self.contexts:
            self.contexts[context].put_nowait(message)
        elif "error" in message or "message" in message:  # a socket-wide error
            failure = _error_from(self.engine, message)
            for queue in self.contexts.values():
                queue.put_nowait(failure)

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self.ws.send(json.dumps(message))
        except ConnectionClosed as closed:
            raise EngineError(self.engine, f"connection dropped while sending ({closed!r})") from closed

    async def aclose(self) -> None:
        self.closed = True
        with contextlib.suppress(ConnectionClosed, OSError):
            await self.ws.send(json.dumps({"close_socket": True}))
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


def _error_from(engine: str, message: dict[str, Any]) -> EngineError:
    kind = str(message.get("error") or "")
    text = str(message.get("message") or kind or message)[:200]
    lowered = f"{kind} {text}".lower()
    if any(word in lowered for word in ("rate", "concurren", "max_active", "too many", "quota_exceeded")):
        return RateLimited(engine, text)
    if any(word in lowered for word in ("api_key", "unauthor", "auth", "permission", "voice_not_found")):
        return EngineError(engine, f"refused: {text}", retryable=False)
    return EngineError(engine, text)


class ElevenLabsTTS(TTSEngine):
    """`elevenlabs` engine."""

    name = "elevenlabs"

    def __init__(
        self,
        api_key: str,
        *,
        voice: str = DEFAULT_VOICE,
        model: str = DEFAULT_MODEL,
        base_url: str = "wss://api.elevenlabs.io",
        clock: Clock | None = None,
        first_audio_timeout_s: float = 2.5,
        chunk_timeout_s: float = 1.0,
        keepalive_s: float = 10.0,
        idle_close_s: float = 15.0,
        limits: ProviderLimits | None = None,
    ) -> None:
        self.api_key = api_key
        self.voice = voice
        self.model = model
        self.base_url = base_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.first_audio_timeout_s = first_audio_timeout_s
        self.chunk_timeout_s = chunk_timeout_s
        self.keepalive_s = keepalive_s
        self.idle_close_s = idle_close_s
        self.provider_limits = limits or ProviderLimits(self.name, clock=self.clock)
        self.limits = self.provider_limits
        self._pool: list[_Socket] = []
        self._closing: set[asyncio.Task[None]] = set()  # sockets being closed in the background
        self.reconnects = 0

    @property
    def url(self) -> str:
        query = urlencode(
            {"model_id": self.model, "output_format": "ulaw_8000", "inactivity_timeout": 60, "sync_alignment": "true"}
        )
        return f"{self.base_url}/v1/text-to-speech/{self.voice}/multi-stream-input?{query}"

    async def _connect(self) -> _Socket:
        try:
            ws = await websockets.connect(
                self.url,
                additional_headers={"xi-api-key": self.api_key},
                open_timeout=self.first_audio_timeout_s,
                max_size=2**22,
            )
        except InvalidStatus as refused:
            response = refused.response
            body = response.body.decode("utf-8", "replace") if response.body else ""
            raise from_http_status(
                self.name, response.status_code, body, retry_after=response.headers.get("Retry-After")
            ) from refused
        except (InvalidHandshake, OSError, TimeoutError) as error:
            raise EngineError(self.name, f"cannot connect: {error!r}") from error
        return _Socket(ws, self.name)

    async def _socket(self) -> _Socket:
        now = self.clock.monotonic()
        for sock in list(self._pool):
            stale = not sock.contexts and now - sock.idle_since > self.idle_close_s
            if sock.closed or stale:
                self._pool.remove(sock)
                if stale:
                    await sock.aclose()
        for sock in self._pool:
            if len(sock.contexts) < MAX_CONTEXTS_PER_SOCKET:
                return sock
        sock = await self.provider_limits.run(self._connect)
        self._pool.append(sock)
        return sock

    async def _speak_impl(self, pieces: AsyncIterable[str]) -> AsyncIterator[TtsChunk]:
        utterance = Utterance()
        source = _Pieces(pieces, utterance)
        heard = 0
        for attempt in range(2):
            base = word_start(utterance.text, heard)
            if attempt and base >= len(utterance.text) and source.done:
                return
            try:
                # a reconnect mid-utterance must answer as fast as a provider mid-sentence
                first_timeout_s = self.chunk_timeout_s if attempt else self.first_audio_timeout_s
                async for spoken, audio in self._one_context(utterance.text[base:], source, first_timeout_s):
                    if spoken is not None:
                        heard = max(heard, min(len(utterance.text), base + spoken))
                    yield TtsChunk(audio, None if spoken is None else heard)
                return
            except EngineError as error:
                if attempt or not error.retryable or isinstance(error, RateLimited) or heard == 0:
                    raise
                self.reconnects += 1  # dropped mid-utterance: once more, from the unheard words

    async def _one_context(
        self, resend: str, source: _Pieces, first_timeout_s: float
    ) -> AsyncIterator[tuple[int | None, bytes]]:
        sock = await self._socket()
        context = uuid.uuid4().hex
        queue: asyncio.Queue[dict[str, Any] | EngineError] = asyncio.Queue()
        sock.contexts[context] = queue
        status = _SendStatus()
        sender = asyncio.get_running_loop().create_task(self._send_text(sock, context, resend, source, status))
        spoken = 0
        got_audio = False
        try:
            while True:
                timeout = self.chunk_timeout_s if got_audio else first_timeout_s
                message = await self._next(queue, sender, status, timeout)
                if isinstance(message, EngineError):
                    if not sock.closed:  # a socket that went quiet is not used again
                        sock.closed = True
                        closing = asyncio.get_running_loop().create_task(sock.aclose())
                        self._closing.add(closing)
                        closing.add_done_callback(self._closing.discard)
                    raise message
                if "error" in message or ("message" in message and "audio" not in message):
                    raise _error_from(self.name, message)
                audio_b64 = message.get("audio")
                if isinstance(audio_b64, str) and audio_b64:
                    try:
                        audio = base64.b64decode(audio_b64, validate=True)
                    except binascii.Error as error:
                        raise EngineError(self.name, "audio that is not base64") from error
                    alignment = message.get("alignment") or message.get("normalizedAlignment")
                    chars = alignment.get("chars") if isinstance(alignment, dict) else None
                    if isinstance(chars, list):
                        spoken += len(chars)
                    got_audio = True
                    yield (spoken if isinstance(chars, list) else None), audio
                if message.get("isFinal") or message.get("is_final"):
                    return
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, EngineError):
                await sender
            sock.contexts.pop(context, None)
            sock.idle_since = self.clock.monotonic()
            if not sock.closed and not status.closed_context:
                with contextlib.suppress(EngineError):
                    await sock.send({"context_id": context, "close_context": True})

    async def _next(
        self,
        queue: asyncio.Queue[dict[str, Any] | EngineError],
        sender: asyncio.Task[None],
        status: _SendStatus,
        timeout_s: float,
    ) -> dict[str, Any] | EngineError:
        """The next message; the clock for a slow provider runs only while no text is pending."""
        while True:
            try:
                return await asyncio.wait_for(queue.get(), timeout_s)
            except TimeoutError:
                if sender.done() and sender.exception() is not None:
                    error = sender.exception()
                    return error if isinstance(error, EngineError) else EngineError(self.name, repr(error))
                if sender.done() or not status.waiting_for_text:
                    return EngineError(self.name, f"no audio for {timeout_s:.1f} s")

    async def _send_text(self, sock: _Socket, context: str, resend: str, source: _Pieces, status: _SendStatus) -> None:
        await sock.send(
            {
                "text": " ",
                "context_id": context,
                "voice_settings": {"stability": 0.5, "similarity_boost": 0.8, "speed": 1.0},
            }
        )
        if resend.strip():
            await self._send_sentences(sock, context, resend)
        while True:
            status.waiting_for_text = True
            piece = await source.next_or_keepalive(self.keepalive_s)
            status.waiting_for_text = False
            if piece is None:
                break
            if piece == "":
                await sock.send({"text": "", "context_id": context})  # keep the context alive
                continue
            await self._send_sentences(sock, context, piece)
        status.closed_context = True
        await sock.send({"context_id": context, "close_context": True})

    async def _send_sentences(self, sock: _Socket, context: str, text: str) -> None:
        for sentence in split_sentences(text):
            for chunk in text_chunks(sentence):
                await sock.send({"text": chunk, "context_id": context})
            await sock.send({"context_id": context, "flush": True})

    def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:  # pragma: no cover - speak() is overridden
        raise NotImplementedError

    async def aclose(self) -> None:
        pool, self._pool = self._pool, []
        for sock in pool:
            await sock.aclose()
        for closing in list(self._closing):
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed, OSError):
                await closing


class _Pieces:
    """The utterance's pieces, read once (a reconnect continues where the last context stopped)."""

    def __init__(self, pieces: AsyncIterable[str], utterance: Utterance) -> None:
        self._source = aiter(pieces)
        self.utterance = utterance
        self.done = False
        self._reading: asyncio.Task[str] | None = None

    async def next_or_keepalive(self, keepalive_s: float) -> str | None:
        """The next piece; "" when `keepalive_s` passed without one; None at the end."""
        if self.done:
            return None
        if self._reading is None:
            self._reading = asyncio.ensure_future(anext(self._source))
            self._reading.add_done_callback(retrieved)
        done, _ = await asyncio.wait({self._reading}, timeout=keepalive_s)
        if not done:
            return ""
        reading, self._reading = self._reading, None
        try:
            piece = reading.result()
        except StopAsyncIteration:
            self.done = True
            return None
        if not piece.strip():
            return ""
        self.utterance.add(piece)
        return piece.strip()
