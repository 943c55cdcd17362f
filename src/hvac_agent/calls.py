"""Call orchestration shared by every edge: session load/save, idempotent turns, the call record.

A turn is: read the session, let the agent answer, write the session back with compare-and-set,
then record the turn. The stored reply of each turn is kept, so a webhook Twilio retries (same
idempotency token, or a turn number already handled) gets the very same answer and changes
nothing, whichever worker process receives it and however the two requests interleave.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import phonenumbers
from cachetools import LRUCache
from pydantic import BaseModel, Field

from hvac_agent.analytics.facts import CallFacts, channel_of, observe_start, observe_turn
from hvac_agent.analytics.variants import running
from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.caller_caches import register as register_caller_cache
from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.agent import Agent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.degrade import stream_reply
from hvac_agent.dialogue.fixed_lines import allow_phrases
from hvac_agent.dialogue.ports import BookingPort, CallRecordPort
from hvac_agent.dialogue.scripts import CALL_ALREADY_ENDED, fixed_sentences
from hvac_agent.dialogue.state import (
    CallerSaid,
    CallStarted,
    CallState,
    DigitsPressed,
    Event,
    Reply,
)
from hvac_agent.followups.events import (
    OutboxEvent,
    call_ended_event,
    emergency_event,
    message_event,
    transfer_unanswered_event,
)
from hvac_agent.followups.summary import summary_from_facts
from hvac_agent.observability.logging import get_logger, note_personal
from hvac_agent.observability.metrics import Metrics
from hvac_agent.sessions.call_registry import CallRegistry
from hvac_agent.sessions.store import SessionStore, SessionStoreUnavailable

log = get_logger("hvac_agent.calls")

SentenceSink = Callable[[str], Awaitable[None]]
KEEP_REPLIES = 6  # answers kept for retried webhooks (Twilio retries within seconds)
CAS_ATTEMPTS = 8
DECODED_SESSIONS = 2000  # decoded sessions kept per process (the calls it is serving)
START_KEY = "start"


class StoredReply(BaseModel):
    reply: Reply
    next_turn: int


class Session(BaseModel):
    """What the session store holds for one call."""

    state: CallState
    replies: dict[str, StoredReply] = Field(default_factory=dict)
    tokens: dict[str, str] = Field(default_factory=dict)  # idempotency token → reply key
    facts: CallFacts = Field(default_factory=CallFacts)  # analytics, written beside the record at the end


class FactsSink(Protocol):
    """Where per-call facts go (analytics/store.py): the call's A/B variant at start, all at the end."""

    async def save(self, call_sid: str, facts: CallFacts) -> None: ...

    async def note_transfer_unanswered(self, call_sid: str) -> None: ...

    async def get(self, call_sid: str) -> CallFacts | None: ...


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    reply: Reply
    next_turn: int  # the turn number the next request of this call should carry
    duplicate: bool = False
    state: CallState | None = None
    voice: str | None = None  # the call's TwiML voice (the profile's or its A/B variant's); None = default
    refused: bool = False  # the call has ended, or the turn is too old to be a retry: nothing changed


def caller_id_e164(raw: str | None) -> str | None:
    """Twilio's `From` as E.164 when it is a real number ("anonymous", SIP clients → None)."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _caller_words(event: Event) -> str | None:
    """What the call record shows for the caller's side of a turn (None: nothing to record)."""
    if isinstance(event, CallerSaid):
        return event.text.strip() or None
    if isinstance(event, DigitsPressed):
        return f"(keypad) {event.digits}"
    return None


def _note_personal(state: CallState) -> None:
    """The call's personal values are masked in every later log line of it (tracebacks too)."""
    slots = state.slots
    note_personal(state.caller_id, slots.name, slots.phone, slots.street, slots.unit)


