"""When the caller speaks, and what they said: VAD → endpointing → the recogniser → turn events.

The detector hears every caller frame and tells its listener (the call loop) what happened:
speech started, the caller talks over the agent (barge-in), a likely end (time to acknowledge),
and the end of a turn with the recognition to await. The end of a turn is decided from the words
as well as the silence: at a pause the words so far are checked against the question (a complete
ZIP, a yes, a full name) and a streaming recogniser's own end-of-speech verdict counts too, so a
complete answer is answered at once instead of after the question's full end-of-turn silence.
Keypad digits are gathered into one turn.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from hvac_agent.clock import Clock
from hvac_agent.dialogue.state import Expect
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.codec import FRAME_MS, FRAME_SAMPLES
from hvac_agent.voice.endpointing import Endpointer, EndpointEvent, EndpointPolicy
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.stt.base import SttResult, SttSession, SttStream
from hvac_agent.voice.vad import Vad

log = get_logger("hvac_agent.voice.turns")

_YES_NO = re.compile(r"\b(yes|yeah|yep|yup|sure|correct|right|okay|ok|no|nope|wrong)\b", re.I)
_WINDOW = re.compile(
    r"\b(first|second|third|morning|afternoon|earliest|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|tomorrow|one|two|three)\b",
    re.I,
)
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def _count_digits(text: str) -> int:
    n = sum(ch.isdigit() for ch in text)
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _DIGIT_WORDS or word == "double":
            n += 1
    return n


def answer_complete(expect: Expect | None, text: str) -> bool:
    """Do the words so far already answer what was asked? Then the turn may end before the full
    end-of-turn silence (semantic endpointing)."""
    text = text.strip()
    if not text:
        return False
    if expect in ("yes_no", "confirm", "phone_confirm", "anything_else", "unit", "returning"):
        return bool(_YES_NO.search(text)) and len(text.split()) <= 6
    if expect == "zip":
        return _count_digits(text) >= 5
    if expect == "phone":
        return _count_digits(text) >= 10
    if expect == "window":
        return bool(_WINDOW.search(text))
    if expect in ("intent", "issue", "name"):
        return len(text.split()) >= 2 and text[-1] in ".!?"
    return False


# Open questions: a clause this long, followed by the likely-end quiet, is an answer — reply now
# rather than say "Okay." and wait out the full end-of-turn silence. A caller who goes on cuts the
# reply like any barge-in and their words make the next turn.
OPEN_ANSWER_WORDS = {"intent": 3, "issue": 3, "name": 2}


def likely_complete(expect: Expect | None, text: str) -> bool:
    """At the likely end (~300 ms of quiet): do the words so far make an answer?"""
    if answer_complete(expect, text):
        return True
    needed = OPEN_ANSWER_WORDS.get(expect or "")
    return needed is not None and len(text.split()) >= needed


@dataclass(frozen=True)
class TurnEnd:
    """A caller turn is over; `recognition` gives its words (None when recognition failed)."""

    speech_end: float  # clock time of the last voiced frame
    turn_end: float  # clock time the turn was closed
    voiced_ms: int
    acknowledged: bool  # "Okay." was already said at this turn's likely end
    recognition: Awaitable[SttResult | None]


class TurnListener(Protocol):
    def agent_interruptible(self) -> bool:
        """Is the agent saying something the caller may cut?"""
        ...

    def ignoring_caller(self) -> bool:
        """A goodbye or transfer line is playing: caller input changes nothing."""
        ...

    def on_speech_start(self) -> None: ...

    def on_barge_in(self) -> None: ...

    def on_likely_end(self, speech_end: float, voiced_ms: int) -> None: ...

    def on_turn_end(self, turn: TurnEnd) -> None: ...

    def on_digits(self, digits: str) -> None: ...


@dataclass
class TurnConfig:
    endpoint: EndpointPolicy
    barge_in_ms: int = 160  # caller speech over the agent that interrupts it (a cough does not)
    preroll_ms: int = 200  # audio kept from before the turn was detected, so onsets are not clipped
    dtmf_gap_ms: int = 2500
    early_end: bool = True


class TurnDetector:
    def __init__(
        self,
        session: SttSession,
        vad: Vad,
        listener: TurnListener,
        clock: Clock,
        config: TurnConfig,
        *,
        call_sid: str = "",
        spawn: Callable[[Awaitable[None], str], object],
    ) -> None:
        self.session = session
        self.vad = vad
        self.listener = listener
        self.clock = clock
        self.config = config
        self.call_sid = call_sid
        self._spawn = spawn
        self.endpointer = Endpointer(config.endpoint)
        self.expect: Expect | None = None
        self.hints: list[str] = []
        self._partial_frame = b""  # caller audio shorter than a frame, waiting for the rest
        self._preroll: deque[bytes] = deque(maxlen=max(1, config.preroll_ms // FRAME_MS))
        self._stream: SttStream | None = None
        self._voiced_ms = 0
        self._over_agent_ms = 0
        self._acked = False
        self._words = ""  # the newest words the recogniser gave for this turn (partials, interims)
        self.last_voiced_at = 0.0
        self._dtmf = ""
        self._dtmf_timer: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def in_turn(self) -> bool:
        return self.endpointer.in_turn

    def listen_for(self, expect: Expect | None, hints: list[str]) -> None:
        """The agent asked something: its kind of answer sets the end-of-turn silence and grammar."""
        self.expect = expect
        self.hints = list(hints)
        self.endpointer.set_expect(expect)

    # ---- audio ----------------------------------------------------------------------------------
    def on_media(self, ulaw: bytes) -> None:
        """Caller audio as it arrives (μ-law), in any cut; decoded only where a turn needs samples."""
        if self.closed or not ulaw:
            return
        if len(ulaw) == FRAME_SAMPLES and not self._partial_frame:  # the usual case: one whole frame
            self._on_frame(ulaw)
            return
        data = self._partial_frame + ulaw
        n_whole = len(data) - len(data) % FRAME_SAMPLES
        for i in range(0, n_whole, FRAME_SAMPLES):
            self._on_frame(data[i : i + FRAME_SAMPLES])
        self._partial_frame = data[n_whole:]

    def _on_frame(self, frame: bytes) -> None:
        voiced = self.vad.is_speech(frame)
        if voiced:
            self.last_voiced_at = self.clock.monotonic()
        if self.listener.ignoring_caller():
            return
        self._preroll.append(frame)
        was_in_turn = self.endpointer.in_turn
        for event in self.endpointer.feed(voiced):
            if event is EndpointEvent.SPEECH_START:
                self._turn_start()
            elif event is EndpointEvent.PAUSE:
                if self._stream is not None and self.config.early_end:
                    self._spawn(self._speculate(self._stream), "stt-partial")
            elif event is EndpointEvent.LIKELY_END:
                if self.config.early_end and likely_complete(self.expect, self._words):
                    if self.endpointer.end_now() is not None:
                        self._turn_end()
                elif not self._acked:
                    self._acked = True
                    self.listener.on_likely_end(self.last_voiced_at or self.clock.monotonic(), self._voiced_ms)
            elif event is EndpointEvent.RESUME:
                self._acked = False  # they went on: the next likely end is acknowledged again
            elif event is EndpointEvent.END_OF_TURN:
                self._turn_end()
        if not self.endpointer.in_turn:
            self._over_agent_ms = 0
            return
        if was_in_turn and self._stream is not None:
            self._stream.push(frame, voiced)
        if voiced:
            self._voiced_ms += FRAME_MS
            if self.listener.agent_interruptible():
                self._over_agent_ms += FRAME_MS
                if self._over_agent_ms >= self.config.barge_in_ms:
                    self._over_agent_ms = 0
                    self.listener.on_barge_in()

    def _turn_start(self) -> None:
        self._acked = False
        self._words = ""
        self._voiced_ms = 0
        self._stream = self.session.stream(self.expect, self.hints)
        self._stream.on_words = self._on_words
        for frame in self._preroll:
            self._stream.push(frame)
        self.listener.on_speech_start()

    def _on_words(self, result: SttResult) -> None:
        """A streaming recogniser's words: its own end-of-speech verdict, or a complete answer
        heard in a pause, ends the turn now."""
        if not (self.config.early_end and self.endpointer.in_turn and self._stream is not None):
            return
        self._words = result.text
        if self.endpointer.silence_ms < self.config.endpoint.pause_ms:
            return  # still talking
        if (result.speech_final and result.text.strip()) or answer_complete(self.expect, result.text):
            if self.endpointer.end_now() is not None:
                self._turn_end()

    async def _speculate(self, stream: SttStream) -> None:
        """At a pause: transcribe what is buffered; end the turn early if it already answers."""
        try:
            result = await stream.partial()
        except EngineError as error:
            log.warning("stt_partial_failed", call_sid=self.call_sid, error=str(error))
            return
        if stream is not self._stream or not self.endpointer.in_turn:
            return
        self._words = result.text
        quiet_ms = self.endpointer.silence_ms
        if quiet_ms >= self.config.endpoint.pause_ms and (
            answer_complete(self.expect, result.text)
            or (quiet_ms >= self.config.endpoint.likely_end_ms and likely_complete(self.expect, result.text))
        ):
            if self.endpointer.end_now() is not None:
                self._turn_end()

    def _turn_end(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        now = self.clock.monotonic()
        acked, self._acked = self._acked, False
        self.listener.on_turn_end(
            TurnEnd(self.last_voiced_at or now, now, self._voiced_ms, acked, self._recognise(stream))
        )

    async def _recognise(self, stream: SttStream) -> SttResult | None:
        try:
            return await stream.final()
        except EngineError as error:
            log.warning("stt_failed", call_sid=self.call_sid, error=str(error))
            return None
        finally:
            await stream.aclose()

    # ---- keypad ---------------------------------------------------------------------------------
    def on_dtmf(self, digit: str) -> None:
        if self.closed or self.listener.ignoring_caller():
            return
        if digit == "#" and not self._dtmf:
            # The key that ends an entry already sent (a ZIP goes at its fifth digit): it ends
            # nothing, and must not cut off the question the entry brought.
            return
        if self.listener.agent_interruptible():
            self.listener.on_barge_in()
        if self._dtmf_timer is not None:
            self._dtmf_timer.cancel()
            self._dtmf_timer = None
        if digit != "#":
            self._dtmf += digit
        digits = self._dtmf
        complete = (
            digit == "#"
            or (self.expect == "zip" and len(digits) >= 5)
            or (self.expect == "phone" and (len(digits) >= 11 or (len(digits) == 10 and not digits.startswith("1"))))
        )
        if complete:
            self._flush_dtmf()
        else:
            self._dtmf_timer = asyncio.get_running_loop().create_task(self._dtmf_wait(), name="dtmf")

    async def _dtmf_wait(self) -> None:
        await self.clock.sleep(self.config.dtmf_gap_ms / 1000.0)
        self._dtmf_timer = None
        self._flush_dtmf()

    def _flush_dtmf(self) -> None:
        digits, self._dtmf = self._dtmf, ""
        if digits:
            self.listener.on_digits(digits)

    async def close(self) -> None:
        self.closed = True
        if self._dtmf_timer is not None:
            self._dtmf_timer.cancel()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                await stream.aclose()
            except EngineError as error:
                log.warning("stt_close_failed", call_sid=self.call_sid, error=str(error))
