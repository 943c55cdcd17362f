"""Deepgram live transcription over its WebSocket, through the official SDK.

One connection per call (`DeepgramSession`), opened at the caller's first turn with the documented
parameters: `encoding=mulaw&sample_rate=8000` (Twilio's frames go out untouched), `interim_results`,
`endpointing` and `utterance_end_ms`, `smart_format`, `punctuate`, keyterms from the question's
hints. Between turns nothing is sent but a `KeepAlive` every few seconds (Deepgram closes a silent
socket after ~10 s); at the end of a turn `Finalize` flushes what Deepgram still holds, and the
results it answers with (`from_finalize`) complete the turn; `CloseStream` when the call ends.
Interim and final words go to the turn detector as they come (`on_words`); `speech_final` is
Deepgram's own endpointing, which ends a turn from the words rather than a fixed silence.
A connection lost in a turn is reopened once and the turn's audio replayed; then failover.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.dialogue.state import Expect
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.codec import ulaw_encode
from hvac_agent.voice.errors import EngineError, EngineUnavailable, from_http_status
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.stt.base import STTEngine, SttResult, SttSession, SttStream

log = get_logger("hvac_agent.voice.stt.deepgram")


class DeepgramSTT(STTEngine):
    """`deepgram` engine."""

    name = "deepgram"

    def __init__(
        self,
        api_key: str,
        *,
        model: str = "nova-3",
        base_url: str | None = None,
        endpointing_ms: int = 300,
        utterance_end_ms: int = 1000,
        keepalive_s: float = 4.0,
        finalize_timeout_s: float = 1.5,
        connect_timeout_s: float = 3.0,
        clock: Clock | None = None,
        limits: ProviderLimits | None = None,
    ) -> None:
        try:
            from deepgram import AsyncDeepgramClient
            from deepgram.environment import DeepgramClientEnvironment
        except ImportError as error:
            raise EngineUnavailable(
                self.name, "the Deepgram SDK is not installed (pip install 'hvac-agent[deepgram]')"
            ) from error
        environment = DeepgramClientEnvironment.PRODUCTION
        if base_url:
            ws = base_url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
            http = ws.replace("wss://", "https://").replace("ws://", "http://")
            environment = DeepgramClientEnvironment(base=http, production=ws, agent=ws, agent_rest=http)
        self._client: Any = AsyncDeepgramClient(api_key=api_key, environment=environment)
        self.model = model
        self.endpointing_ms = endpointing_ms
        self.utterance_end_ms = utterance_end_ms
        self.keepalive_s = keepalive_s
        self.finalize_timeout_s = finalize_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.provider_limits = limits or ProviderLimits(self.name, clock=self.clock)
        self.limits = self.provider_limits

    def open_session(self) -> SttSession:
        return DeepgramSession(self)

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return DeepgramSession(self, owns_connection=True).stream(expect, hints)

    def connect(self, keyterms: list[str]) -> Any:
        """The SDK's connection context manager, with the parameters we depend on."""
        return self._client.listen.v1.connect(
            model=self.model,
            encoding="mulaw",
            sample_rate=8000,
            channels=1,
            interim_results="true",
            endpointing=self.endpointing_ms,
            utterance_end_ms=self.utterance_end_ms,
            smart_format="true",
            punctuate="true",
            vad_events="true",
            keyterm=keyterms[:20] or None,
        )

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        """A whole segment through one short-lived connection (probes, and failover's batch path)."""
        stream = self.stream(expect, hints)
        ulaw = ulaw_encode(audio)
        for i in range(0, len(ulaw), 160):
            stream.push(ulaw[i : i + 160])
        try:
            return (await stream.final()).text
        finally:
            await stream.aclose()


