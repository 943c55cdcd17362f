"""The LLM agent: an OpenAI-compatible model talks, code keeps the guarantees.

Per caller turn, in this order, before any model sees the words:
1. non-speech events (call start, silence, keypad, hang-up), ended calls and phases that are pure
   procedure (emergency, out of area, message, done) go to the rules agent;
2. the rules NLU looks for an emergency → the rules agent's safety script and on-call transfer;
3. a request for a person (NLU or embedding intent) or high frustration → transfer, by code;
4. a plain FAQ (hours, area, fee) with no caller data → the profile's answer from the cache.
Otherwise the model answers, with tools (llm_tools.ToolRunner) that validate everything, and
every sentence passes the speech guard before it is spoken. The call state is kept in the rules
agent's shape so any turn can be handed to the rules agent without losing or re-asking a slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.agent import Agent
from hvac_agent.dialogue.context import DialogueContext, nlu_context
from hvac_agent.dialogue.intent_embed import FaqCache, IntentClassifier, IntentGuess, carries_caller_data
from hvac_agent.dialogue.llm_tools import (
    TOOL_SCHEMAS,
    ToolOutcome,
    ToolRunner,
    missing_slots,
    next_expect,
    offer_question,
)
from hvac_agent.dialogue.nlu import understand
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.prompts import state_summary, system_prompt
from hvac_agent.dialogue.state import (
    CallerSaid,
    CallState,
    Event,
    Expect,
    Intent,
    Reply,
)
from hvac_agent.llm.client import Completed, LlmClient, TextDelta
from hvac_agent.llm.errors import LlmError
from hvac_agent.llm.guard import SpeechGuard
from hvac_agent.llm.selection import choose_model
from hvac_agent.llm.splitter import SentenceSplitter, split_sentences

LlmRung = Literal["llm", "fast_llm"]
HISTORY_MESSAGES = 30  # the last 15 exchanges
FRUSTRATION_TRANSFER = 0.7
INTENT_THRESHOLD = 0.7
MISSES_FOR_EXAMPLE = 2  # contract rule 8: the second miss on one question changes the route
MISSES_FOR_PERSON = 3
MAX_TOOL_ROUNDS = 4
RULES_PHASES = frozenset({"emergency", "out_of_area", "taking_message", "offer_transfer", "booked", "done"})
CONFIRM_PHASES = frozenset({"confirming", "cancel_confirm", "reschedule_confirm"})

NEXT_WORDS: dict[str, str] = {
    "issue": "ask what is going on with their heating or cooling",
    "name": "ask for their first and last name",
    "phone": "ask for the best callback number",
    "address": "ask for the street address of the visit",
    "zip": "ask for the ZIP code",
    "unit": "ask whether there is an apartment or unit number",
    "urgency": "ask whether anyone in the home is especially at risk from the heat or cold "
    "(infant, elderly, medical condition)",
}
QUESTION_FOR: dict[str, str] = {
    "window": "Which of those arrival windows works best for you?",
    "confirm": "Shall I go ahead?",
    "yes_no": "Is that a yes or a no?",
    "phone_confirm": "Is the number you're calling from the best one to reach you?",
    "unit": scripts.QUESTIONS["unit"],
}
INTENT_PROMPT = (
    "Classify the caller's words for an HVAC company's phone line. Answer with exactly one word: "
    "book, cancel, reschedule, question, human, goodbye, or unknown."
)


class _NoBooking:
    """A transfer needs no booking service; this makes that explicit."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("no booking service here")


_NO_BOOKING: Any = _NoBooking()


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


CONFIRM_QUESTIONS = {
    "confirming": "Shall I book it?",
    "cancel_confirm": "Would you like me to cancel it?",
    "reschedule_confirm": "Shall I go ahead?",
}


def confirm_question(state: CallState) -> str:
    """The words every reply in a confirmation phase ends with: the yes that follows answers them."""
    return CONFIRM_QUESTIONS.get(state.phase, "Shall I go ahead?")


def awaiting_yes(state: CallState) -> bool:
    """The agent's previous reply ended with the confirmation question (the read-back's, for a
    booking): only then may the caller's yes book, cancel or move anything."""
    if state.phase not in CONFIRM_PHASES or state.asked != "confirm":
        return False
    previous = next((t.text for t in reversed(state.history) if t.role == "agent"), "")
    return previous.rstrip().endswith(confirm_question(state))


def _has_details(u: Understanding) -> bool:
    return bool(
        u.name or u.phone or u.phone_digits or u.street or u.zip or u.unit or u.issue or u.window or u.correction
    )


