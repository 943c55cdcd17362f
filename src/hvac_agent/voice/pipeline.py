"""One call in stream mode: the loop between what the caller says (`TurnDetector`) and what the
caller hears (`Playout`), recording the call as it goes.

The loop never touches the WebSocket or the dialogue internals: it talks to a `Responder` (the
dialogue core behind a small async protocol) and a `PacedSink` (Twilio-shaped output), so it runs
the same against the real app, fakes in tests and the benchmarks.

Its own rules: the 200 ms rule (an "Okay." when the answer is late, or at a turn's likely end),
barge-in, the no-input timer, and the call record — an agent turn is recorded when its first
frame goes out, and amended to what was heard (from the marks) if the caller cut it short.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.dialogue.state import CallerSaid, CallerUnclear, DigitsPressed, Event, Expect, Reply, Silence
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.endpointing import Endpointer, EndpointPolicy
from hvac_agent.voice.playout import Playout, Speech
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import VoiceStats
from hvac_agent.voice.stt.base import ON_DEVICE_ENGINES, STTEngine
from hvac_agent.voice.tts.base import TTSEngine, split_sentences
from hvac_agent.voice.turns import TurnConfig, TurnDetector, TurnEnd, answer_complete
from hvac_agent.voice.vad import Vad

__all__ = ["CallPipeline", "CallServiceResponder", "PipelineConfig", "Responder", "VoiceEngines", "answer_complete"]

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
        reply: Reply = await self.calls.handle_event(call_sid, event, record_agent=False, on_sentence=on_sentence)
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
    # Speech this long that no words came out of is "words, not understood" (a reprompt on the
    # question), never a silence; shorter sounds may be a click or a breath: keep listening.
    min_voiced_for_reprompt_ms: int = 300
    min_voiced_for_ack_ms: int = 200  # shorter sounds may be noise: no "Okay." for them
    stt_busy_ms: int = 60  # recognition still running this long after the turn → acknowledge at once
    early_end: bool = True


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
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.config = config or PipelineConfig()
        self.stats = stats
        self.on_finished = on_finished  # called with the reply action when the stream should close
        self.closed = False
        self.finishing = False  # a transfer/hang-up reply is playing: caller input is ignored
        self._cut_in = False  # the caller turn now being heard began over the agent (a barge-in)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stt_session = engines.stt.open_session()
        c = self.config
        self.turns = TurnDetector(
            self.stt_session,
            engines.vad_factory(),
            self,
            self.clock,
            TurnConfig(
                c.endpoint,
                barge_in_ms=c.barge_in_ms,
                preroll_ms=c.preroll_ms,
                dtmf_gap_ms=c.dtmf_gap_ms,
                early_end=c.early_end,
            ),
            call_sid=call_sid,
            spawn=self._spawn,
        )
        self.playout = Playout(
            engines.tts,
            sink,
            self.clock,
            on_finished=self._heard,
            on_started=self._on_first_frame,
            mark_every_ms=c.mark_every_ms,
            final_mark_grace_ms=c.final_mark_grace_ms,
            call_sid=call_sid,
        )
        self._turn_lock = asyncio.Lock()
        self._no_input: asyncio.Task[None] | None = None
        self._pending_latency: tuple[float, float] | None = None  # (speech end, turn end)
        self._pending_reply_latency: tuple[float, float] | None = None
        self._in_flight: asyncio.Task[Any] | None = None  # the turn task while the dialogue works
        self._recording: dict[int, asyncio.Task[None]] = {}
        self.turn_end_listeners: list[Callable[[float, float], None]] = []
        self.response_ms: list[tuple[float, float]] = []  # first agent audio: (from speech end, turn end)
        self.reply_ms: list[tuple[float, float]] = []  # first audio of the reply's words (not the "Okay.")

    # ---- task ownership -------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any] | Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(f"{name}:{self.call_sid}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "voice_task_failed",
                call_sid=self.call_sid,
                task=task.get_name(),
                error=repr(task.exception()),
                exc_info=task.exception(),
            )
            self._count_error()

    def _unexpected(self, event: str) -> None:
        """A failure no handler expected: logged with its traceback, counted for /health."""
        log.exception(event, call_sid=self.call_sid)
        self._count_error()

    def _count_error(self) -> None:
        if self.stats is not None:
            self.stats.record_error()

    @property
    def open_tasks(self) -> int:
        return len(self._tasks) + self.playout.open_tasks

    # ---- what tests and the edge read -----------------------------------------------------------
    @property
    def expect(self) -> Expect | None:
        return self.turns.expect

    @property
    def endpointer(self) -> Endpointer:
        return self.turns.endpointer

    @property
    def speaking(self) -> bool:
        """Is the agent being heard right now (an utterance not yet played out or cut)?"""
        return self.playout.current() is not None

    # ---- lifecycle ------------------------------------------------------------------------------
    async def begin(self) -> None:
        """Greet: the dialogue's first reply, spoken at once."""
        self.sink.start()
        try:
            reply = await self.responder.start(self.call_sid, self.caller_id)
        except Exception:  # noqa: BLE001 - any failure: logged with its traceback and counted
            self._unexpected("start_call_failed")
            reply = Reply(say="Sorry, we are having trouble. Please call back in a few minutes.", action="hangup")
        self._play(reply)

    async def close(self) -> None:
        """Stop or dropped socket: record what was heard, finalise the call, leave no task behind."""
        if self.closed:
            return
        self.closed = True
        await self.turns.close()
        in_flight = self._in_flight
        if in_flight is not None and not in_flight.done() and in_flight is not asyncio.current_task():
            # A turn still inside the dialogue is left to finish (it may be saving a booking the
            # caller confirmed before hanging up).
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(in_flight), timeout=5.0)
        await self.playout.close()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current and t is not self._in_flight]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.stt_session.aclose()
        await self.sink.aclose()
        try:
            await self.responder.end(self.call_sid)
        except Exception:  # noqa: BLE001 - any failure: logged with its traceback and counted
            self._unexpected("end_call_failed")

    # ---- caller input (from the edge) -----------------------------------------------------------
    def on_media(self, ulaw: bytes) -> None:
        if not self.closed:
            self.turns.on_media(ulaw)

    def on_dtmf(self, digit: str) -> None:
        if not self.closed:
            self._cancel_no_input()
            self.turns.on_dtmf(digit)

    def on_mark(self, name: str) -> None:
        speech = self.playout.on_mark(name)
        if speech is not None:
            self._spawn(self.playout.finish(speech), "finished")

    # ---- TurnListener ---------------------------------------------------------------------------
    def agent_interruptible(self) -> bool:
        current = self.playout.current()
        return current is not None and current.barge_in

    def ignoring_caller(self) -> bool:
        return self.finishing or self.closed

    def on_speech_start(self) -> None:
        self._cancel_no_input()

    def on_barge_in(self) -> None:
        current = self.playout.current()
        if current is not None and current.record:  # a reply cut short (not a mere "Okay.")
            self._cut_in = True
        self._spawn(self.barge_in(), "barge-in")

    def on_likely_end(self, speech_end: float, voiced_ms: int) -> None:
        """Probably done: acknowledge now; the turn itself ends at the end-of-turn silence (or
        earlier, when the words already answer the question)."""
        if (
            not self.config.ack_at_likely_end
            or self.finishing
            or self.speaking
            or voiced_ms < self.config.min_voiced_for_ack_ms
            or not self.engines.ack_phrases
        ):
            return
        self._pending_latency = (speech_end, self.clock.monotonic())
        self._play(Reply(say=self.engines.ack_phrases[0]), record=False)

    def on_turn_end(self, turn: TurnEnd) -> None:
        for listener in self.turn_end_listeners:
            listener(turn.speech_end, turn.turn_end)
        self._spawn(self._finish_turn(turn), "turn")

    def on_digits(self, digits: str) -> None:
        now = self.clock.monotonic()
        self._spawn(self._respond(DigitsPressed(digits=digits), now, now), "turn")

    # ---- thinking -------------------------------------------------------------------------------
    async def _finish_turn(self, turn: TurnEnd) -> None:
        self._pending_reply_latency = (turn.speech_end, turn.turn_end)
        if not turn.acknowledged:
            self._pending_latency = (turn.speech_end, turn.turn_end)
        # The 200 ms rule: if words (recognition + dialogue) are not ready soon, say "Okay." first
        # (unless it was said at the likely end already).
        recognised = asyncio.Event()
        ack = (
            self._spawn(self._ack_later(turn.turn_end, recognised), "ack")
            if turn.voiced_ms >= self.config.min_voiced_for_ack_ms and not turn.acknowledged
            else None
        )
        try:
            # awaited in place (no task, no wait-with-timeout): an engine that has the words
            # ready answers without a trip through the event loop
            result = await turn.recognition
        finally:
            recognised.set()
        text = result.text.strip() if result is not None else ""
        event: Event
        if text:
            assert result is not None  # words came from a result
            event = CallerSaid(
                text=text, confidence=result.confidence, offline=result.engine in ON_DEVICE_ENGINES, cut_in=self._cut_in
            )
        elif turn.voiced_ms >= self.config.min_voiced_for_reprompt_ms:
            event = CallerUnclear()  # speech we could not make out: a miss on the question, not a silence
        else:
            if ack is not None:
                ack.cancel()
            self._start_no_input()  # a click or a breath: keep listening
            return
        await self._respond(event, turn.speech_end, turn.turn_end, ack=ack, spoken=True)

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

    async def _respond(
        self,
        event: Event,
        speech_end: float,
        turn_end: float,
        ack: asyncio.Task[None] | None = None,
        *,
        spoken: bool = False,
    ) -> None:
        if not spoken:  # keypad or no-input turns (spoken turns set these up before recognition)
            self._pending_latency = self._pending_reply_latency = (speech_end, turn_end)
            ack = self._spawn(self._ack_later(turn_end), "ack")
        async with self._turn_lock:
            if self.closed or self.finishing:
                if ack is not None:
                    ack.cancel()
                return
            streamed: list[str] = []
            live: Speech | None = None

            async def on_sentence(sentence: str) -> None:
                """Speak each sentence as soon as the agent has it (an LLM still writing the rest)."""
                nonlocal live
                if self.closed or self.finishing or not sentence.strip():
                    return
                if ack is not None:
                    ack.cancel()
                streamed.append(sentence.strip())
                if live is None:
                    self._cancel_no_input()
                    live = self.playout.begin(record=True)
                live.add(sentence)

            # Awaited in place (no extra task): `close()` waits for this turn rather than cancel it.
            self._in_flight = asyncio.current_task()
            try:
                reply = await self.responder.handle(self.call_sid, event, on_sentence=on_sentence)
            except Exception:  # noqa: BLE001 - any failure: logged with its traceback and counted
                self._unexpected("dialogue_turn_failed")
                reply = Reply(say=FALLBACK_SAY, expect=self.expect)
            finally:
                self._in_flight = None
                if ack is not None:
                    ack.cancel()  # too late for it once the words are ready (if it has not spoken yet)
            if self.closed:
                if live is not None:
                    live.end()
                return
            if live is None:
                self._play(reply)
            else:
                self._finish_streamed(live, reply, streamed)

    def _finish_streamed(self, speech: Speech, reply: Reply, streamed: list[str]) -> None:
        """The whole reply is known: queue what was not streamed yet, then close the utterance."""
        self.turns.listen_for(reply.expect, reply.hints)
        final = reply.action in ("transfer", "hangup")
        if final:
            self.finishing = True
            self._cancel_no_input()
        sentences = [x.strip() for x in split_sentences(reply.say)]
        if sentences[: len(streamed)] == streamed:
            rest = sentences[len(streamed) :]
        else:  # the whole text differs from what streamed (a guard rewrote it): never repeat a sentence
            rest = [x for x in sentences if x not in streamed]
        for sentence in rest:
            speech.add(sentence)
        speech.end(reply.action, barge_in=not final)

    # ---- speaking -------------------------------------------------------------------------------
    def _play(self, reply: Reply, *, record: bool = True) -> None:
        final = reply.action in ("transfer", "hangup")
        if record:
            self.turns.listen_for(reply.expect, reply.hints)
        if final:
            self.finishing = True
            self._cancel_no_input()
        if not reply.say.strip():
            if final:
                self._spawn(self._finish(reply.action), "finish")
            elif record:
                self._start_no_input()
            return
        if record:
            self._cancel_no_input()
            self._cut_in = False  # a new reply: nothing of it has been cut yet
        self.playout.say(reply.say, record=record, action=reply.action, barge_in=not final)

    async def barge_in(self) -> None:
        """Caller talks over the agent: `clear` at once, stop TTS, keep only what was heard."""
        await self.playout.interrupt()

    async def _heard(self, speech: Speech, heard: str, interrupted: bool) -> None:
        """Playout says an utterance is over: the record holds what was heard; what comes next."""
        if speech.record:
            await self._record(speech, heard)
        if interrupted or self.closed:
            return
        if speech.action in ("transfer", "hangup"):
            await self._finish(speech.action)
        elif speech.record and speech.id == self.playout.last_id:
            self._start_no_input()

    async def _finish(self, action: str) -> None:
        if self.on_finished is not None and not self.closed:
            await self.on_finished(action)

    # ---- the call record ------------------------------------------------------------------------
    async def _record_start(self, speech: Speech) -> None:
        """The agent starts speaking: the turn goes into the call record now, whole (contract)."""
        if speech.turn_seq is not None or speech.recorded_text or not speech.text:
            return
        speech.recorded_text = speech.text
        try:
            speech.turn_seq = await self.responder.record_agent_turn(self.call_sid, speech.text)
        except Exception:  # noqa: BLE001 - any failure: logged with its traceback and counted
            self._unexpected("record_agent_turn_failed")

    async def _record(self, speech: Speech, text: str) -> None:
        """The utterance is over: make the record say what the caller actually heard."""
        started = self._recording.pop(speech.id, None)
        if started is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(started)
        if not speech.recorded_text:
            if text:
                speech.recorded_text = text
                try:
                    speech.turn_seq = await self.responder.record_agent_turn(self.call_sid, text)
                except Exception:  # noqa: BLE001 - any failure: logged with its traceback and counted
                    self._unexpected("record_agent_turn_failed")
            return
        if speech.turn_seq is not None and text != speech.recorded_text:
            speech.recorded_text = text
            try:
                await self.responder.amend_agent_turn(self.call_sid, speech.turn_seq, text)
            except Exception:  # noqa: BLE001 - any failure: logged with its traceback and counted
                self._unexpected("amend_agent_turn_failed")

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
        if not self.turns.in_turn and not self.closed:
            now = self.clock.monotonic()
            self._spawn(self._respond(Silence(), now, now), "turn")

    # ---- measurements ---------------------------------------------------------------------------
    def _on_first_frame(self, speech: Speech, at: float) -> None:
        if speech.record and speech.id not in self._recording and not speech.recorded_text:
            self._recording[speech.id] = self._spawn(self._record_start(speech), "record")
        if self._pending_latency is not None:
            speech_end, turn_end = self._pending_latency
            self._pending_latency = None
            sample = ((at - speech_end) * 1000.0, (at - turn_end) * 1000.0)
            self.response_ms.append(sample)
            del self.response_ms[:-50]
            if self.stats is not None:
                self.stats.record_response(sample[1], sample[0])
        if speech.record and self._pending_reply_latency is not None:
            speech_end, turn_end = self._pending_reply_latency
            self._pending_reply_latency = None
            self.reply_ms.append(((at - speech_end) * 1000.0, (at - turn_end) * 1000.0))
            del self.reply_ms[:-50]
            if self.stats is not None:
                self.stats.record_reply((at - turn_end) * 1000.0)
