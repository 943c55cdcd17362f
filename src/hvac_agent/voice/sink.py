"""An audio sink shaped like Twilio: `push` audio, `mark`, `clear`; playback progress comes back
only from Twilio's `mark` echoes (never inferred from sleeps).

Pacing: frames leave at real time, 20 ms each, `lead_ms` ahead of the playhead — enough to ride
out a scheduling hiccup, never seconds of audio that a barge-in `clear` would have to throw away
on Twilio's side. Lateness of every frame against its due time is recorded (pacing jitter).
The sends are driven by the loop's shared `PacingTicker` (one task for all calls), not a task per
call; frames are turned into Twilio JSON when queued, so a tick only writes ready strings.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.voice import twilio_frames
from hvac_agent.voice.codec import FRAME_MS, FRAME_SAMPLES, ULAW_SILENCE
from hvac_agent.voice.stats import VoiceStats
from hvac_agent.voice.ticker import PacingTicker, send_now, ticker_for

SendText = Callable[[str], Awaitable[None]]


@dataclass
class _MarkItem:
    message: str


@dataclass
class _NotifyItem:
    callback: Callable[[float], None]


class PacedSink:
    def __init__(
        self,
        send_text: SendText,
        stream_sid: str,
        *,
        clock: Clock | None = None,
        lead_ms: int = 100,
        stats: VoiceStats | None = None,
    ) -> None:
        self._send = send_text
        self.stream_sid = stream_sid
        self.clock = clock or SYSTEM_CLOCK
        self.lead_ms = lead_ms
        self.stats = stats
        # media frames as ready Twilio JSON (str); marks and listeners in order between them
        self._queue: deque[str | _MarkItem | _NotifyItem] = deque()
        self._partial = b""  # audio shorter than a frame, waiting for more
        self._ticker: PacingTicker | None = None
        self._ctx: contextvars.Context | None = None  # the call's context: sends and listeners run in it
        self._inflight: asyncio.Task[None] | None = None  # a send the socket made wait
        self._closed = False
        self._play_start = 0.0
        self._playing = False
        self._sent_ms = 0.0  # audio sent since _play_start
        self.frames_sent = 0
        self._on_next_frame: list[Callable[[float], None]] = []

    # ---- producer side --------------------------------------------------------------------------
    def push(self, ulaw: bytes) -> None:
        """Queue audio (any length); it leaves in 20 ms frames."""
        data = self._partial + ulaw
        whole = len(data) - len(data) % FRAME_SAMPLES
        was_empty = not self._queue
        for i in range(0, whole, FRAME_SAMPLES):
            self._queue.append(twilio_frames.media_message(self.stream_sid, data[i : i + FRAME_SAMPLES]))
        self._partial = data[whole:]
        if was_empty and self._queue:
            self._kick()

    def mark(self, name: str) -> None:
        """Queue a mark after the audio queued so far (pads a partial frame with silence)."""
        was_empty = not self._queue
        if self._partial:
            frame = self._partial + bytes([ULAW_SILENCE]) * (FRAME_SAMPLES - len(self._partial))
            self._queue.append(twilio_frames.media_message(self.stream_sid, frame))
            self._partial = b""
        self._queue.append(_MarkItem(twilio_frames.mark_message(self.stream_sid, name)))
        if was_empty:
            self._kick()

    def notify_next_frame(self, callback: Callable[[float], None]) -> None:
        """Call `callback(send time)` once the next audio queued after this point has left."""
        was_empty = not self._queue
        self._queue.append(_NotifyItem(callback))
        if was_empty:
            self._kick()

    async def clear(self) -> None:
        """Barge-in: drop everything queued here and tell Twilio to drop what it buffered."""
        self._queue.clear()
        self._partial = b""
        self._sent_ms = 0.0
        self._playing = False
        if not self._closed:
            await self._send(twilio_frames.clear_message(self.stream_sid))

    @property
    def queued_ms(self) -> float:
        return float(sum(FRAME_MS for item in self._queue if isinstance(item, str)))

    @property
    def idle(self) -> bool:
        return not self._queue and not self._partial

    # ---- pacing ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._ticker is None and not self._closed:
            self._ctx = contextvars.copy_context()
            self._ticker = ticker_for(self.clock)
            self._ticker.add(self)
            if self._queue:
                self._kick()

    async def aclose(self) -> None:
        self._closed = True
        self._queue.clear()
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            await ticker.remove(self)
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            inflight.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await inflight

    def _kick(self) -> None:
        if self._ticker is not None:
            self._ticker.kick(self)

    def _sent(self, task: asyncio.Task[None]) -> None:
        if self._inflight is task:
            self._inflight = None
            if self._queue:
                self._kick()

    def _emit(self, message: str) -> None:
        assert self._ctx is not None
        task = send_now(self._send(message), self._ctx)
        if task is not None:  # the socket pushed back: this sink waits for it, the others do not
            self._inflight = task
            task.add_done_callback(self._sent)

    def _pump(self, now: float, tick: float) -> bool:
        """Called by the ticker: send everything due at `now`. Playback (re)starts on the grid tick
        `tick` <= now, so later frames fall due exactly on ticks. True while audio is still queued."""
        queue = self._queue
        at = max(now, tick)
        while queue and self._inflight is None and not self._closed:
            playhead_ms = (at - self._play_start) * 1000.0
            if not self._playing or playhead_ms > self._sent_ms:
                # Idle (or starved) → playback restarts now; the next frames go out as the lead.
                self._play_start = tick
                self._playing = True
                self._sent_ms = 0.0
                playhead_ms = (at - tick) * 1000.0
                if self.stats is not None:
                    self.stats.record_burst_start()
            item = queue[0]
            if isinstance(item, _NotifyItem):
                queue.popleft()
                self._on_next_frame.append(item.callback)
                continue
            if isinstance(item, _MarkItem):
                queue.popleft()
                self._emit(item.message)
                continue
            due_ms = self._sent_ms - self.lead_ms  # playhead time at which this frame is due
            if due_ms > playhead_ms + 1e-6:
                break
            queue.popleft()
            if due_ms > 0 and self.stats is not None:  # the lead itself goes out as a burst
                self.stats.record_lateness(max(0.0, (now - self._play_start) * 1000.0 - due_ms), self.lead_ms)
            self._emit(item)
            if self._on_next_frame:
                listeners, self._on_next_frame = self._on_next_frame, []
                sent_at = self.clock.monotonic()
                for listener in listeners:
                    assert self._ctx is not None
                    self._ctx.run(listener, sent_at)
            self._sent_ms += FRAME_MS
            self.frames_sent += 1
        return bool(queue)
