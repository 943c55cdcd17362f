"""One call's turn-taking: caller audio → VAD → endpointing → STT → dialogue → TTS → paced sink.

The pipeline never touches the WebSocket or the dialogue internals: it talks to a `Responder`
(the dialogue core behind a small async protocol) and a `PacedSink` (Twilio-shaped output), so it
runs the same against the real app, fakes in tests and the benchmarks.

What the caller heard is known only from Twilio `mark` echoes: every utterance carries marks
(about one a second, named `<utterance>:<char offset>`, and `<utterance>:end`), and the agent
turn is recorded when its first frame goes out — and after a barge-in cut to the last mark heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from hvac_agent.clock import Clock, SystemClock
from hvac_agent.dialogue.state import CallerSaid, DigitsPressed, Event, Expect, Reply, Silence
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.codec import FRAME_MS, FRAME_SAMPLES, ulaw_decode
from hvac_agent.voice.endpointing import Endpointer, EndpointEvent, EndpointPolicy
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import VoiceStats
from hvac_agent.voice.stt.base import STTEngine, SttStream
from hvac_agent.voice.tts.base import TTSEngine, split_sentences
from hvac_agent.voice.vad import Vad

log = get_logger("hvac_agent.voice.pipeline")

FALLBACK_SAY = "Sorry, I didn't get that. Could you say it again?"
SentenceSink = Callable[[str], Awaitable[None]]


class Responder(Protocol):
    """The dialogue core as the pipeline sees it (see `CallServiceResponder`)."""

    async def start(self, call_sid: str, caller_id: str | None) -> Reply: ...

    async def handle(self, call_sid: str, event: Event, on_sentence: SentenceSink | None = None) -> Reply:
        """The reply to `event`. With `on_sentence`, sentences may be handed over as they are
        ready (an LLM still writing); the returned reply then holds the whole text."""
        ...

    async def record_agent_turn(self, call_sid: str, text: str) -> int | None:
        """The agent starts saying `text`; returns a handle to amend it after a barge-in."""
        ...

    async def amend_agent_turn(self, call_sid: str, seq: int, heard: str) -> None: ...

    async def end(self, call_sid: str) -> None: ...


class CallServiceResponder:
    """Adapts `hvac_agent.calls.CallService`: agent turns are recorded by us, as heard."""

    def __init__(self, calls: Any) -> None:
        self.calls = calls

    async def start(self, call_sid: str, caller_id: str | None) -> Reply:
        reply: Reply = await self.calls.start_call(call_sid, caller_id, record_agent=False)
        return reply

    async def handle(self, call_sid: str, event: Event, on_sentence: SentenceSink | None = None) -> Reply:
        reply: Reply = await self.calls.handle_event(
            call_sid, event, record_agent=False, on_sentence=on_sentence
        )
        return reply

    async def record_agent_turn(self, call_sid: str, text: str) -> int | None:
        seq: int | None = await self.calls.record_agent_turn(call_sid, text)
        return seq

    async def amend_agent_turn(self, call_sid: str, seq: int, heard: str) -> None:
        await self.calls.amend_agent_turn(call_sid, seq, heard)

    async def end(self, call_sid: str) -> None:
        await self.calls.end_call(call_sid)


@dataclass
class VoiceEngines:
    """What a call needs from the speech side; built once per process (`voice.factory`)."""

    stt: STTEngine
    tts: TTSEngine
    vad_factory: Callable[[], Vad]
    ack_phrases: tuple[str, ...] = ("Okay.",)

    async def aclose(self) -> None:
        await self.stt.aclose()
        await self.tts.aclose()


@dataclass
class PipelineConfig:
    endpoint: EndpointPolicy = field(default_factory=EndpointPolicy)
    barge_in_ms: int = 160  # caller speech over the agent that interrupts it (a cough does not)
    ack_after_ms: int = 300  # the 200 ms rule, with margin: silence longer than this gets an "Okay."
    # Say "Okay." at the endpointer's likely end (~300 ms of quiet) rather than wait for the full
    # end-of-turn silence of an open question (up to 1.2 s): if the caller goes on, it was a
    # backchannel, cut by their speech like any barge-in, and the turn simply continues.
    ack_at_likely_end: bool = True
    no_input_ms: int = 7000
    dtmf_gap_ms: int = 2500
    mark_every_ms: int = 1000
    preroll_ms: int = 200  # audio kept from before the turn was detected, so onsets are not clipped
    final_mark_grace_ms: int = 3000
    min_voiced_for_reprompt_ms: int = 400  # unrecognised speech this long gets a reprompt
    min_voiced_for_ack_ms: int = 200  # shorter sounds may be noise: no "Okay." for them
    stt_busy_ms: int = 60  # recognition still running this long after the turn → acknowledge at once
    early_end: bool = True


_YES_NO = re.compile(r"\b(yes|yeah|yep|yup|sure|correct|right|okay|ok|no|nope|wrong)\b", re.I)
_WINDOW = re.compile(r"\b(first|second|third|morning|afternoon|earliest|monday|tuesday|wednesday|"
                     r"thursday|friday|saturday|tomorrow|one|two|three)\b", re.I)
_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}


def _count_digits(text: str) -> int:
    n = sum(ch.isdigit() for ch in text)
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _DIGIT_WORDS:
            n += 1
        elif word == "double":
            n += 1
    return n


def answer_complete(expect: Expect | None, text: str) -> bool:
    """Do the words so far already answer what was asked? Then the turn may end before the full
    end-of-turn silence (semantic endpointing)."""
    text = text.strip()
    if not text:
        return False
    if expect in ("yes_no", "confirm", "phone_confirm", "anything_else", "unit"):
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


@dataclass
class _Utterance:
    id: int
    text: str
    record: bool
    action: str
    barge_in: bool
    heard_chars: int = 0
    queued: bool = False
    finished: bool = False
    interrupted: bool = False
    recorded: bool = False
    recorded_text: str = ""  # what the call record holds for this utterance so far
    # Sentences still to come (a streamed reply); None ends the utterance. None: `text` is all.
    pending: asyncio.Queue[str | None] | None = None
    turn_seq: int | None = None  # the call-record turn, written when the first frame goes out
    recording: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def active(self) -> bool:
        return not self.finished and not self.interrupted

    def heard_text(self) -> str:
        if self.finished:
            return self.text
        return self.text[: self.heard_chars].strip()


def _snap_to_word(text: str, offset: int) -> int:
    if offset >= len(text):
        return len(text)
    cut = text.rfind(" ", 0, offset + 1)
    return max(cut, 0)


class CallPipeline:
    def __init__(
        self,
        call_sid: str,
        caller_id: str | None,
        responder: Responder,
        engines: VoiceEngines,
        sink: PacedSink,
        *,
        clock: Clock | None = None,
        config: PipelineConfig | None = None,
        stats: VoiceStats | None = None,
        on_finished: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.call_sid = call_sid
        self.caller_id = caller_id
        self.responder = responder
        self.engines = engines
        self.sink = sink
        self.clock = clock or SystemClock()
        self.config = config or PipelineConfig()
        self.stats = stats
        self.on_finished = on_finished  # called with the reply action when the stream should close
        self.vad = engines.vad_factory()
        self.endpointer = Endpointer(self.config.endpoint)
        self.expect: Expect | None = None
        self.hints: list[str] = []
        self.closed = False
        self.finishing = False  # a transfer/hang-up reply is playing: caller input is ignored
        self._tasks: set[asyncio.Task[Any]] = set()
        self._utterances: dict[int, _Utterance] = {}
        self._next_utt = 0
        self._speak_tasks: dict[int, asyncio.Task[None]] = {}
        self._speak_lock = asyncio.Lock()
        self._partial_frame = b""  # caller audio shorter than a frame, waiting for the rest
        self._preroll: deque[bytes] = deque(maxlen=max(1, self.config.preroll_ms // FRAME_MS))
        self._stream: SttStream | None = None
        self._turn_voiced_ms = 0
        self._turn_acked = False  # "Okay." already said at this turn's likely end
        self._voiced_over_agent_ms = 0
        self._last_voiced_at = 0.0
        self._turn_lock = asyncio.Lock()
        self._no_input: asyncio.Task[None] | None = None
        self._dtmf_digits = ""
        self._dtmf_timer: asyncio.Task[None] | None = None
        self._pending_latency: tuple[float, float] | None = None  # (speech end, turn end)
        self._pending_reply_latency: tuple[float, float] | None = None
        self._in_flight: asyncio.Task[Any] | None = None  # the turn task while the dialogue works
        self.turn_end_listeners: list[Callable[[float, float], None]] = []
        self.response_ms: list[tuple[float, float]] = []  # first agent audio: (from speech end, turn end)
        self.reply_ms: list[tuple[float, float]] = []  # first audio of the reply's words (not the "Okay.")

    # ---- task ownership -------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"{name}:{self.call_sid}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("voice_task_failed", call_sid=self.call_sid, task=task.get_name(),
                      error=repr(task.exception()))

    @property
    def open_tasks(self) -> int:
        return len(self._tasks)

    # ---- lifecycle ------------------------------------------------------------------------------
    async def begin(self) -> None:
        """Greet: the dialogue's first reply, spoken at once."""
        self.sink.start()
        try:
            reply = await self.responder.start(self.call_sid, self.caller_id)
        except Exception:
            log.exception("start_call_failed", call_sid=self.call_sid)
            reply = Reply(say="Sorry, we are having trouble. Please call back in a few minutes.",
                          action="hangup")
        self._play(reply)

    async def close(self) -> None:
        """Stop or dropped socket: record what was heard, finalise the call, leave no task behind."""
        if self.closed:
            return
        self.closed = True
        for utt in list(self._utterances.values()):
            if utt.record and not utt.finished and not utt.interrupted:
                await self._record(utt, utt.heard_text())
        in_flight = self._in_flight
        if in_flight is not None and not in_flight.done() and in_flight is not asyncio.current_task():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(in_flight), timeout=5.0)
        current = asyncio.current_task()
        # A turn still inside the dialogue is left to finish (it may be saving a booking the
        # caller confirmed before hanging up); everything else stops now.
        tasks = [t for t in self._tasks if t is not current and t is not self._in_flight]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._stream is not None:
            with contextlib.suppress(Exception):
                await self._stream.aclose()
        await self.sink.aclose()
        try:
            await self.responder.end(self.call_sid)
        except Exception:
            log.exception("end_call_failed", call_sid=self.call_sid)

    # ---- caller audio ---------------------------------------------------------------------------
    def on_media(self, ulaw: bytes) -> None:
        """Caller audio as it arrives (μ-law); decoded only where a turn needs the samples."""
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

    @property
    def speaking(self) -> bool:
        """Is the agent being heard right now (an utterance not yet played out or cut)?"""
        return self._agent_speaking() is not None

    def _agent_speaking(self) -> _Utterance | None:
        for utt in reversed(self._utterances.values()):
            if utt.active:
                return utt
        return None

    def _on_frame(self, frame: bytes) -> None:
        voiced = self.vad.is_speech(frame)
        if voiced:
            self._last_voiced_at = self.clock.monotonic()
        if self.finishing:
            return
        self._preroll.append(frame)
        was_in_turn = self.endpointer.in_turn
        for event in self.endpointer.feed(voiced):
            if event is EndpointEvent.SPEECH_START:
                self._turn_start()
            elif event is EndpointEvent.PAUSE:
                if self._stream is not None:
                    self._spawn(self._speculate(self._stream), "stt-partial")
            elif event is EndpointEvent.LIKELY_END:
                self._likely_end()
            elif event is EndpointEvent.RESUME:
                self._turn_acked = False  # they went on: the next likely end is acknowledged again
            elif event is EndpointEvent.END_OF_TURN:
                self._turn_end()
        if self.endpointer.in_turn:
            if was_in_turn and self._stream is not None:
                self._stream.push(ulaw_decode(frame), voiced)
            if voiced:
                self._turn_voiced_ms += FRAME_MS
            speaking = self._agent_speaking()
            if speaking is not None and speaking.barge_in:
                self._voiced_over_agent_ms += FRAME_MS if voiced else 0
                if self._voiced_over_agent_ms >= self.config.barge_in_ms:
                    self._spawn(self.barge_in(), "barge-in")
                    self._voiced_over_agent_ms = 0
        else:
            self._voiced_over_agent_ms = 0

    def _likely_end(self) -> None:
        """Probably done: acknowledge now; the turn itself ends at the end-of-turn silence (or
        earlier, when the words already answer the question)."""
        if (not self.config.ack_at_likely_end or self._turn_acked or self.finishing or self.speaking
                or self._turn_voiced_ms < self.config.min_voiced_for_ack_ms or not self.engines.ack_phrases):
            return
        self._turn_acked = True
        now = self.clock.monotonic()
        self._pending_latency = (self._last_voiced_at or now, now)
        self._play(Reply(say=self.engines.ack_phrases[0]), record=False)

    def _turn_start(self) -> None:
        self._cancel_no_input()
        self._turn_acked = False
        self._turn_voiced_ms = 0
        self._stream = self.engines.stt.stream(self.expect, self.hints)
        for frame in self._preroll:
            self._stream.push(ulaw_decode(frame))

    async def _speculate(self, stream: SttStream) -> None:
        """At a pause: transcribe what is buffered; end the turn early if it already answers."""
        try:
            result = await stream.partial()
        except EngineError as error:
            log.warning("stt_partial_failed", call_sid=self.call_sid, error=str(error))
            return
        if (self.config.early_end and stream is self._stream and self.endpointer.in_turn
                and self.endpointer.silence_ms >= self.config.endpoint.pause_ms
                and answer_complete(self.expect, result.text)):
            if self.endpointer.end_now() is not None:
                self._turn_end()

    def _turn_end(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        now = self.clock.monotonic()
        speech_end = self._last_voiced_at or now
        voiced_ms = self._turn_voiced_ms
        acked, self._turn_acked = self._turn_acked, False
        for listener in self.turn_end_listeners:
            listener(speech_end, now)
        self._spawn(self._finish_turn(stream, speech_end, now, voiced_ms, acked), "turn")

    async def _finish_turn(self, stream: SttStream, speech_end: float, turn_end: float, voiced_ms: int,
                           acked: bool = False) -> None:
        self._pending_reply_latency = (speech_end, turn_end)
        if not acked:
            self._pending_latency = (speech_end, turn_end)
        # The 200 ms rule: if words (recognition + dialogue) are not ready soon, say "Okay." first
        # (unless it was said at the likely end already).
        recognised = asyncio.Event()
        ack = self._spawn(self._ack_later(turn_end, recognised), "ack") \
            if voiced_ms >= self.config.min_voiced_for_ack_ms and not acked else None
        try:
            # awaited in place (no task, no wait-with-timeout): an engine that has the words
            # ready answers without a trip through the event loop
            result = await stream.final()
            text = result.text.strip()
        except EngineError as error:
            log.warning("stt_failed", call_sid=self.call_sid, error=str(error))
            text = ""
        finally:
            recognised.set()
        event: Event
        if text:
            event = CallerSaid(text=text)
        elif voiced_ms >= self.config.min_voiced_for_reprompt_ms:
            event = Silence()  # speech we could not make out: the core reprompts
        else:
            if ack is not None:
                ack.cancel()
            self._start_no_input()  # a click or a breath: keep listening
            return
        await self._respond(event, speech_end, turn_end, ack=ack, spoken=True)

    async def _ack_later(self, turn_end: float, recognised: asyncio.Event | None = None) -> None:
        """The 200 ms rule: "Okay." once the reply is `ack_after_ms` late — or as soon as
        recognition is still running `stt_busy_ms` after the turn (it alone will outlast the budget).
        Cancelled when the words are ready."""
        if recognised is not None:
            await self._sleep_until(turn_end + self.config.stt_busy_ms / 1000.0)
        if recognised is None or recognised.is_set():
            await self._sleep_until(turn_end + self.config.ack_after_ms / 1000.0)
        if not self.closed and not self.finishing and self.engines.ack_phrases:
            self._play(Reply(say=self.engines.ack_phrases[0]), record=False)

    async def _sleep_until(self, at: float) -> None:
        delay_s = at - self.clock.monotonic()
        if delay_s > 0:
            await self.clock.sleep(delay_s)

    # ---- keypad ---------------------------------------------------------------------------------
    def on_dtmf(self, digit: str) -> None:
        if self.closed or self.finishing:
            return
        self._cancel_no_input()
        speaking = self._agent_speaking()
        if speaking is not None and speaking.barge_in:
            self._spawn(self.barge_in(), "barge-in")
        if self._dtmf_timer is not None:
            self._dtmf_timer.cancel()
            self._dtmf_timer = None
        if digit != "#":
            self._dtmf_digits += digit
        digits = self._dtmf_digits
        complete = digit == "#" or (self.expect == "zip" and len(digits) >= 5) or (
            self.expect == "phone" and (len(digits) >= 11 or (len(digits) == 10 and not digits.startswith("1"))))
        if complete:
            self._flush_dtmf()
        else:
            self._dtmf_timer = self._spawn(self._dtmf_wait(), "dtmf")

    async def _dtmf_wait(self) -> None:
        await self.clock.sleep(self.config.dtmf_gap_ms / 1000.0)
        self._dtmf_timer = None
        self._flush_dtmf()

    def _flush_dtmf(self) -> None:
        digits, self._dtmf_digits = self._dtmf_digits, ""
        if digits:
            now = self.clock.monotonic()
            self._spawn(self._respond(DigitsPressed(digits=digits), now, now), "turn")

    # ---- thinking -------------------------------------------------------------------------------
    async def _respond(self, event: Event, speech_end: float, turn_end: float,
                       ack: asyncio.Task[None] | None = None, *, spoken: bool = False) -> None:
        if not spoken:  # keypad or no-input turns (spoken turns set these up before recognition)
            self._pending_latency = self._pending_reply_latency = (speech_end, turn_end)
            ack = self._spawn(self._ack_later(turn_end), "ack")
        async with self._turn_lock:
            if self.closed or self.finishing:
                if ack is not None:
                    ack.cancel()
                return
            streamed: list[str] = []
            live: _Utterance | None = None

            async def on_sentence(sentence: str) -> None:
                """Speak each sentence as soon as the agent has it (an LLM still writing the rest)."""
                nonlocal live
                if self.closed or self.finishing or not sentence.strip():
                    return
                if ack is not None:
                    ack.cancel()
                streamed.append(sentence.strip())
                if live is None:
                    live = self._start_streamed(sentence.strip())
                elif live.pending is not None:
                    live.pending.put_nowait(sentence.strip())

            # Awaited in place (no extra task): `close()` waits for this turn rather than cancel it.
            self._in_flight = asyncio.current_task()
            try:
                reply = await self.responder.handle(self.call_sid, event, on_sentence=on_sentence)
            except Exception:
                log.exception("dialogue_turn_failed", call_sid=self.call_sid)
                reply = Reply(say=FALLBACK_SAY, expect=self.expect)
            finally:
                self._in_flight = None
                if ack is not None:
                    ack.cancel()  # too late for it once the words are ready (if it has not spoken yet)
            if self.closed:
                return
            if live is None:
                self._play(reply)
            else:
                self._finish_streamed(live, reply, streamed)

    def _start_streamed(self, first_sentence: str) -> _Utterance:
        """An utterance that starts with the reply's first sentence and grows as more arrive."""
        self._cancel_no_input()
        self._next_utt += 1
        utt = _Utterance(id=self._next_utt, text="", record=True, action="listen", barge_in=True,
                         pending=asyncio.Queue())
        assert utt.pending is not None
        utt.pending.put_nowait(first_sentence)
        self._utterances[utt.id] = utt
        self._speak_tasks[utt.id] = self._spawn(self._speak(utt), "speak")
        return utt

    def _finish_streamed(self, utt: _Utterance, reply: Reply, streamed: list[str]) -> None:
        """The whole reply is known: queue what was not streamed yet, then close the utterance."""
        assert utt.pending is not None
        self.expect = reply.expect
        self.hints = list(reply.hints)
        self.endpointer.set_expect(reply.expect)
        final = reply.action in ("transfer", "hangup")
        utt.action = reply.action
        if final:
            self.finishing = True
            utt.barge_in = False
            self._cancel_no_input()
        sentences = split_sentences(reply.say)
        if [x.strip() for x in sentences[: len(streamed)]] == streamed:
            rest = sentences[len(streamed):]
        else:  # the whole text differs from what streamed (a guard rewrote it): never repeat a sentence
            rest = [x for x in sentences if x.strip() not in streamed]
        for sentence in rest:
            if sentence.strip():
                utt.pending.put_nowait(sentence.strip())
        utt.pending.put_nowait(None)

    # ---- speaking -------------------------------------------------------------------------------
    def _play(self, reply: Reply, *, record: bool = True) -> None:
        final = reply.action in ("transfer", "hangup")
        if record:
            self.expect = reply.expect
            self.hints = list(reply.hints)
            self.endpointer.set_expect(reply.expect)
        if final:
            self.finishing = True
            self._cancel_no_input()
        if not reply.say.strip():
            if final:
                self._spawn(self._finish(reply.action), "finish")
            elif record:
                self._start_no_input()
            return
        self._next_utt += 1
        utt = _Utterance(id=self._next_utt, text=reply.say.strip(), record=record, action=reply.action,
                         barge_in=not final)
        self._utterances[utt.id] = utt
        # keep only utterances that can still change (bounded memory on long calls)
        for old_id in [k for k, u in self._utterances.items() if k != utt.id and not u.active]:
            del self._utterances[old_id]
        self._speak_tasks[utt.id] = self._spawn(self._speak(utt), "speak")

    async def _sentences(self, utt: _Utterance) -> AsyncIterator[tuple[str, int, int]]:
        """(sentence, start, end) offsets into `utt.text`; a streamed utterance grows as they come."""
        if utt.pending is None:
            cursor = 0
            for sentence in split_sentences(utt.text):
                start = utt.text.find(sentence, cursor)
                start = cursor if start < 0 else start
                cursor = start + len(sentence)
                yield sentence, start, cursor
            return
        while (piece := await utt.pending.get()) is not None:
            start = len(utt.text) + 1 if utt.text else 0
            utt.text = f"{utt.text} {piece}" if utt.text else piece
            yield piece, start, start + len(piece)

    async def _speak(self, utt: _Utterance) -> None:
        try:
            async with self._speak_lock:  # utterances are heard one after another, never interleaved
                if utt.interrupted or self.closed:
                    return
                self.sink.notify_next_frame(lambda at: self._on_first_frame(at, utt))
                async for sentence, start, end in self._sentences(utt):
                    if utt.interrupted or self.closed:
                        return
                    await self._speak_sentence(utt, sentence, start, end)
                self.sink.mark(f"{utt.id}:end")
                utt.queued = True
                if utt.action in ("transfer", "hangup"):
                    # Twilio echoes the last mark when played; if it never does, close anyway.
                    grace_s = (self.sink.queued_ms + self.config.final_mark_grace_ms) / 1000.0
                    self._spawn(self._final_watchdog(utt, grace_s), "final-watchdog")
        finally:
            self._speak_tasks.pop(utt.id, None)

    async def _speak_sentence(self, utt: _Utterance, sentence: str, start: int, end: int) -> None:
        """One sentence to the sink, with a mark about every second (offsets say what was heard)."""
        expected_ms = max(1.0, len(sentence) * 70.0)
        audio_ms = 0.0
        next_mark_ms = float(self.config.mark_every_ms)
        try:
            async for chunk in self.engines.tts.synthesize(sentence):
                if utt.interrupted or self.closed:
                    return
                chunk_ms = len(chunk) / 8.0
                pos = 0
                while audio_ms + chunk_ms - (pos / 8.0) > next_mark_ms and audio_ms + chunk_ms > next_mark_ms:
                    cut = int((next_mark_ms - audio_ms) * 8)
                    if cut <= pos:
                        break
                    self.sink.push(chunk[pos:cut])
                    pos = cut
                    total = max(expected_ms, audio_ms + chunk_ms)
                    offset = start + int(len(sentence) * next_mark_ms / total)
                    self.sink.mark(f"{utt.id}:{_snap_to_word(utt.text, min(offset, end))}")
                    next_mark_ms += self.config.mark_every_ms
                self.sink.push(chunk[pos:])
                audio_ms += chunk_ms
        except EngineError as error:
            log.warning("tts_failed", call_sid=self.call_sid, error=str(error))
            return
        self.sink.mark(f"{utt.id}:{end}")

    async def _final_watchdog(self, utt: _Utterance, grace_s: float) -> None:
        await self.clock.sleep(grace_s)
        if not utt.finished and not self.closed:
            log.warning("final_mark_never_echoed", call_sid=self.call_sid)
            await self._utterance_finished(utt)

    def on_mark(self, name: str) -> None:
        utt_id, _, where = name.partition(":")
        try:
            utt = self._utterances.get(int(utt_id))
        except ValueError:
            return
        if utt is None or not utt.active:
            return  # echoes after a clear, or of an old utterance
        if where == "end":
            self._spawn(self._utterance_finished(utt), "finished")
            return
        try:
            utt.heard_chars = max(utt.heard_chars, int(where))
        except ValueError:
            return

    async def _utterance_finished(self, utt: _Utterance) -> None:
        if utt.finished:
            return
        utt.finished = True
        utt.heard_chars = len(utt.text)
        utt.done.set()
        if utt.record:
            await self._record(utt, utt.text)
        if utt.action in ("transfer", "hangup"):
            await self._finish(utt.action)
        elif utt.record and utt.id == self._next_utt:
            self._start_no_input()

    async def _record_start(self, utt: _Utterance) -> None:
        """The agent starts speaking: the turn goes into the call record now, whole (contract)."""
        if utt.recorded or not utt.text:
            return
        utt.recorded = True
        utt.recorded_text = utt.text
        try:
            utt.turn_seq = await self.responder.record_agent_turn(self.call_sid, utt.text)
        except Exception:
            log.exception("record_agent_turn_failed", call_sid=self.call_sid)

    async def _record(self, utt: _Utterance, text: str) -> None:
        """The utterance is over: make the record say what the caller actually heard."""
        if utt.recording is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(utt.recording)
        if not utt.recorded:
            if not text:
                return
            utt.recorded = True
            utt.recorded_text = text
            try:
                utt.turn_seq = await self.responder.record_agent_turn(self.call_sid, text)
            except Exception:
                log.exception("record_agent_turn_failed", call_sid=self.call_sid)
            return
        if utt.turn_seq is not None and text != utt.recorded_text:
            utt.recorded_text = text
            try:
                await self.responder.amend_agent_turn(self.call_sid, utt.turn_seq, text)
            except Exception:
                log.exception("amend_agent_turn_failed", call_sid=self.call_sid)

    async def barge_in(self) -> None:
        """Caller talks over the agent: `clear` at once, stop TTS, keep only what was heard."""
        interrupted = [u for u in self._utterances.values() if u.active and u.barge_in]
        if not interrupted:
            return
        for utt in interrupted:
            utt.interrupted = True
            utt.done.set()
            task = self._speak_tasks.pop(utt.id, None)
            if task is not None:
                task.cancel()
        await self.sink.clear()
        for utt in interrupted:
            if utt.record:
                await self._record(utt, utt.text[: utt.heard_chars].strip())

    async def _finish(self, action: str) -> None:
        if self.on_finished is not None and not self.closed:
            await self.on_finished(action)

    # ---- silence --------------------------------------------------------------------------------
    def _start_no_input(self) -> None:
        self._cancel_no_input()
        if not self.closed and not self.finishing:
            self._no_input = self._spawn(self._no_input_wait(), "no-input")

    def _cancel_no_input(self) -> None:
        if self._no_input is not None:
            self._no_input.cancel()
            self._no_input = None

    async def _no_input_wait(self) -> None:
        await self.clock.sleep(self.config.no_input_ms / 1000.0)
        self._no_input = None
        if not self.endpointer.in_turn and not self.closed:
            now = self.clock.monotonic()
            self._spawn(self._respond(Silence(), now, now), "turn")

    # ---- measurements ---------------------------------------------------------------------------
    def _on_first_frame(self, at: float, utt: _Utterance) -> None:
        if utt.record and not utt.recorded and utt.recording is None:
            utt.recording = self._spawn(self._record_start(utt), "record")
        if self._pending_latency is not None:
            speech_end, turn_end = self._pending_latency
            self._pending_latency = None
            sample = ((at - speech_end) * 1000.0, (at - turn_end) * 1000.0)
            self.response_ms.append(sample)
            del self.response_ms[:-50]
            if self.stats is not None:
                self.stats.record_response(sample[1], sample[0])
        if utt.record and self._pending_reply_latency is not None:
            speech_end, turn_end = self._pending_reply_latency
            self._pending_reply_latency = None
            self.reply_ms.append(((at - speech_end) * 1000.0, (at - turn_end) * 1000.0))
            del self.reply_ms[:-50]
            if self.stats is not None:
                self.stats.record_reply((at - turn_end) * 1000.0)