class DeepgramSession(SttSession):
    def __init__(self, engine: DeepgramSTT, *, owns_connection: bool = False) -> None:
        super().__init__(engine)
        self.dg = engine
        self.owns_connection = owns_connection
        self._cm: Any = None
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._connecting: asyncio.Task[Any] | None = None
        self._turn: DeepgramStream | None = None
        self._last_sent = 0.0

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        turn = DeepgramStream(self, hints or [])
        self._turn = turn
        return turn

    # ---- connection ---------------------------------------------------------------------------
    async def socket(self, keyterms: list[str]) -> Any:
        if self._socket is not None:
            return self._socket
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open(keyterms))
        try:
            return await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _open(self, keyterms: list[str]) -> Any:
        from deepgram.core.api_error import ApiError

        async def attempt() -> Any:
            cm = self.dg.connect(keyterms)
            try:
                async with asyncio.timeout(self.dg.connect_timeout_s):
                    socket = await cm.__aenter__()
            except ApiError as error:
                raise from_http_status(self.dg.name, int(error.status_code or 0), str(error.body)) from error
            except (OSError, TimeoutError) as error:
                raise EngineError(self.dg.name, f"cannot connect: {error!r}") from error
            return cm, socket

        self._cm, self._socket = await self.dg.provider_limits.run(attempt)
        self._last_sent = self.dg.clock.monotonic()
        self._reader = asyncio.get_running_loop().create_task(self._read(self._socket), name="deepgram-reader")
        self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive(), name="deepgram-keepalive")
        return self._socket

    async def _read(self, socket: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        failure: EngineError | None = None
        try:
            async for message in socket:
                self._on_message(message)
        except ConnectionClosed as closed:
            failure = EngineError(self.dg.name, f"connection dropped ({closed!r})")
        except (OSError, ValueError) as error:
            failure = EngineError(self.dg.name, f"unreadable stream: {error!r}")
        if failure is None:
            failure = EngineError(self.dg.name, "connection closed by the server")
        self._lost(socket, failure)

    def _lost(self, socket: Any, failure: EngineError) -> None:
        if self._socket is socket:
            self._socket = None
            if self._keepalive is not None:
                self._keepalive.cancel()
            if self._turn is not None:
                self._turn.failed(failure)

    def _on_message(self, message: Any) -> None:
        kind = getattr(message, "type", None) if not isinstance(message, dict) else message.get("type")
        if self._turn is None:
            return
        if kind == "Results":
            self._turn.on_results(message)
        elif kind == "UtteranceEnd":
            self._turn.on_utterance_end()
        elif kind == "Error" or (isinstance(message, dict) and "err_code" in message):
            self._turn.failed(EngineError(self.dg.name, f"provider error: {message!r}"[:200]))
        elif kind is None:
            self._turn.garbage()

    async def _keep_alive(self) -> None:
        """While no audio goes out (the agent is talking), a KeepAlive every few seconds."""
        while True:
            await self.dg.clock.sleep(self.dg.keepalive_s / 2)
            if self._socket is not None and self.dg.clock.monotonic() - self._last_sent >= self.dg.keepalive_s:
                await self.send_control("KeepAlive")

    async def send_audio(self, ulaw: bytes) -> None:
        socket = self._socket
        if socket is None:
            raise EngineError(self.dg.name, "not connected")
        from websockets.exceptions import ConnectionClosed

        try:
            await socket.send_media(ulaw)
        except ConnectionClosed as closed:
            self._lost(socket, EngineError(self.dg.name, f"connection dropped ({closed!r})"))
            raise EngineError(self.dg.name, "connection dropped while sending") from closed
        self._last_sent = self.dg.clock.monotonic()

    async def send_control(self, kind: str) -> None:
        socket = self._socket
        if socket is None:
            return
        from websockets.exceptions import ConnectionClosed

        try:
            if kind == "KeepAlive":
                await socket.send_keep_alive()
            elif kind == "Finalize":
                await socket.send_finalize()
            else:
                await socket.send_close_stream()
        except ConnectionClosed as closed:
            self._lost(socket, EngineError(self.dg.name, f"connection dropped ({closed!r})"))
            return
        self._last_sent = self.dg.clock.monotonic()

    async def aclose(self) -> None:
        for task in (self._keepalive, self._connecting):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, EngineError):
                    await task
        socket, self._socket = self._socket, None
        if socket is not None:
            with contextlib.suppress(OSError, EngineError):
                from websockets.exceptions import ConnectionClosed

                with contextlib.suppress(ConnectionClosed):
                    await socket.send_close_stream()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, EngineError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), 1.0)
            self._reader.cancel()
        if self._cm is not None:
            with contextlib.suppress(OSError, RuntimeError):
                await self._cm.__aexit__(None, None, None)
            self._cm = None