def _question_for(state: CallState, expect: Expect | None) -> str:
    if expect is None:
        return ""
    if expect == "confirm":
        return confirm_question(state)
    if expect in QUESTION_FOR:
        return QUESTION_FOR[expect]
    return scripts.QUESTIONS.get(expect, scripts.QUESTIONS["intent"])


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
        plain_no = state.phase in CONFIRM_PHASES and u.yes_no == "no" and not _has_details(u)
        if u.emergency or plain_no or (u.intent == "goodbye" and state.phase not in CONFIRM_PHASES):
            # Safety scripts, ending the call and a plain "no" to a confirmation question are code's
            # (the rules agent's) to handle: nothing is booked, cancelled or moved on a "no".
            async for item in self._delegate(state, event, ctx, booking):
                yield item
            return
        guess = await self._intent(state, text, u)
        s = state.model_copy(deep=True)
        s.turn += 1
        s.silences = 0
        s.remember("caller", text, ctx.now)
        s.frustration = max(s.frustration * 0.85, u.frustration)
        wants_person = guess is not None and guess.intent == "human" and guess.confidence >= INTENT_THRESHOLD
        if u.intent == "human" or wants_person or s.frustration >= FRUSTRATION_TRANSFER:
            reason: Literal["requested", "frustration"] = (
                "frustration" if s.frustration >= FRUSTRATION_TRANSFER and u.intent != "human" else "requested"
            )
            runner = ToolRunner(s, ctx, booking, u, confirmed_at_start=False)
            outcome = await runner.run("transfer_to_human", f'{{"reason": "{reason}"}}')
            async for item in self._finish(s, ctx, [], outcome):
                yield item
            return
        if self.faq is not None and s.phase in ("collecting", "choosing_window") and not carries_caller_data(text, u):
            hit = await asyncio.to_thread(self.faq.lookup, text, u)
            if hit is not None:
                question = s.last_question or _question_for(s, s.asked or "intent")
                async for item in self._finish(s, ctx, [hit.answer], None, question=question):
                    yield item
                return
        async for item in self._model_turn(state, s, u, guess, ctx, booking, rung):
            yield item

    # ---- the model's turn -----------------------------------------------------------------

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
        if rung == "fast_llm" and self.fast_model:
            model, budget = self.fast_model, self.budgets.fast_s
        else:
            model = choose_model(s, u, main=self.model, fast=self.fast_model)
            if model != self.model and self.client.breaker_for(model).state == "open":
                model = self.model  # a simple turn, but the fast model is down: the main one answers
            budget = self.budgets.fast_s if model == self.fast_model else self.budgets.full_s
        confirmed_at_start = awaiting_yes(before)
        runner = ToolRunner(s, ctx, booking, u, confirmed_at_start=confirmed_at_start)
        guard = SpeechGuard(ctx.profile)
        messages = self._messages(s, ctx, guess)
        deadline = asyncio.get_running_loop().time() + budget
        spoken: list[str] = []
        final: ToolOutcome | None = None
        try:
            for _ in range(MAX_TOOL_ROUNDS):
                splitter = SentenceSplitter()
                completed: Completed | None = None
                async for piece in self.client.stream(
                    model=model, messages=messages, tools=TOOL_SCHEMAS, deadline=deadline
                ):
                    if isinstance(piece, TextDelta):
                        for sentence in splitter.feed(piece.text):
                            if checked := guard.check(sentence):
                                spoken.append(checked)
                                yield checked
                    else:
                        completed = piece
                for sentence in splitter.flush():
                    if checked := guard.check(sentence):
                        spoken.append(checked)
                        yield checked
                if completed is None or not completed.tool_calls:
                    break
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
                    if final is not None:
                        content = '{"ok": false, "error": "skipped: the turn already ended"}'
                    else:
                        outcome = await runner.run(call.name, call.arguments)
                        content = outcome.to_message()
                        if outcome.stop:
                            final = outcome
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
                if final is not None:
                    break
        except LlmError as error:
            recovered = s.model_copy(
                update={
                    "turn": before.turn,
                    "history": before.history,
                    "silences": before.silences,
                    "frustration": before.frustration,
                }
            )
            raise LlmTurnFailed(recovered, spoken, error, model) from error
        if final is None and confirmed_at_start and runner.caller_said_yes and s.phase in CONFIRM_PHASES:
            # The caller said yes to the code's confirmation question but the model did not act:
            # the code does what the caller agreed to (the guards have all been met).
            tool = {
                "confirming": "create_booking",
                "cancel_confirm": "cancel_booking",
                "reschedule_confirm": "reschedule_booking",
            }[s.phase]
            outcome = await runner.run(tool, "{}")
            if outcome.stop:
                final = outcome
                spoken.clear()  # whatever the model said is superseded by what was done
        if final is None and s.phase == "collecting" and s.intent == "book" and not missing_slots(s):
            # Every detail is in but the model did not look for windows: the code offers them, so
            # the call never stalls (and any rung can take the next turn from a real offer).
            outcome = await runner.run("check_availability", "{}")
            if outcome.stop:
                final = outcome
            elif s.offered:
                s.last_question = offer_question(s.offered, ctx)
                final = ToolOutcome(result={}, say=s.last_question, stop=True, expect="window")
        extra: list[str] = []
        keypad = False
        if final is None:
            final, extra, keypad = self._misunderstood(s, u, runner.progress, ctx)
        async for item in self._finish(s, ctx, spoken, final, already_streamed=True, extra=extra, keypad=keypad):
            yield item

    def _misunderstood(
        self, s: CallState, u: Understanding, progress: bool, ctx: DialogueContext
    ) -> tuple[ToolOutcome | None, list[str], bool]:
        """Rule 8 by code: the same question missed twice gets an example (and the keypad for
        numbers); a third miss goes to a person. A miss: the NLU heard nothing usable and no tool
        recorded anything."""
        key = s.asked or "intent"
        if progress or carries_caller_data(u.text, u) or u.question or key in ("intent", "anything_else"):
            s.misunderstood.pop(key, None)
            return None, [], False
        misses = s.misunderstood.get(key, 0) + 1
        s.misunderstood[key] = misses
        if misses >= MISSES_FOR_PERSON:
            runner = ToolRunner(s, ctx, _NO_BOOKING, u, confirmed_at_start=False)
            return runner.transfer("fallback", {"ok": True}), [], False
        if misses >= MISSES_FOR_EXAMPLE:
            example = scripts.EXAMPLES.get(key, "")
            return None, [example] if example else [], key in scripts.KEYPAD_EXPECTS
        return None, [], False

    def _messages(self, s: CallState, ctx: DialogueContext, guess: IntentGuess | None) -> list[dict[str, Any]]:
        missing = missing_slots(s)
        expect = next_expect(s)
        hints = []
        opening = s.asked in (None, "intent") and s.phase == "collecting"
        if opening and guess is not None and guess.intent and guess.confidence >= INTENT_THRESHOLD:
            if guess.intent != "book":
                hints.append(f"caller intent (classifier): {guess.intent}")
        if s.pending_phone_digits and not s.slots.phone:
            hints.append(f"partial callback number heard: {s.pending_phone_digits} (ask for the rest)")
        next_item = NEXT_WORDS.get(missing[0]) if missing and s.phase == "collecting" else None
        if expect == "phone_confirm" and s.caller_id:
            next_item = "ask whether the number they are calling from is the best callback number"
        if not missing and s.phase == "collecting" and s.intent == "book":
            next_item = "call check_availability and offer the windows"
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
        outcome: ToolOutcome | None,
        *,
        question: str | None = None,
        already_streamed: bool = False,
        extra: list[str] | None = None,
        keypad: bool = False,
    ) -> AsyncIterator[TurnItem]:
        """Add the code's words, make sure a listening turn ends with a question, and settle state."""
        fresh: list[str] = [] if already_streamed else list(spoken)
        parts = list(spoken)
        if extra:
            parts += extra
            fresh += extra
        if outcome is not None and outcome.say:
            code_words = split_sentences(outcome.say)
            parts += code_words
            fresh += code_words
        action = outcome.action if outcome else "listen"
        expect: Expect | None = None
        if action == "listen":
            expect = (outcome.expect if outcome and outcome.expect else None) or next_expect(s)
            if expect == "confirm" and s.phase in CONFIRM_PHASES:
                if not (parts and parts[-1].rstrip().endswith(confirm_question(s))):
                    parts.append(confirm_question(s))
                    fresh.append(confirm_question(s))
            elif not any(p.rstrip().endswith("?") for p in parts[-2:]) or (extra and not parts[-1].endswith("?")):
                ask = question or _question_for(s, expect)
                if ask:
                    parts.append(ask)
                    fresh.append(ask)
        for sentence in fresh:
            yield sentence
        say = " ".join(parts).strip()
        reply = Reply(
            say=say,
            action=action,
            expect=expect,
            transfer_to=outcome.transfer_to if outcome else None,
            transfer_reason=outcome.transfer_reason if outcome else None,
            keypad=keypad and action == "listen",
        )
        s.remember("agent", say, ctx.now)
        if action == "listen":
            s.asked = expect
            questions = [p for p in parts if p.rstrip().endswith("?")]
            if questions:
                s.last_question = questions[-1]
        else:
            s.ended, s.asked = True, None
        yield s, reply

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
        if self.classifier is None or u.intent is not None or carries_caller_data(text, u):
            return None
        fallback = self.classify_with_llm if state.asked in (None, "intent") else None
        try:
            return await self.classifier.aclassify(text, fallback)
        except Exception:  # noqa: BLE001 - no classifier (model files broken): the NLU and the model remain
            return None

    async def classify_with_llm(self, text: str) -> Intent | None:
        model = self.fast_model or self.model
        deadline = asyncio.get_running_loop().time() + self.budgets.intent_s
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
