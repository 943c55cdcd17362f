"""The LLM agent: an OpenAI-compatible model talks, code keeps the guarantees.

Per caller turn, in this order, before any model sees the words:
1. non-speech events (call start, silence, keypad, hang-up), ended calls and phases that are pure
   procedure (emergency, out of area, message, done) go to the rules agent;
2. the shared policy's triage (`policy.triage`): an emergency's safety script and on-call line, a
   request for a person (NLU or embedding intent), high frustration, goodbye; and a plain "no" to
   a confirmation question (`policy.decline`);
3. a plain FAQ (hours, area, fee) with no caller data → the profile's answer from the cache.
Otherwise the model answers, with tools (llm_tools.ToolRunner) that validate everything and then
follow the same policy as the rules agent, and every sentence passes the speech guard before it is
spoken. The call state is the rules agent's, so any turn can be handed to the rules agent without
losing or re-asking a slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from hvac_agent.dialogue import policy, scripts
from hvac_agent.dialogue.agent import Agent
from hvac_agent.dialogue.context import DialogueContext, nlu_context
from hvac_agent.dialogue.intent_embed import FaqCache, IntentClassifier, IntentGuess
from hvac_agent.dialogue.llm_tools import TOOL_FOR_YES, TOOL_SCHEMAS, ToolOutcome, ToolRunner
from hvac_agent.dialogue.nlu import understand
from hvac_agent.dialogue.nlu.privacy import wants_forgotten
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.prompts import INTENT_PROMPT, next_step, state_summary, system_prompt
from hvac_agent.dialogue.state import CallerSaid, CallState, Event, Expect, Intent, Reply
from hvac_agent.llm.client import Completed, LlmClient, TextDelta
from hvac_agent.llm.errors import LlmError
from hvac_agent.llm.guard import SpeechGuard
from hvac_agent.llm.selection import choose_model
from hvac_agent.llm.splitter import SentenceSplitter, split_sentences
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.dialogue.llm_agent")
LlmRung = Literal["llm", "fast_llm"]
HISTORY_MESSAGES = 30  # the last 15 exchanges
INTENT_THRESHOLD = 0.7
MAX_TOOL_ROUNDS = 4
# Procedure owned by code. The number a booking is under and the second factor for it are taken
# and checked by code only ("cancel_lookup", "verifying"): the model sees nothing of a booking under
# another number until the factor matches, not even whether there is one.
RULES_PHASES = frozenset(
    {
        "emergency",
        "out_of_area",
        "taking_message",
        "offer_transfer",
        "offer_oncall",
        "booked",
        "done",
        "cancel_lookup",
        "verifying",
        "forget_confirm",
    }
)


class LlmTurnFailed(Exception):
    """The model could not finish the turn. `state` is the state before the turn plus whatever the
    tools already did (a slot recorded, a booking made); `spoken` is what was already streamed."""

    def __init__(self, state: CallState, spoken: list[str], cause: LlmError, model: str) -> None:
        super().__init__(str(cause))
        self.model = model
        self.state = state
        self.spoken = spoken
        self.cause = cause


@dataclass(frozen=True)
class LlmBudgets:
    full_s: float = 2.5
    fast_s: float = 1.5
    intent_s: float = 0.8


@dataclass
class _Exchange:
    """One turn's conversation with the model: what it said, and the tool outcome that ended it."""

    spoken: list[str] = field(default_factory=list)
    final: ToolOutcome | None = None


def _question_for(state: CallState, expect: Expect) -> str:
    if expect == "confirm" and state.awaiting_yes:
        return scripts.CONFIRM_QUESTIONS[state.awaiting_yes]
    if expect == "returning" and state.past:
        return scripts.returning_question(state.past[0].address)
    return scripts.short_question(expect)


def _closing_question(s: CallState, parts: list[str], expect: Expect, question: str | None, extra: bool) -> str:
    """The question a listening turn must end with, or "" when the words already end with one."""
    if expect == "confirm" and s.awaiting_yes:
        confirm = scripts.CONFIRM_QUESTIONS[s.awaiting_yes]
        return "" if parts and parts[-1].rstrip().endswith(confirm) else confirm
    asked = any(p.rstrip().endswith("?") for p in parts[-2:])
    if asked and not (extra and not parts[-1].endswith("?")):
        return ""
    return question or _question_for(s, expect)