class DeepgramStream(SttStream):
    """One turn on the call's connection. Audio is buffered until the socket is open (the first
    turn opens it while the caller is still talking) and kept for a replay after a reconnect."""

    def __init__(self, session: DeepgramSession, hints: list[str]) -> None:
        self.session = session
        self.hints = hints
        self.audio: list[bytes] = []
        self._sent = 0
        self._finals: list[str] = []
        self._confidences: list[float] = []
        self._interim = ""
        self._final_event = asyncio.Event()
        self._finalizing = False
        self._error: EngineError | None = None
        self._garbage = 0
        self._pump: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._all_sent = asyncio.Event()  # every pushed frame has gone out (or the stream failed)
        self._reconnected = False
        self._closed = False

    # ---- audio out ----------------------------------------------------------------------------
    def push(self, ulaw: bytes, voiced: bool = True) -> None:
        self.audio.append(ulaw)
        self._all_sent.clear()
        self._wake.set()
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._send_loop(), name="deepgram-send")

    async def _send_loop(self) -> None:
        """Sends buffered audio in order; a send failure is kept for `final()` to raise."""
        try:
            await self.session.socket(self.hints)
            while not self._closed:
                while self._sent < len(self.audio):
                    chunk = b"".join(self.audio[self._sent :])
                    count = len(self.audio) - self._sent
                    await self.session.send_audio(chunk)
                    self._sent += count
                self._all_sent.set()
                self._wake.clear()
                await self._wake.wait()
        except EngineError as error:
            self.failed(error)

    # ---- results in ---------------------------------------------------------------------------
    def on_results(self, message: Any) -> None:
        channel = _get(message, "channel")
        alternatives = _get(channel, "alternatives") or []
        best = alternatives[0] if alternatives else None
        text = str(_get(best, "transcript") or "").strip()
        confidence = _get(best, "confidence")
        is_final = bool(_get(message, "is_final"))
        speech_final = bool(_get(message, "speech_final"))
        if is_final:
            if text:
                self._finals.append(text)
                if isinstance(confidence, (int, float)):
                    self._confidences.append(float(confidence))
            self._interim = ""
        else:
            self._interim = text
        if self.on_words is not None and (text or speech_final):
            self.on_words(
                SttResult(
                    self.text(),
                    final=is_final,
                    confidence=self.confidence(),
                    engine=self.session.dg.name,
                    speech_final=speech_final,
                )
            )
        if self._finalizing and (_get(message, "from_finalize") or (is_final and speech_final)):
            self._final_event.set()

    def on_utterance_end(self) -> None:
        if self.on_words is not None and self._finals:
            self.on_words(
                SttResult(
                    self.text(),
                    final=True,
                    confidence=self.confidence(),
                    engine=self.session.dg.name,
                    speech_final=True,
                )
            )

    def garbage(self) -> None:
        self._garbage += 1
        if self._garbage >= 3:
            self.failed(EngineError(self.session.dg.name, "garbage frames from the provider"))

    def failed(self, error: EngineError) -> None:
        if self._error is None:
            self._error = error
        self._final_event.set()
        self._all_sent.set()

    def text(self) -> str:
        return " ".join([*self._finals, self._interim]).strip()

    def confidence(self) -> float | None:
        return min(self._confidences) if self._confidences else None

    # ---- the turn's verdicts --------------------------------------------------------------------
    async def partial(self) -> SttResult:
        if self._error is not None:
            raise self._error
        return SttResult(self.text(), final=False, confidence=self.confidence(), engine=self.session.dg.name)

    async def final(self) -> SttResult:
        while True:
            self._finalizing = True
            self._final_event.clear()
            if self._error is None:
                try:
                    async with asyncio.timeout(self.session.dg.finalize_timeout_s):
                        await self._flushed()
                        await self.session.send_control("Finalize")
                        await self._final_event.wait()
                except TimeoutError:
                    # Deepgram answers every Finalize; silence (or only frames the SDK could not
                    # read) means the stream is not working
                    self.failed(EngineError(self.session.dg.name, "no answer to Finalize"))
            if self._error is None:
                return SttResult(
                    " ".join(self._finals).strip(),
                    final=True,
                    confidence=self.confidence(),
                    engine=self.session.dg.name,
                )
            if self._reconnected or not self._error.retryable:
                raise self._error
            # lost mid-turn: once more on a new connection, with the whole turn's audio
            self._reconnected = True
            log.warning("deepgram_reconnect", error=str(self._error))
            self._error, self._finals, self._interim, self._sent = None, [], "", 0
            self._all_sent.clear()
            if self._pump is not None:
                self._pump.cancel()
            self._pump = asyncio.get_running_loop().create_task(self._send_loop(), name="deepgram-send")
            self._wake.set()

    async def _flushed(self) -> None:
        if self._sent < len(self.audio):
            await self._all_sent.wait()

    async def aclose(self) -> None:
        self._closed = True
        self._wake.set()
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self.session._turn is self:
            self.session._turn = None
        if self.session.owns_connection:
            await self.session.aclose()


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)
