"""Turn-taking on audio time: when the caller starts, pauses and finishes speaking.

Time is the count of 20 ms frames received, not the wall clock: Twilio streams audio in real time
(silence included), so audio time *is* call time, and tests or the caller simulator can drive a
whole turn faster than real time without patching anything. The end-of-turn silence adapts to what
the agent asked: a yes/no answer is over after a short pause, a phone number or address is spoken
in groups with pauses in between and needs longer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.codec import FRAME_MS

# End-of-turn silence per question, ms (multiples of the 20 ms frame).
END_SILENCE_MS: dict[str, int] = {
    "yes_no": 400,
    "confirm": 440,
    "phone_confirm": 440,
    "returning": 540,  # "yes", or "no, it's at …"
    "anything_else": 540,
    "window": 540,
    "urgency": 540,
    "intent": 700,
    "issue": 740,
    "name": 640,
    "zip": 900,
    "unit": 600,
    "phone": 1100,
    "address": 1000,
    "message": 1200,
}
DEFAULT_END_SILENCE_MS = 700


class EndpointEvent(Enum):
    SPEECH_START = "speech_start"
    PAUSE = "pause"  # a short gap inside the turn: a good moment to transcribe what is buffered
    # quiet long enough that the caller is probably done, but short of the end-of-turn silence
    # for this question: time to acknowledge ("Okay."), not yet to answer
    LIKELY_END = "likely_end"
    RESUME = "resume"
    END_OF_TURN = "end_of_turn"


@dataclass
class EndpointPolicy:
    start_speech_ms: int = 60  # voiced run that opens a turn (filters clicks)
    pause_ms: int = 200
    likely_end_ms: int = 300  # the 200 ms rule, with margin: the caller hears something by ~300 ms
    likely_end_gain_ms: int = 200  # ...when that is this much sooner than the end of turn (not for yes/no)
    max_turn_ms: int = 20_000  # a caller who never pauses is cut here and answered
    end_silence_ms: dict[str, int] = field(default_factory=lambda: dict(END_SILENCE_MS))
    default_end_silence_ms: int = DEFAULT_END_SILENCE_MS

    def end_silence_for(self, expect: Expect | None) -> int:
        if expect is None:
            return self.default_end_silence_ms
        return self.end_silence_ms.get(expect, self.default_end_silence_ms)


class Endpointer:
    """Feed one VAD decision per frame; get events back. `now_ms` is audio time."""

    def __init__(self, policy: EndpointPolicy | None = None, expect: Expect | None = None) -> None:
        self.policy = policy or EndpointPolicy()
        self.now_ms = 0
        self.in_turn = False
        self.expect: Expect | None = expect
        self._voiced_run_ms = 0
        self._silence_ms = 0
        self._paused = False
        self._likely_end_sent = False
        self.turn_started_ms = 0
        self.last_voiced_ms = 0  # audio time at the end of the last voiced frame

    def set_expect(self, expect: Expect | None) -> None:
        self.expect = expect

    @property
    def end_silence_ms(self) -> int:
        return self.policy.end_silence_for(self.expect)

    @property
    def silence_ms(self) -> int:
        return self._silence_ms

    def feed(self, voiced: bool, frame_ms: int = FRAME_MS) -> list[EndpointEvent]:
        self.now_ms += frame_ms
        events: list[EndpointEvent] = []
        if voiced:
            self._voiced_run_ms += frame_ms
            self._silence_ms = 0
            self.last_voiced_ms = self.now_ms
            if not self.in_turn and self._voiced_run_ms >= self.policy.start_speech_ms:
                self.in_turn = True
                self._paused = False
                self.turn_started_ms = self.now_ms - self._voiced_run_ms
                events.append(EndpointEvent.SPEECH_START)
            elif self.in_turn and self._paused:
                self._paused = False
                self._likely_end_sent = False
                events.append(EndpointEvent.RESUME)
        else:
            self._voiced_run_ms = 0
            self._silence_ms += frame_ms
            if self.in_turn:
                if not self._paused and self._silence_ms >= self.policy.pause_ms:
                    self._paused = True
                    events.append(EndpointEvent.PAUSE)
                if (
                    not self._likely_end_sent
                    and self._silence_ms >= self.policy.likely_end_ms
                    and self.end_silence_ms - self.policy.likely_end_ms >= self.policy.likely_end_gain_ms
                ):
                    self._likely_end_sent = True
                    events.append(EndpointEvent.LIKELY_END)
                if self._silence_ms >= self.end_silence_ms:
                    events.append(self._end())
        if self.in_turn and self.now_ms - self.turn_started_ms >= self.policy.max_turn_ms:
            events.append(self._end())
        return events

    def end_now(self) -> EndpointEvent | None:
        """Close the turn early (the words already say it is complete)."""
        return self._end() if self.in_turn else None

    def _end(self) -> EndpointEvent:
        self.in_turn = False
        self._paused = False
        self._likely_end_sent = False
        self._voiced_run_ms = 0
        return EndpointEvent.END_OF_TURN