class CallService:
    def __init__(
        self,
        *,
        store: SessionStore,
        records: CallRecordPort,
        booking: BookingPort,
        agent: Agent,
        profile: BusinessProfile,
        clock: Clock,
        metrics: Metrics,
        session_ttl_s: int = 7200,
        facts: FactsSink | None = None,
    ) -> None:
        self.store = store
        self.records = records
        self.booking = booking
        self.agent = agent
        self.profile = profile
        self.clock = clock
        self.metrics = metrics
        self.session_ttl_s = session_ttl_s
        self._locks: dict[str, asyncio.Lock] = {}
        self.registry = CallRegistry(store, clock, ttl_s=session_ttl_s)
        # The last session object this process saved per call, with its payload (see `_load`).
        self._decoded: LRUCache[str, tuple[str, Session]] = LRUCache(maxsize=DECODED_SESSIONS)
        # Dropped when a call ends here; a call ended by another worker leaves its entry behind,
        # so they are emptied with the other caches of caller text (only a re-parse is lost).
        register_caller_cache(self._decoded.clear)
        self.facts = facts
        self.speech_engines: list[str] = []  # "stt:…", "tts:…" as configured, for stream calls' facts
        # Looks at the business file at each call start: an edited profile applies without a restart.
        self.profile_check: Callable[[], object] | None = None
        # The fixed sentences of the profile (and of each A/B variant) a call may hear: worked out
        # once per profile (~3 ms), for the phrase cache (`_allow_fixed`).
        self._fixed_of: BusinessProfile | None = None
        self._fixed: dict[tuple[str | None, str | None], frozenset[str]] = {}

    # ---- public API used by the edges --------------------------------------------------------

    async def start(
        self,
        call_sid: str,
        caller: str | None,
        *,
        token: str | None = None,
        record_agent: bool = True,
        mode: str = "gather",
    ) -> TurnOutcome:
        """The incoming call: greet (once, however often Twilio posts it)."""
        if self.profile_check is not None:
            try:
                self.profile_check()
            except Exception as error:  # noqa: BLE001 - a profile problem never stops a call
                log.warning("profile_check_failed", error=type(error).__name__)
        async with self._lock(call_sid):
            return await self._start_unlocked(call_sid, caller, token=token, record_agent=record_agent, mode=mode)

    async def _start_unlocked(
        self, call_sid: str, caller: str | None, *, token: str | None, record_agent: bool, mode: str
    ) -> TurnOutcome:
        for _ in range(CAS_ATTEMPTS):
            loaded = await self._load(call_sid)
            if loaded is not None:
                session, _version = loaded
                stored = session.replies.get(START_KEY)
                if stored is not None:
                    self._allow_fixed(session.facts)
                    self.metrics.duplicate_webhooks.inc()
                    return TurnOutcome(
                        stored.reply,
                        stored.next_turn,
                        duplicate=True,
                        state=session.state,
                        voice=self._voice(session.facts),
                    )
            elif await self.registry.has_ended(call_sid):
                return self._refuse(call_sid, "call_ended")
            now = self.clock.now()
            note_personal(caller)
            state = CallState(call_sid=call_sid, caller_id=caller_id_e164(caller), started_at=now)
            facts = self._new_facts(call_sid, state.caller_id or caller, mode)
            self._allow_fixed(facts)
            state, reply = await self.agent.respond(
                state, CallStarted(caller_id=state.caller_id), self._ctx(facts), self.booking
            )
            facts = observe_start(facts, state, reply)
            session = Session(
                state=state, replies={START_KEY: StoredReply(reply=reply, next_turn=state.turn)}, facts=facts
            )
            if token:
                session.tokens[token] = START_KEY
            if await self._save(call_sid, session, None) is None:
                continue
            await self._safe(self.registry.began(call_sid))
            self.metrics.calls.labels(mode=mode).inc()
            await self._safe(self.records.start_call(call_sid, caller=caller, started_at=now))
            if record_agent:  # with the start, in one write (records are written behind)
                await self._safe(self.records.record_turn(call_sid, turns=[("agent", reply.say)], at=now))
            if self.facts is not None:
                await self._safe(self.facts.save(call_sid, facts))
            log.info("call_started", call_sid=call_sid, caller=caller, mode=mode, variant=facts.variant)
            return TurnOutcome(reply, state.turn, state=state, voice=self._voice(facts))
        raise SessionStoreUnavailable("could not create the session")

    async def turn(
        self,
        call_sid: str,
        event: Event,
        *,
        turn: int | None = None,
        token: str | None = None,
        caller: str | None = None,
        record_agent: bool = True,
        on_sentence: SentenceSink | None = None,
        webhook: bool = True,
    ) -> TurnOutcome:
        """One caller event. `turn` is the number the request carries (None: whatever is current).

        Webhooks (`webhook=True`) may be retried or replayed: their answers are kept for retries,
        and a turn older than those, or one after the dialogue hung up, changes nothing. A stream
        delivers each event once, so it pays for none of that.

        With `on_sentence` (stream mode), each sentence of the reply is handed over as soon as the
        agent has it — an LLM's first sentence is spoken while it is still writing the rest.
        """
        started = time.perf_counter()  # a latency metric only (clock.py's rule): nothing waits on it
        async with self._lock(call_sid):
            for _ in range(CAS_ATTEMPTS):
                loaded = await self._load(call_sid, reuse=True)
                if loaded is None:
                    # Unknown call (expired, or the greeting never reached us): start it now —
                    # unless it has ended, when nothing may bring it back.
                    started_now = await self._start_unlocked(
                        call_sid, caller, token=None, record_agent=record_agent, mode="gather"
                    )
                    if started_now.refused:
                        return started_now
                    continue
                session, version = loaded
                self._allow_fixed(session.facts)
                if webhook:
                    duplicate = self._stored_answer(session, turn, token)
                    if duplicate is not None:
                        self.metrics.duplicate_webhooks.inc()
                        return TurnOutcome(
                            duplicate.reply,
                            duplicate.next_turn,
                            duplicate=True,
                            state=session.state,
                            voice=self._voice(session.facts),
                        )
                    if (turn is not None and turn < session.state.turn) or session.state.ended:
                        # Older than any retry we still answer, or after the dialogue hung up: a replay.
                        return self._refuse(call_sid, "stale_turn")
                before = session.state
                key = str(before.turn)
                if on_sentence is not None:
                    # Streamed speech may reach the record before the turn is saved: the caller's
                    # words go in first (a stream has no retries to de-duplicate).
                    await self._record_caller(call_sid, event)
                state, reply = await self._respond(before, event, on_sentence, session.facts)
                _note_personal(state)
                latency_ms = round((time.perf_counter() - started) * 1000)
                session.facts = observe_turn(session.facts, before, state, event, reply, latency_ms)
                session.state = state
                if webhook:
                    self._keep_reply(session, key, StoredReply(reply=reply, next_turn=state.turn), token)
                if await self._save(call_sid, session, version) is None:
                    continue  # another request for this call won: re-read and answer from its result
                self.metrics.turns.labels(agent=state.rung).inc()
                log.info(
                    "turn",
                    turn=before.turn,
                    kind=event.kind,
                    text=getattr(event, "text", None),
                    phase=state.phase,
                    asked=state.asked,
                    action=reply.action,
                    say=reply.say,
                )
                streamed = on_sentence is not None
                await self._record_turn(
                    call_sid, before, state, event, reply, record_agent=record_agent, caller_recorded=streamed
                )
                self.metrics.turn_latency.labels(mode="turn").observe(time.perf_counter() - started)
                return TurnOutcome(reply, state.turn, state=state, voice=self._voice(session.facts))
        raise SessionStoreUnavailable("too many concurrent writers for one call")

    async def start_call(self, call_sid: str, caller_id: str | None, *, record_agent: bool = True) -> Reply:
        """Stream mode's greeting (same as `start`, without webhook idempotency)."""
        return (await self.start(call_sid, caller_id, record_agent=record_agent, mode="stream")).reply

    async def handle_event(
        self, call_sid: str, event: Event, *, record_agent: bool = True, on_sentence: SentenceSink | None = None
    ) -> Reply:
        """Stream mode's turn: events arrive once over the socket, so no turn numbers are needed."""
        outcome = await self.turn(call_sid, event, record_agent=record_agent, on_sentence=on_sentence, webhook=False)
        return outcome.reply

    async def record_agent_turn(self, call_sid: str, text: str) -> int | None:
        """Stream mode: the agent starts saying `text` now. Returns the turn's number for amending."""
        if not text.strip():
            return None
        seq: int | None = None

        async def add() -> None:
            nonlocal seq
            seq = await self.records.add_turn(call_sid, role="agent", text=text, at=self.clock.now())

        await self._safe(add())
        return seq

    async def amend_agent_turn(self, call_sid: str, seq: int, heard: str) -> None:
        """Stream mode: a barge-in cut the agent short; keep only the words the caller heard."""
        await self._safe(self.records.amend_turn(call_sid, seq, heard))

    async def state(self, call_sid: str) -> CallState | None:
        loaded = await self._load(call_sid)
        return loaded[0].state if loaded else None

    async def end_call(self, call_sid: str, *, duration_s: int | None = None) -> None:
        """The call is over (status callback, stream stop, dropped socket): finalise, forget the session.

        Only the first end counts; a later one (the status callback after a stream's `stop`, a
        replay) may still supply Twilio's duration and changes nothing else.
        """
        state: CallState | None = None
        session: Session | None = None
        try:
            # The session this process last saved, when the store still holds exactly it (no parse):
            # it is only read here, and forgotten below whichever way the call ends.
            loaded = await self._load(call_sid, reuse=True)
            session = loaded[0] if loaded is not None else None
            state = session.state if session is not None else None
        except SessionStoreUnavailable:
            log.warning("session_store_unavailable_at_end", call_sid=call_sid)
        outcome = state.outcome if state else None
        try:
            first = await self.registry.ended(call_sid, outcome)
        except SessionStoreUnavailable:
            log.warning("call_registry_unavailable_at_end", call_sid=call_sid)
            first = True
        if not first:
            if duration_s is not None:
                await self._safe(self.records.finish_call(call_sid, ended_at=self.clock.now(), duration_s=duration_s))
            self._locks.pop(call_sid, None)
            self._decoded.pop(call_sid, None)
            log.info("call_already_ended", call_sid=call_sid)
            return
        if session is not None and self.facts is not None:
            final = outcome if outcome not in (None, "in_progress") else "abandoned"
            await self._safe(self.facts.save(call_sid, session.facts.model_copy(update={"outcome": final})))
        ended: OutboxEvent | None = call_ended_event(call_sid, state)
        summary = summary_from_facts(ended.payload) if state is not None and ended is not None else None
        if state is not None and state.forgotten:
            ended, summary = None, None  # the caller asked to be forgotten: no summary, no follow-up
        await self._safe(
            self.records.finish_call(
                call_sid,
                ended_at=self.clock.now(),
                outcome=outcome,
                duration_s=duration_s,
                summary=summary,
                follow_up=ended,
                release_holds=True,  # what it was offered is free again, in the same commit
            )
        )
        try:
            await self.store.delete(call_sid)
        except SessionStoreUnavailable:
            log.warning("session_not_deleted", call_sid=call_sid)
        self.metrics.calls_ended.labels(outcome=outcome if outcome not in (None, "in_progress") else "abandoned").inc()
        self._locks.pop(call_sid, None)
        self._decoded.pop(call_sid, None)
        log.info("call_ended", call_sid=call_sid, outcome=outcome)

    async def final_outcome(self, call_sid: str) -> str | None:
        """How the dialogue left the call (from the session, else from the call record)."""
        state = await self.state(call_sid)
        if state is not None:
            return state.outcome
        record = await self.records.get_call(call_sid)
        return str(record["outcome"]) if record else None

    async def wants_oncall(self, call_sid: str) -> bool:
        """Whether the call ended by taking up the on-call line (an urgent caller after hours,
        booked and then connected): stream mode's `<Connect>` action dials the chain then."""
        loaded = await self._load(call_sid)
        facts = loaded[0].facts if loaded is not None else None
        if facts is None and self.facts is not None:
            facts = await self.facts.get(call_sid)
        return facts is not None and any(t.reason == "oncall" for t in facts.transfers)

    async def take_message(self, call_sid: str, text: str) -> None:
        """A message left after an unanswered transfer: into the call record, outcome `message`."""
        await self.records.add_turn(call_sid, role="caller", text=text, at=self.clock.now())
        loaded = await self._load(call_sid)
        state = loaded[0].state if loaded is not None else None
        outcome = state.outcome if state is not None else await self.final_outcome(call_sid)
        relabel = outcome in (None, "in_progress", "transferred", "out_of_area")
        follow_up = message_event(call_sid, text, state, caller=None)
        await self.records.update_call(call_sid, outcome="message" if relabel else None, follow_up=follow_up)
        if relabel:
            if loaded is not None:
                session, version = loaded
                session.state.outcome = "message"
                session.state.message = text
                await self._save(call_sid, session, version)

    async def transfer_unanswered(
        self, call_sid: str, *, dial_status: str, caller: str | None = None, dial_sid: str | None = None
    ) -> None:
        """Nobody picked up the transfer: the office (or on-call, for an emergency) is alerted."""
        state = await self.state(call_sid)
        event = transfer_unanswered_event(call_sid, dial_status, state, caller_id_e164(caller), attempt=dial_sid)
        await self._safe(self.records.update_call(call_sid, follow_up=event))
        if self.facts is not None:  # and the call goes to the console's inbox
            await self._safe(self.facts.note_transfer_unanswered(call_sid))

    async def active_calls(self) -> int | None:
        """Calls in progress across every worker sharing the session store (None: store unavailable)."""
        try:
            count = await self.registry.count()
        except SessionStoreUnavailable:
            return None
        self.metrics.active_calls.set(count)
        return count

    # ---- internals ---------------------------------------------------------------------------

    async def _respond(
        self, before: CallState, event: Event, on_sentence: SentenceSink | None, facts: CallFacts | None = None
    ) -> tuple[CallState, Reply]:
        if on_sentence is None:
            return await self.agent.respond(before, event, self._ctx(facts), self.booking)
        final: tuple[CallState, Reply] | None = None
        async for item in stream_reply(self.agent, before, event, self._ctx(facts), self.booking):
            if isinstance(item, str):
                await on_sentence(item)
            else:
                final = item
        assert final is not None, "an agent stream always ends with (state, reply)"
        return final

    def _refuse(self, call_sid: str, reason: str) -> TurnOutcome:
        """A polite hang-up that changes nothing: the call has ended or the request is a replay."""
        self.metrics.requests_refused.labels(reason=reason).inc()
        log.info("webhook_for_ended_call", call_sid=call_sid, reason=reason)
        return TurnOutcome(Reply(say=CALL_ALREADY_ENDED, action="hangup"), 0, refused=True)

    def _ctx(self, facts: CallFacts | None = None) -> DialogueContext:
        return DialogueContext(profile=self._profile_for(facts), now=self.clock.now())

    def _new_facts(self, call_sid: str, caller_key: str | None, mode: str) -> CallFacts:
        """A new call's facts: its channel and, while a test runs, the caller's sticky variant."""
        channel = channel_of(call_sid, mode)
        facts = CallFacts(channel=channel, engines=list(self.speech_engines) if channel != "gather" else [])
        experiment = running(self.profile.experiments)
        if experiment is not None:
            variant = experiment.assign(caller_key or call_sid)
            facts = facts.model_copy(update={"experiment": experiment.name, "variant": variant.name})
        return facts

    def _profile_for(self, facts: CallFacts | None) -> BusinessProfile:
        """The profile this call hears: the business's, with its A/B variant's changes if it has one
        (kept to the end of the call even if the test ends meanwhile)."""
        if facts is None or facts.experiment is None:
            return self.profile
        experiment = next((e for e in self.profile.experiments if e.name == facts.experiment), None)
        variant = experiment.variant(facts.variant) if experiment is not None else None
        overrides = variant.overrides() if variant is not None else {}
        return self.profile.model_copy(update=overrides) if overrides else self.profile

    def _allow_fixed(self, facts: CallFacts | None) -> None:
        """Stream mode's phrase cache may keep only the lines of this call's script that hold no
        caller data: declared in this task's context, which the speech tasks of the turn (or of the
        greeting) copy when the pipeline starts them."""
        if self._fixed_of is not self.profile:  # reloaded: the old profile's lines go
            self._fixed_of, self._fixed = self.profile, {}
        key = (facts.experiment, facts.variant) if facts is not None else (None, None)
        sentences = self._fixed.get(key)
        if sentences is None:
            sentences = self._fixed[key] = fixed_sentences(self._profile_for(facts))
        allow_phrases(sentences)

    def _voice(self, facts: CallFacts) -> str | None:
        return self._profile_for(facts).voice

    def _lock(self, call_sid: str) -> asyncio.Lock:
        lock = self._locks.get(call_sid)
        if lock is None:
            lock = self._locks[call_sid] = asyncio.Lock()
        return lock

    @staticmethod
    def _keep_reply(session: Session, key: str, stored: StoredReply, token: str | None) -> None:
        """Keep this turn's answer for retries (the last few turns' answers, and the greeting)."""
        session.replies[key] = stored
        for old in list(session.replies)[:-KEEP_REPLIES]:
            if old != START_KEY:
                session.replies.pop(old, None)
        if token:
            session.tokens[token] = key
            for old_token in list(session.tokens)[:-KEEP_REPLIES]:
                session.tokens.pop(old_token, None)

    @staticmethod
    def _stored_answer(session: Session, turn: int | None, token: str | None) -> StoredReply | None:
        if token and token in session.tokens:
            return session.replies.get(session.tokens[token])
        if turn is not None and turn < session.state.turn:
            return session.replies.get(str(turn))
        return None

    async def _load(self, call_sid: str, *, reuse: bool = False) -> tuple[Session, int] | None:
        """The stored session. With `reuse` (a turn, which writes it back), the object this process
        last saved is taken when the store still holds exactly that payload: no parse on the hot path."""
        versioned = await self.store.get(call_sid)
        if versioned is None:
            return None
        kept = self._decoded.pop(call_sid, None) if reuse else None
        if kept is not None and kept[0] == versioned.payload:
            session = kept[1]
        else:
            session = Session.model_validate_json(versioned.payload)
        _note_personal(session.state)  # masked in this request's log lines too
        return session, versioned.version

    async def _save(self, call_sid: str, session: Session, version: int | None) -> int | None:
        payload = session.model_dump_json(exclude_defaults=True)
        saved = await self.store.put(call_sid, payload, expected_version=version, ttl_s=self.session_ttl_s)
        if saved is not None:
            self._decoded[call_sid] = (payload, session)
        return saved

    async def _record_caller(self, call_sid: str, event: Event) -> None:
        said = _caller_words(event)
        if said:
            await self._safe(self.records.add_turn(call_sid, role="caller", text=said, at=self.clock.now()))

    async def _record_turn(
        self,
        call_sid: str,
        before: CallState,
        after: CallState,
        event: Event,
        reply: Reply,
        *,
        record_agent: bool,
        caller_recorded: bool = False,
    ) -> None:
        turns: list[tuple[str, str]] = []
        if not caller_recorded:
            said = _caller_words(event)
            if said:
                turns.append(("caller", said))
        if record_agent and reply.say:
            turns.append(("agent", reply.say))
        changes: dict[str, Any] = {}
        if after.outcome != before.outcome:
            changes["outcome"] = after.outcome
        if after.slots.urgency != before.slots.urgency and after.slots.urgency:
            changes["urgency"] = after.slots.urgency
        if after.appointment_id != before.appointment_id and after.appointment_id:
            changes["appointment_id"] = after.appointment_id
        follow_up = emergency_event(after) if changes.get("outcome") == "emergency" else None
        if turns or changes:  # one transaction for the whole turn
            await self._safe(
                self.records.record_turn(call_sid, turns=turns, at=self.clock.now(), follow_up=follow_up, **changes)
            )
        if after.appointment_id != before.appointment_id and after.outcome == "booked":
            self.metrics.bookings.labels(result="booked").inc()
        if after.ended:
            log.info("call_finishing", call_sid=call_sid, outcome=after.outcome)

    async def _safe(self, work: Any) -> None:
        """Call-record writes never break a call: a database outage is logged, the call goes on."""
        try:
            await work
        except BookingUnavailable as error:  # the database is down or busy: expected, counted
            self.metrics.call_record_failed(outage=True)
            log.warning("call_record_write_failed", error=type(error).__name__)
        except Exception:  # a bug: logged with its traceback and counted; the call goes on
            self.metrics.call_record_failed(outage=False)
            log.exception("call_record_write_bug")
