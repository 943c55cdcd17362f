"""`WS /twilio/stream`: Twilio Media Streams ⇄ the voice pipeline.

Protocol only: parse frames, start a `CallPipeline` on `start`, route media/mark/dtmf, finalise
on `stop` or a dropped socket. Malformed, unknown, early, duplicate or out-of-order frames are
logged and ignored — a bad frame never ends a call. Transfer and hang-up are the dialogue's
decisions: the pipeline plays the last words, waits for their mark, and we close the socket;
Twilio then posts the `<Connect action>` (answered by the gather edge with `<Dial>`/`<Hangup/>`).
The signature check on the upgrade is the app's ASGI middleware, before we accept.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from hvac_agent.clock import Clock, SystemClock
from hvac_agent.observability.logging import bind_call, get_logger
from hvac_agent.voice import twilio_frames as tf
from hvac_agent.voice.pipeline import CallPipeline, CallServiceResponder, PipelineConfig, Responder, VoiceEngines
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import GLOBAL_STATS, VoiceStats

log = get_logger("hvac_agent.telephony.media_stream")
router = APIRouter()

class MediaStreamSession:
    """One WebSocket's protocol state. `send_text` writes a frame; `close_socket` ends the stream."""

    def __init__(
        self,
        send_text: Callable[[str], Awaitable[None]],
        responder: Responder,
        voice: VoiceEngines,
        *,
        close_socket: Callable[[], Awaitable[None]] | None = None,
        clock: Clock | None = None,
        stats: VoiceStats | None = None,
        config: PipelineConfig | None = None,
    ) -> None:
        self._send = send_text
        self.responder = responder
        self.voice = voice
        self._close_socket = close_socket
        self.clock = clock or SystemClock()
        self.stats = stats
        self.config = config
        self.pipeline: CallPipeline | None = None
        self.stream_sid: str | None = None
        self.call_sid: str | None = None
        self.audio_ok = True
        self.ignored = 0
        self.stopped = False
        self._last_seq: int | None = None

    async def _safe_send(self, text: str) -> None:
        if self.stopped:
            return
        try:
            await self._send(text)
        except Exception:  # socket gone: the receive loop will see the disconnect
            self.stopped = True

    def _ignore(self, why: str, **fields: Any) -> None:
        self.ignored += 1
        if self.ignored <= 20 or self.ignored % 1000 == 0:
            log.warning("stream_frame_ignored", reason=why, call_sid=self.call_sid, count=self.ignored, **fields)

    async def handle_text(self, text: str | bytes) -> None:
        frame = tf.parse(text)
        if frame is None:
            self._ignore("malformed")
            return
        if isinstance(frame, tf.Start):
            await self._on_start(frame)
            return
        if isinstance(frame, tf.Connected):
            return
        pipeline = self.pipeline
        if pipeline is None:
            self._ignore("before_start", kind=type(frame).__name__)
            return
        if isinstance(frame, tf.Media):
            if not self.audio_ok or frame.track not in ("inbound", "inbound_track"):
                return
            if frame.sequence is not None:
                if self._last_seq is not None and frame.sequence <= self._last_seq:
                    self._ignore("out_of_order", seq=frame.sequence)
                    return
                self._last_seq = frame.sequence
            pipeline.on_media(frame.payload)
        elif isinstance(frame, tf.Mark):
            pipeline.on_mark(frame.name)
        elif isinstance(frame, tf.Dtmf):
            pipeline.on_dtmf(frame.digit)
        elif isinstance(frame, tf.Stop):
            await self.close()

    async def _on_start(self, start: tf.Start) -> None:
        if self.pipeline is not None:
            self._ignore("second_start")
            return
        self.stream_sid, self.call_sid = start.stream_sid, start.call_sid
        bind_call(start.call_sid)  # every log line of this connection (and its tasks) carries it
        if (start.encoding.lower(), start.sample_rate_hz, start.channels) != ("audio/x-mulaw", 8000, 1):
            # We only speak μ-law 8 kHz; keep the call (greeting, keypad) but ignore its audio.
            self.audio_ok = False
            log.warning("stream_unsupported_audio", call_sid=start.call_sid, encoding=start.encoding,
                        sample_rate_hz=start.sample_rate_hz)
        caller = start.custom.get("caller") or start.custom.get("From") or None
        sink = PacedSink(self._safe_send, start.stream_sid, clock=self.clock, stats=self.stats)
        self.pipeline = CallPipeline(
            start.call_sid, caller, self.responder, self.voice, sink,
            clock=self.clock, config=self.config, stats=self.stats, on_finished=self._finished,
        )
        log.info("stream_started", call_sid=start.call_sid, stream_sid=start.stream_sid)
        await self.pipeline.begin()

    async def _finished(self, action: str) -> None:
        log.info("stream_closing", call_sid=self.call_sid, action=action)
        await self.close()
        if self._close_socket is not None:
            with contextlib.suppress(Exception):
                await self._close_socket()

    async def close(self) -> None:
        """Stop, a dropped socket, or the end of a transfer/hang-up: finalise the call once."""
        if self.stopped and self.pipeline is None:
            return
        self.stopped = True
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            await pipeline.close()
            log.info("stream_ended", call_sid=self.call_sid, ignored_frames=self.ignored)


async def get_voice(app: Any) -> VoiceEngines:
    """The process's engines: built in the lifespan, or here on first use."""
    voice: VoiceEngines | None = getattr(app.state, "voice", None)
    if voice is not None:
        return voice
    lock: asyncio.Lock | None = getattr(app.state, "voice_lock", None)
    if lock is None:
        lock = app.state.voice_lock = asyncio.Lock()  # per app: one event loop each
    async with lock:
        voice = getattr(app.state, "voice", None)
        if voice is None:
            from hvac_agent.voice.factory import build_voice

            voice = await asyncio.to_thread(build_voice, app.state.settings)
            app.state.voice = voice
    return voice


@router.websocket("/twilio/stream")
async def twilio_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    app = websocket.app
    voice = await get_voice(app)
    responder: Responder = getattr(app.state, "responder", None) or CallServiceResponder(app.state.calls)

    async def close_socket() -> None:
        await websocket.close()

    session = MediaStreamSession(
        websocket.send_text, responder, voice, close_socket=close_socket,
        clock=getattr(app.state, "voice_clock", None) or SystemClock(),
        stats=GLOBAL_STATS, config=getattr(app.state, "voice_config", None),
    )
    try:
        while not session.stopped:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("text")
            if data is None:
                data = message.get("bytes")
            if data is None:
                continue
            await session.handle_text(data)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await session.close()