TurnItem = str | tuple[CallState, Reply]


class LlmAgent:
    """`Agent` over an OpenAI-compatible endpoint. `rules` answers the turns code owns."""

    name = "llm"

    def __init__(
        self,
        client: LlmClient,
        *,
        model: str,
        fast_model: str | None,
        rules: Agent,
        classifier: IntentClassifier | None = None,
        faq: FaqCache | None = None,
        budgets: LlmBudgets | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.fast_model = fast_model
        self.rules = rules
        self.classifier = classifier
        self.faq = faq
        self.budgets = budgets or LlmBudgets()

    async def warm_up(self) -> None:
        """Load the embedding model now (app start-up), not during the first caller's turn."""
        if self.classifier is not None:
            await asyncio.to_thread(self.classifier.prepare)
        if self.faq is not None:
            await asyncio.to_thread(self.faq.prepare)

    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort, *, rung: LlmRung = "llm"
    ) -> tuple[CallState, Reply]:
        async for item in self.respond_stream(state, event, ctx, booking, rung=rung):
            if isinstance(item, tuple):
                return item
        raise RuntimeError("respond_stream ended without a reply")  # pragma: no cover

    async def respond_stream(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort, *, rung: LlmRung = "llm"
    ) -> AsyncIterator[TurnItem]:
        """Sentences as they are ready to speak, then `(state, reply)`; `reply.say` holds them all.

        Raises `LlmTurnFailed` when the model fails or misses the turn budget.
        """
        text = event.text.strip() if isinstance(event, CallerSaid) else ""
        if not text or state.ended or state.phase in RULES_PHASES:
            async for item in self._delegate(state, event, ctx, booking):
                yield item
            return
        u = understand(text, nlu_context(state, ctx))
        guess = await self._intent(state, text, u)
        s = state.model_copy(deep=True)
        policy.heard(s, text, ctx, cut_in=isinstance(event, CallerSaid) and event.cut_in)
        if s.asked == "returning" and (u.yes_no or u.street):
            # The answer to the code's own question is recorded by code, whatever the model makes of it.
            policy.answer_returning(s, u.yes_no == "yes" and not u.street)
        if (by_code := self._by_code(s, u, guess, ctx)) is not None:
            async for item in self._finish(s, ctx, [], by_code):
                yield item
            return
        if self.faq is not None and s.phase in ("collecting", "choosing_window") and not u.carries_data:
            hit = await asyncio.to_thread(self.faq.lookup, text, u)
            if hit is not None:
                question = s.last_question or _question_for(s, s.asked or "intent")
                async for item in self._finish(s, ctx, [hit.answer], None, question=question):
                    yield item
                return
        async for item in self._model_turn(state, s, u, guess, ctx, booking, rung):
            yield item

    @staticmethod
    def _by_code(s: CallState, u: Understanding, guess: IntentGuess | None, ctx: DialogueContext) -> Reply | None:
        """The turns code answers without the model: the policy's triage (safety, a person,
        frustration, goodbye), a window answer that fits two offers (asked again, as the rules
        agent does), and a plain "no" to a confirmation question, on which nothing is booked,
        cancelled or moved."""
        wants_person = guess is not None and guess.intent == "human" and guess.confidence >= INTENT_THRESHOLD
        if (first := policy.triage(s, u, ctx, asks_for_person=wants_person)) is not None:
            return first
        if wants_forgotten(u.text):
            return policy.start_forget(s, ctx)
        if (unsure := policy.unsure_window(s, u, ctx)) is not None:
            return unsure  # the same re-ask as the rules agent, never the model's guess
        if s.awaiting_yes and u.yes_no == "no" and not (u.details or u.correction):
            return policy.decline(s, ctx)
        return None

    # ---- the model's turn -----------------------------------------------------------------

    def _model_for(self, s: CallState, u: Understanding, rung: LlmRung) -> tuple[str, float]:
        if rung == "fast_llm" and self.fast_model:
            return self.fast_model, self.budgets.fast_s
        model = choose_model(s, u, main=self.model, fast=self.fast_model)
        if model != self.model and self.client.breaker_for(model).state == "open":
            model = self.model  # a simple turn, but the fast model is down: the main one answers
        return model, self.budgets.fast_s if model == self.fast_model else self.budgets.full_s

    async def _model_turn(
        self,
        before: CallState,
        s: CallState,
        u: Understanding,
        guess: IntentGuess | None,
        ctx: DialogueContext,
        booking: BookingPort,
        rung: LlmRung,
    ) -> AsyncIterator[TurnItem]:
        model, budget = self._model_for(s, u, rung)
        runner = ToolRunner(s, ctx, booking, u, awaiting=before.awaiting_yes)
        exchange = _Exchange()
        deadline = self.client.clock.monotonic() + budget
        try:
            async for sentence in self._converse(model, deadline, runner, self._messages(s, ctx, guess), exchange):
                yield sentence
        except LlmError as error:
            recovered = s.model_copy(
                update={
                    "turn": before.turn,
                    "history": before.history,
                    "silences": before.silences,
                    "frustration": before.frustration,
                }
            )
            raise LlmTurnFailed(recovered, exchange.spoken, error, model) from error
        await self._complete_by_code(s, runner, exchange, ctx)
        extra: list[str] = []
        keypad = False
        final = exchange.final.reply if exchange.final else None
        if final is None:
            final, extra, keypad = self._misunderstood(s, u, runner.progress, ctx)
        async for item in self._finish(
            s, ctx, exchange.spoken, final, already_streamed=True, extra=extra, keypad=keypad
        ):
            yield item

    async def _converse(
        self, model: str, deadline: float, runner: ToolRunner, messages: list[dict[str, Any]], exchange: _Exchange
    ) -> AsyncIterator[str]:
        """Stream the model's sentences (through the speech guard) and run its tool calls, round
        after round, until it answers without tools or a tool's outcome ends the turn."""
        guard = SpeechGuard(runner.ctx.profile)

        def speakable(sentences: list[str]) -> list[str]:
            kept = [checked for checked in map(guard.check, sentences) if checked]
            exchange.spoken += kept
            return kept

        for _ in range(MAX_TOOL_ROUNDS):
            splitter = SentenceSplitter()
            completed: Completed | None = None
            stream = self.client.stream(model=model, messages=messages, tools=TOOL_SCHEMAS, deadline=deadline)
            async for piece in stream:
                if isinstance(piece, TextDelta):
                    for sentence in speakable(splitter.feed(piece.text)):
                        yield sentence
                else:
                    completed = piece
            for sentence in speakable(splitter.flush()):
                yield sentence
            if completed is None or not completed.tool_calls:
                return
            messages.append(
                {
                    "role": "assistant",
                    "content": completed.text or None,
                    "tool_calls": [
                        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                        for c in completed.tool_calls
                    ],
                }
            )
            for call in completed.tool_calls:
                if exchange.final is not None:
                    content = '{"ok": false, "error": "skipped: the turn already ended"}'
                else:
                    outcome = await runner.run(call.name, call.arguments)
                    content = outcome.to_message()
                    if outcome.stop:
                        exchange.final = outcome
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
            if exchange.final is not None:
                return

    @staticmethod
    async def _complete_by_code(s: CallState, runner: ToolRunner, exchange: _Exchange, ctx: DialogueContext) -> None:
        """What the model left undone that the call needs: the caller's yes acted on, or the
        windows offered once every detail is in (so the call never stalls)."""
        agreed = runner.awaiting
        if exchange.final is None and agreed and runner.caller_said_yes and s.awaiting_yes == agreed:
            # The caller said yes to the code's confirmation question but the model did not act:
            # the code does what the caller agreed to (the guards have all been met).
            outcome = await runner.run(TOOL_FOR_YES[agreed], "{}")
            if outcome.stop:
                exchange.final = outcome
                exchange.spoken.clear()  # whatever the model said is superseded by what was done
        if exchange.final is None and s.phase == "collecting" and s.intent == "book" and not policy.missing_slots(s):
            outcome = await runner.run("check_availability", "{}")
            if outcome.stop:
                exchange.final = outcome
            elif s.offered:
                exchange.final = ToolOutcome({}, policy.offer(s, ctx))

    @staticmethod
    def _misunderstood(
        s: CallState, u: Understanding, progress: bool, ctx: DialogueContext
    ) -> tuple[Reply | None, list[str], bool]:
        """Rule 8, counted by the policy: a miss is a turn where the NLU heard nothing usable and
        no tool recorded anything; the second on one question adds an example (and the keypad for
        numbers), the third goes to a person."""
        key = s.asked or "intent"
        if progress or u.carries_data or u.question or key in ("intent", "anything_else"):
            policy.clear_misses(s)
            return None, [], False
        miss = policy.note_miss(s)
        if miss.to_person:
            return policy.transfer(s, ctx, "fallback"), [], False
        return None, [miss.example] if miss.example else [], miss.keypad

    def _messages(self, s: CallState, ctx: DialogueContext, guess: IntentGuess | None) -> list[dict[str, Any]]:
        missing = policy.missing_slots(s)
        hints = []
        opening = s.asked in (None, "intent") and s.phase == "collecting"
        if opening and guess is not None and guess.intent and guess.confidence >= INTENT_THRESHOLD:
            if guess.intent != "book":
                hints.append(f"caller intent (classifier): {guess.intent}")
        if s.pending_phone_digits and not s.slots.phone:
            hints.append(f"partial callback number heard: {s.pending_phone_digits} (ask for the rest)")
        next_item = next_step(s, missing, policy.next_expect(s))
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt(ctx)},
            {"role": "system", "content": state_summary(s, missing=missing, next_item=next_item, hints=hints)},
        ]
        for turn in s.history[-HISTORY_MESSAGES:]:
            messages.append({"role": "user" if turn.role == "caller" else "assistant", "content": turn.text})
        return messages

    async def _finish(
        self,
        s: CallState,
        ctx: DialogueContext,
        spoken: list[str],
        reply: Reply | None,
        *,
        question: str | None = None,
        already_streamed: bool = False,
        extra: Sequence[str] = (),
        keypad: bool = False,
    ) -> AsyncIterator[TurnItem]:
        """Add the code's words, make sure a listening turn ends with a question, settle the state."""
        code_words = [*extra, *(split_sentences(reply.say) if reply and reply.say else [])]
        parts = [*spoken, *code_words]
        fresh = list(code_words) if already_streamed else list(parts)
        action = reply.action if reply else "listen"
        expect: Expect | None = None
        if action == "listen":
            expect = (reply.expect if reply else None) or policy.next_expect(s)
            if closing := _closing_question(s, parts, expect, question, bool(extra)):
                parts.append(closing)
                fresh.append(closing)
        for sentence in fresh:
            yield sentence
        final = Reply(
            say=" ".join(parts).strip(),
            action=action,
            expect=expect,
            transfer_to=reply.transfer_to if reply else None,
            transfer_reason=reply.transfer_reason if reply else None,
            keypad=keypad and action == "listen",
        )
        policy.settle(s, final, ctx)
        questions = [p for p in parts if p.rstrip().endswith("?")]
        if action == "listen" and questions:
            s.last_question = questions[-1]
        yield s, final

    async def _delegate(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> AsyncIterator[TurnItem]:
        new_state, reply = await self.rules.respond(state, event, ctx, booking)
        for sentence in split_sentences(reply.say):
            yield sentence
        yield new_state, reply

    # ---- intent ---------------------------------------------------------------------------

    async def _intent(self, state: CallState, text: str, u: Understanding) -> IntentGuess | None:
        """Embedding intent for words without caller data; the fast model decides below 0.7."""
        if self.classifier is None or u.intent is not None or u.carries_data:
            return None
        fallback = self.classify_with_llm if state.asked in (None, "intent") else None
        try:
            return await self.classifier.aclassify(text, fallback)
        except Exception:  # no classifier (model files broken): the NLU and the model remain
            log.exception("intent_classifier_failed", call_sid=state.call_sid)
            return None

    async def classify_with_llm(self, text: str) -> Intent | None:
        model = self.fast_model or self.model
        deadline = self.client.clock.monotonic() + self.budgets.intent_s
        try:
            done = await self.client.complete(
                model=model,
                messages=[{"role": "system", "content": INTENT_PROMPT}, {"role": "user", "content": text}],
                deadline=deadline,
            )
        except LlmError:
            return None
        word = (done.text or "").strip().lower().strip(".!\"' ")
        allowed: tuple[Intent, ...] = ("book", "cancel", "reschedule", "question", "human", "goodbye")
        return next((i for i in allowed if word == i), None)
