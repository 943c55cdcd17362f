"""An audio sink shaped like Twilio: `push` audio, `mark`, `clear`; playback progress comes back
only from Twilio's `mark` echoes (never inferred from sleeps).

Pacing: frames leave at real time, 20 ms each, `lead_ms` ahead of the playhead — enough to ride
out a scheduling hiccup, never seconds of audio that a barge-in `clear` would have to throw away
on Twilio's side. Lateness of every frame against its due time is recorded (pacing jitter).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hvac_agent.clock import Clock, SystemClock
from hvac_agent.voice import twilio_frames
from hvac_agent.voice.codec import FRAME_MS, FRAME_SAMPLES, ULAW_SILENCE
from hvac_agent.voice.stats import VoiceStats

SendText = Callable[[str], Awaitable[None]]


@dataclass
class _MarkItem:
    name: str


@dataclass
class _NotifyItem:
    callback: Callable[[float], None]


class PacedSink:
    def __init__(self, send_text: SendText, stream_sid: str, *, clock: Clock | None = None,
                 lead_ms: int = 100, stats: VoiceStats | None = None) -> None:
        self._send = send_text
        self.stream_sid = stream_sid
        self.clock = clock or SystemClock()
        self.lead_ms = lead_ms
        self.stats = stats
        self._queue: deque[bytes | _MarkItem | _NotifyItem] = deque()
        self._partial = b""  # audio shorter than a frame, waiting for more
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
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
        for i in range(0, whole, FRAME_SAMPLES):
            self._queue.append(data[i : i + FRAME_SAMPLES])
        self._partial = data[whole:]
        self._wake.set()

    def mark(self, name: str) -> None:
        """Queue a mark after the audio queued so far (pads a partial frame with silence)."""
        if self._partial:
            self._queue.append(self._partial + bytes([ULAW_SILENCE]) * (FRAME_SAMPLES - len(self._partial)))
            self._partial = b""
        self._queue.append(_MarkItem(name))
        self._wake.set()

    def notify_next_frame(self, callback: Callable[[float], None]) -> None:
        """Call `callback(send time)` once the next audio queued after this point has left."""
        self._queue.append(_NotifyItem(callback))
        self._wake.set()

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
        return float(sum(FRAME_MS for item in self._queue if isinstance(item, bytes)))

    @property
    def idle(self) -> bool:
        return not self._queue and not self._partial

    # ---- pacing loop ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"pacer:{self.stream_sid}")

    async def aclose(self) -> None:
        self._closed = True
        self._queue.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self) -> None:
        clock = self.clock
        while not self._closed:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            now = clock.monotonic()
            playhead_ms = (now - self._play_start) * 1000.0
            if not self._playing or playhead_ms > self._sent_ms:
                # Idle (or starved) → playback restarts now; the next frames go out as the lead.
                self._play_start = now
                self._playing = True
                self._sent_ms = 0.0
                playhead_ms = 0.0
                if self.stats is not None:
                    self.stats.record_burst_start()
            item = self._queue.popleft()
            if isinstance(item, _NotifyItem):
                self._on_next_frame.append(item.callback)
                continue
            if isinstance(item, _MarkItem):
                await self._send(twilio_frames.mark_message(self.stream_sid, item.name))
                continue
            due_ms = self._sent_ms - self.lead_ms  # playhead time at which this frame is due
            if due_ms > playhead_ms:
                await clock.sleep((due_ms - playhead_ms) / 1000.0)
                if self._closed:
                    return
                if not self._playing:  # cleared while sleeping: this frame is gone
                    continue
            if due_ms >= 0 and self.stats is not None:
                self.stats.record_lateness(max(0.0, (clock.monotonic() - self._play_start) * 1000.0 - due_ms),
                                           self.lead_ms)
            await self._send(twilio_frames.media_message(self.stream_sid, item))
            if self._on_next_frame:
                listeners, self._on_next_frame = self._on_next_frame, []
                for listener in listeners:
                    listener(clock.monotonic())
            self._sent_ms += FRAME_MS
            self.frames_sent += 1
