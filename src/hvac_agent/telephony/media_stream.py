"""`WS /twilio/stream`: Twilio Media Streams ⇄ the voice pipeline.

Protocol only: parse frames, start a `CallPipeline` on `start`, route media/mark/dtmf, finalise
on `stop` or a dropped socket. Malformed, unknown, early, duplicate or out-of-order frames are
logged and ignored — a bad frame never ends a call. Transfer and hang-up are the dialogue's
decisions: the pipeline plays the last words, waits for their mark, and we close the socket;
Twilio then posts the `<Connect action>` (answered by the gather edge with `<Dial>`/`<Hangup/>`).
The signature check on the upgrade is the app's ASGI middleware, before we accept.

The socket is served by `MediaStreamLane`, a pure ASGI middleware, straight on the server's
`receive`/`send`: a stream carries 50 frames a second each way per call, and the framework layers
a routed WebSocket goes through (routing, exception wrappers around every send, the `WebSocket`
state checks) cost more per frame than handling the frame itself — measured at 200 calls, about
a fifth of a core.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from hvac_agent.clock import Clock
from hvac_agent.observability.logging import bind_call, get_logger
from hvac_agent.voice import twilio_frames as tf
from hvac_agent.voice.pipeline import CallPipeline, PipelineConfig, Responder, VoiceEngines
from hvac_agent.voice.sink import PacedSink

if TYPE_CHECKING:
    from hvac_agent.services import StreamWiring
from hvac_agent.voice.stats import VoiceStats

log = get_logger("hvac_agent.telephony.media_stream")

STREAM_PATH = "/twilio/stream"


class MediaStreamSession:
    """One WebSocket's protocol state. `send_text` writes a frame; `close_socket` ends the stream."""

    def __init__(
        self,
        send_text: Callable[[str], Awaitable[None]],
        responder: Responder,
        voice: VoiceEngines,
        *,
        clock: Clock,
        close_socket: Callable[..., Awaitable[None]] | None = None,  # (code=1000)
        stats: VoiceStats | None = None,
        config: PipelineConfig | None = None,
        admit: Callable[[tf.Start], Awaitable[str | None]] | None = None,
    ) -> None:
        self._send = send_text
        self.admit = admit  # None, or why a `start` is not its call's (see telephony/stream_token.py)
        self.responder = responder
        self.voice = voice
        self._close_socket = close_socket
        self.clock = clock
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
        except (OSError, RuntimeError):  # socket gone (or closed): the receive loop sees the disconnect
            self.stopped = True

    def _ignore(self, why: str, **fields: Any) -> None:
        self.ignored += 1
        if self.ignored <= 20 or self.ignored % 1000 == 0:
            log.warning("stream_frame_ignored", reason=why, call_sid=self.call_sid, count=self.ignored, **fields)

    def feed(self, text: str | bytes) -> Coroutine[Any, Any, None] | None:
        """Handle one message; media, marks and keypad are handled at once (no coroutine per
        frame), and what needs awaiting (`start`, `stop`) comes back as a coroutine."""
        frame = tf.parse(text)
        if frame is None:
            self._ignore("malformed")
            return None
        pipeline = self.pipeline
        if type(frame) is tf.Media:
            if pipeline is None:
                self._ignore("before_start", kind="Media")
            elif self.audio_ok and frame.track in ("inbound", "inbound_track"):
                seq = frame.sequence
                if seq is not None:
                    if self._last_seq is not None and seq <= self._last_seq:
                        self._ignore("out_of_order", seq=seq)
                        return None
                    self._last_seq = seq
                pipeline.on_media(frame.payload)
            return None
        if isinstance(frame, tf.Start):
            return self._on_start(frame)
        if isinstance(frame, tf.Connected):
            return None
        if pipeline is None:
            self._ignore("before_start", kind=type(frame).__name__)
            return None
        if isinstance(frame, tf.Mark):
            pipeline.on_mark(frame.name)
        elif isinstance(frame, tf.Dtmf):
            pipeline.on_dtmf(frame.digit)
        elif isinstance(frame, tf.Stop):
            return self.close()
        return None

    async def _on_start(self, start: tf.Start) -> None:
        if self.pipeline is not None:
            self._ignore("second_start")
            return
        bind_call(start.call_sid)  # every log line of this connection (and its tasks) carries it
        refused = await self.admit(start) if self.admit is not None else None
        if refused is not None:  # not this call's start: close before anything reaches the dialogue
            log.warning("stream_start_refused", call_sid=start.call_sid, reason=refused)
            self.stopped = True
            if self._close_socket is not None:
                with contextlib.suppress(Exception):
                    await self._close_socket(1008)  # policy violation
            return
        self.stream_sid, self.call_sid = start.stream_sid, start.call_sid
        if (start.encoding.lower(), start.sample_rate_hz, start.channels) != ("audio/x-mulaw", 8000, 1):
            # We only speak μ-law 8 kHz; keep the call (greeting, keypad) but ignore its audio.
            self.audio_ok = False
            log.warning(
                "stream_unsupported_audio",
                call_sid=start.call_sid,
                encoding=start.encoding,
                sample_rate_hz=start.sample_rate_hz,
            )
        caller = start.custom.get("caller") or None  # the signed parameter, nothing else
        sink = PacedSink(self._safe_send, start.stream_sid, clock=self.clock, stats=self.stats)
        self.pipeline = CallPipeline(
            start.call_sid,
            caller,
            self.responder,
            self.voice,
            sink,
            clock=self.clock,
            config=self.config,
            stats=self.stats,
            on_finished=self._finished,
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


class MediaStreamLane:
    """Pure ASGI middleware that serves `WS /twilio/stream` itself and passes everything else on.

    Put it inside the signature middleware, so a forged upgrade is still refused before accept.
    """

    def __init__(self, app: ASGIApp, wiring: Callable[[], StreamWiring], path: str = STREAM_PATH) -> None:
        self.app = app
        self.wiring = wiring  # read per stream: the app's services exist once its lifespan has run
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope.get("path") == self.path:
            await serve_media_stream(self.wiring(), receive, send)
            return
        await self.app(scope, receive, send)


async def serve_media_stream(wiring: StreamWiring, receive: Receive, send: Send) -> None:
    """One Twilio media stream on raw ASGI messages: accept, feed every message to a
    `MediaStreamSession`, finalise the call when the stream stops or the socket drops."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    try:
        voice = await wiring.voice.get()
    except Exception:
        log.exception("stream_engines_unavailable")
        await send({"type": "websocket.close", "code": 1011})
        return
    closed = False

    async def send_text(text: str) -> None:
        await send({"type": "websocket.send", "text": text})

    async def close_socket(code: int = 1000) -> None:
        nonlocal closed
        if not closed:
            closed = True
            await send({"type": "websocket.close", "code": code})

    tokens = wiring.tokens
    session = MediaStreamSession(
        send_text,
        wiring.responder,
        voice,
        close_socket=close_socket,
        clock=wiring.clock,
        stats=wiring.stats,
        config=wiring.config,
        admit=(lambda start: tokens.refusal(start.call_sid, start.custom)) if tokens is not None else None,
    )
    await pump(session, receive)


async def pump(
    session: MediaStreamSession,
    receive: Receive,
    feed: Callable[[str | bytes], Coroutine[Any, Any, None] | None] | None = None,
) -> None:
    """Feed every message of an accepted socket to `session` until it stops or the socket drops,
    then finalise the call (shared by Twilio's stream and the console's softphone)."""
    feed = feed or session.feed
    try:
        while not session.stopped:
            message = await receive()
            if message["type"] != "websocket.receive":
                if message["type"] == "websocket.disconnect":
                    break
                continue
            data = message.get("text")
            if data is None:
                data = message.get("bytes")
            if data is None:
                continue
            pending = feed(data)
            if pending is not None:
                await pending
    except OSError:  # the socket went away under us: same as a disconnect
        pass
    finally:
        await session.close()
