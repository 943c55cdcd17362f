"""What the caller hears: utterances → TTS → the paced sink, with marks, `clear`, and one
`on_playback_finished(utterance, heard, interrupted)` per utterance, driven by Twilio's mark echoes.

Every utterance carries marks about once a second and at each point the engine reports as spoken
(alignment, sentence ends), named `<utterance>:<char offset>`, and `<utterance>:end`. An offset
between reported points is estimated from the audio length and snapped back to a word start, so
a mark never claims a word the caller has not heard in full.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from hvac_agent.clock import Clock
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.tts.base import TTSEngine, Utterance

log = get_logger("hvac_agent.voice.playout")

Action = Literal["listen", "transfer", "hangup"]
MS_PER_CHAR = 70.0  # ~14 characters a second: where a mark falls between reported offsets


@dataclass(eq=False)
class Speech:
    """One utterance of the agent."""

    id: int
    record: bool  # goes into the call record (a filler like "Okay." does not)
    action: Action = "listen"
    barge_in: bool = True
    text: str = ""
    heard_chars: int = 0
    queued: bool = False  # the whole utterance is in the sink
    finished: bool = False  # played to the end (its last mark came back)
    interrupted: bool = False
    pending: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    turn_seq: int | None = None  # the call-record turn, once written
    recorded_text: str = ""

    @property
    def active(self) -> bool:
        return not self.finished and not self.interrupted

    def heard_text(self) -> str:
        return self.text if self.finished else self.text[: self.heard_chars].strip()

    def add(self, text: str) -> None:
        """More words for this utterance (an LLM still writing)."""
        if text.strip():
            self.pending.put_nowait(text.strip())

    def end(self, action: Action = "listen", *, barge_in: bool = True) -> None:
        """No more words: the utterance ends after what was added."""
        self.action = action
        self.barge_in = barge_in
        self.pending.put_nowait(None)


FinishedListener = Callable[[Speech, str, bool], Awaitable[None]]
StartedListener = Callable[[Speech, float], None]


def snap_to_word(text: str, offset: int) -> int:
    if offset >= len(text):
        return len(text)
    cut = text.rfind(" ", 0, offset + 1)
    return max(cut, 0)


class Playout:
    def __init__(
        self,
        tts: TTSEngine,
        sink: PacedSink,
        clock: Clock,
        *,
        on_finished: FinishedListener,
        on_started: StartedListener,
        mark_every_ms: int = 1000,
        final_mark_grace_ms: int = 3000,
        call_sid: str = "",
    ) -> None:
        self.tts = tts
        self.sink = sink
        self.clock = clock
        self.on_finished = on_finished
        self.on_started = on_started
        self.mark_every_ms = mark_every_ms
        self.final_mark_grace_ms = final_mark_grace_ms
        self.call_sid = call_sid
        self.closed = False
        self._speeches: dict[int, Speech] = {}
        self._next_id = 0
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._watchdogs: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()  # utterances are heard one after another, never interleaved

    # ---- what to say ----------------------------------------------------------------------------
    def say(self, text: str, *, record: bool = True, action: Action = "listen", barge_in: bool = True) -> Speech:
        speech = self.begin(record=record)
        speech.add(text)
        speech.end(action, barge_in=barge_in)
        return speech

    def begin(self, *, record: bool = True) -> Speech:
        """An utterance whose words come later (`add`, then `end`)."""
        self._next_id += 1
        speech = Speech(id=self._next_id, record=record)
        self._speeches[speech.id] = speech
        for old in [k for k, s in self._speeches.items() if k != speech.id and not s.active]:
            del self._speeches[old]  # bounded memory on long calls
        self._tasks[speech.id] = asyncio.get_running_loop().create_task(
            self._speak(speech), name=f"speak:{self.call_sid}"
        )
        return speech

    @property
    def last_id(self) -> int:
        return self._next_id

    def current(self) -> Speech | None:
        """The utterance being heard (not yet played out or cut), if any."""
        for speech in reversed(self._speeches.values()):
            if speech.active:
                return speech
        return None

    # ---- speaking -------------------------------------------------------------------------------
    async def _pieces(self, speech: Speech, utterance: Utterance) -> AsyncIterator[str]:
        while (piece := await speech.pending.get()) is not None:
            utterance.add(piece)
            speech.text = utterance.text
            yield piece

    async def _speak(self, speech: Speech) -> None:
        try:
            async with self._lock:
                if speech.interrupted or self.closed:
                    return
                self.sink.notify_next_frame(lambda at: self.on_started(speech, at))
                await self._stream(speech)
                if speech.interrupted or self.closed:
                    return
                self.sink.mark(f"{speech.id}:end")
                speech.queued = True
                if speech.action in ("transfer", "hangup"):
                    # Twilio echoes the last mark when played; if it never does, finish anyway.
                    grace_s = (self.sink.queued_ms + self.final_mark_grace_ms) / 1000.0
                    watchdog = asyncio.get_running_loop().create_task(self._final_watchdog(speech, grace_s))
                    self._watchdogs.add(watchdog)
                    watchdog.add_done_callback(self._watchdogs.discard)
        finally:
            self._tasks.pop(speech.id, None)

    async def _stream(self, speech: Speech) -> None:
        """The engine's audio to the sink, with a mark at each reported offset and about every second."""
        utterance = Utterance()
        known_chars, since_known_ms, next_mark_ms, audio_ms = 0, 0.0, float(self.mark_every_ms), 0.0
        try:
            async for chunk in self.tts.speak(self._pieces(speech, utterance)):
                if speech.interrupted or self.closed:
                    return
                audio = chunk.audio
                pos = 0
                while audio_ms + (len(audio) - pos) / 8.0 > next_mark_ms:
                    cut = pos + max(1, int((next_mark_ms - audio_ms) * 8))
                    self.sink.push(audio[pos:cut])
                    audio_ms += (cut - pos) / 8.0
                    since_known_ms += (cut - pos) / 8.0
                    pos = cut
                    estimate = known_chars + int(since_known_ms / MS_PER_CHAR)
                    self.sink.mark(f"{speech.id}:{snap_to_word(speech.text, min(estimate, len(speech.text)))}")
                    next_mark_ms += self.mark_every_ms
                self.sink.push(audio[pos:])
                audio_ms += (len(audio) - pos) / 8.0
                since_known_ms += (len(audio) - pos) / 8.0
                if chunk.spoken_chars is not None and chunk.spoken_chars > known_chars:
                    known_chars, since_known_ms = chunk.spoken_chars, 0.0
                    self.sink.mark(f"{speech.id}:{snap_to_word(speech.text, known_chars)}")
        except EngineError as error:
            # every engine failed: the utterance is what was spoken, and the record will say so
            spoken = snap_to_word(speech.text, known_chars + int(since_known_ms / MS_PER_CHAR))
            speech.text = speech.text[:spoken].strip()
            log.warning("tts_failed", call_sid=self.call_sid, error=str(error), spoken_chars=spoken)

    async def _final_watchdog(self, speech: Speech, grace_s: float) -> None:
        await self.clock.sleep(grace_s)
        if not speech.finished and not self.closed:
            log.warning("final_mark_never_echoed", call_sid=self.call_sid)
            await self._finished(speech)

    # ---- what was heard -------------------------------------------------------------------------
    def on_mark(self, name: str) -> Speech | None:
        """A mark echo; returns the utterance it finished, if it was the last one."""
        utt_id, _, where = name.partition(":")
        try:
            speech = self._speeches.get(int(utt_id))
        except ValueError:
            return None
        if speech is None or not speech.active:
            return None  # echoes after a clear, or of an old utterance
        if where == "end":
            return speech
        with contextlib.suppress(ValueError):
            speech.heard_chars = max(speech.heard_chars, int(where))
        return None

    async def finish(self, speech: Speech) -> None:
        """Its last mark came back: heard in full."""
        await self._finished(speech)

    async def _finished(self, speech: Speech) -> None:
        if speech.finished or speech.interrupted:
            return
        speech.finished = True
        speech.heard_chars = len(speech.text)
        speech.done.set()
        await self.on_finished(speech, speech.text, False)

    async def interrupt(self) -> list[Speech]:
        """Barge-in: `clear` at once, stop TTS, report each cut utterance with what was heard."""
        cut = [s for s in self._speeches.values() if s.active and s.barge_in]
        if not cut:
            return []
        for speech in cut:
            speech.interrupted = True
            speech.done.set()
            task = self._tasks.pop(speech.id, None)
            if task is not None:
                task.cancel()
        await self.sink.clear()
        for speech in cut:
            await self.on_finished(speech, speech.heard_text(), True)
        return cut

    async def close(self) -> None:
        """The call is over: what is still playing was heard up to its last mark."""
        if self.closed:
            return
        self.closed = True
        live = [s for s in self._speeches.values() if s.active]
        for speech in live:
            speech.interrupted = True
            speech.done.set()
        tasks = [*self._tasks.values(), *self._watchdogs]
        for task in tasks:
            if task is not asyncio.current_task():
                task.cancel()
        for task in tasks:
            if task is not asyncio.current_task():
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for speech in live:
            await self.on_finished(speech, speech.heard_text(), True)

    @property
    def open_tasks(self) -> int:
        return len(self._tasks) + len(self._watchdogs)
