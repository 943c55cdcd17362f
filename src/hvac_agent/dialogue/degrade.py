"""The degradation ladder: full AI → fast AI → rules → transfer, switched mid-turn, never a dropped
call. Every rung reads and writes the same `CallState`, so a slot collected on one rung is never
asked again on the next; `state.rung` records where the call now stands, and later turns start
there (a model that failed or went slow once in a call is not retried on that call).

`build_agent(settings)` is the one place that decides which agent answers calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hvac_agent.clock import Clock
from hvac_agent.config import BusinessProfile, Settings
from hvac_agent.dialogue import policy
from hvac_agent.dialogue.agent import Agent, RulesAgent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.llm_agent import LlmAgent, LlmBudgets, LlmTurnFailed, TurnItem
from hvac_agent.dialogue.ports import BookingPort
from hvac_agent.dialogue.state import AgentRung, CallStarted, CallState, Event, Reply
from hvac_agent.llm.splitter import split_sentences
from hvac_agent.observability.logging import get_logger
from hvac_agent.resilience.breaker import BreakerRegistry

log = get_logger("hvac_agent.dialogue.degrade")
LADDER: tuple[AgentRung, ...] = ("llm", "fast_llm", "rules", "transfer")


class DegradingAgent:
    """An `Agent` that tries each rung from the call's current one down until one answers."""

    name = "degrading"

    def __init__(self, llm: LlmAgent, rules: Agent) -> None:
        self.llm = llm
        self.rules = rules
        # Recent rung failures (call_sid, rung, model or agent, why), for logs and tests.
        self.failures: list[tuple[str, AgentRung, str, str]] = []

    def circuits(self) -> dict[str, dict[str, object]]:
        """Breaker states for `/health` "circuits"."""
        return self.llm.client.breakers.snapshot()

    async def warm_up(self) -> None:
        """Call from the app's lifespan start: loads the embedding model off the event loop."""
        await self.llm.warm_up()

    async def aclose(self) -> None:
        await self.llm.client.aclose()

    def _top(self) -> AgentRung:
        return "llm"

    def _open(self, model: str) -> bool:
        return self.llm.client.breaker_for(model).state == "open"

    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> tuple[CallState, Reply]:
        async for item in self.respond_stream(state, event, ctx, booking):
            if isinstance(item, tuple):
                return item
        raise RuntimeError("respond_stream ended without a reply")  # pragma: no cover

    async def respond_stream(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
    ) -> AsyncIterator[TurnItem]:
        """Sentences as each rung produces them, then `(state, reply)` with everything said."""
        if isinstance(event, CallStarted) and state.turn == 0:
            state = state.model_copy(update={"rung": self._top()})
        start = LADDER.index(state.rung) if state.rung in LADDER else 0
        current = state
        spoken: list[str] = []
        failed_models: set[str] = set()
        for rung in LADDER[start:]:
            if rung in ("llm", "fast_llm"):
                model = self.llm.model if rung == "llm" else self.llm.fast_model
                if model is None or model in failed_models or self._open(model):
                    continue
                try:
                    async for item in self.llm.respond_stream(current, event, ctx, booking, rung=rung):
                        if isinstance(item, tuple):
                            yield self._settle(item, rung, state, spoken)
                            return
                        yield item
                except LlmTurnFailed as failure:
                    failed_models.add(failure.model)
                    current = failure.state
                    spoken += failure.spoken
                    self._note(state, rung, failure.model, failure.cause.kind)
                    log.warning(
                        "llm_rung_failed",
                        call_sid=state.call_sid,
                        rung=rung,
                        model=failure.model,
                        why=failure.cause.kind,
                        spoken_sentences=len(failure.spoken),
                    )
                    continue
                except Exception:  # a bug on an AI rung costs the rung, never the call
                    failed_models.update(m for m in (self.llm.model, self.llm.fast_model) if m)
                    self._note(state, rung, model, "error")
                    log.exception("llm_rung_error", call_sid=state.call_sid, rung=rung)
                    continue
            elif rung == "rules":
                try:
                    new_state, reply = await self.rules.respond(current, event, ctx, booking)
                except Exception:  # the last rung below is a person, never a crash
                    log.exception("rules_rung_failed", call_sid=state.call_sid)
                    self._note(state, rung, "rules", "error")
                    continue
                for sentence in split_sentences(reply.say):
                    yield sentence
                yield self._settle((new_state, reply), rung, state, spoken)
                return
        # transfer: nothing else could answer
        new_state = current.model_copy(deep=True)
        reply = policy.transfer(new_state, ctx, "fallback")
        policy.settle(new_state, reply, ctx)
        for sentence in split_sentences(reply.say):
            yield sentence
        yield self._settle((new_state, reply), "transfer", state, spoken)

    def _settle(
        self, item: tuple[CallState, Reply], rung: AgentRung, before: CallState, spoken: list[str]
    ) -> tuple[CallState, Reply]:
        new_state, reply = item
        if new_state.rung != rung:
            new_state = new_state.model_copy(update={"rung": rung})
        if spoken:  # words a failed rung already streamed belong to this turn's record
            reply = reply.model_copy(update={"say": " ".join([*spoken, reply.say]).strip()})
        return new_state, reply

    def _note(self, state: CallState, rung: AgentRung, what: str, why: str) -> None:
        self.failures.append((state.call_sid, rung, what, why))
        del self.failures[:-100]


async def stream_reply(
    agent: Agent, state: CallState, event: Event, ctx: DialogueContext, booking: BookingPort
) -> AsyncIterator[TurnItem]:
    """Stream mode for any agent: sentences as soon as they are ready, then `(state, reply)`.
    Agents without `respond_stream` (the rules agent) answer at once, split into sentences."""
    streaming = getattr(agent, "respond_stream", None)
    if streaming is not None:
        async for item in streaming(state, event, ctx, booking):
            yield item
        return
    new_state, reply = await agent.respond(state, event, ctx, booking)
    for sentence in split_sentences(reply.say):
        yield sentence
    yield new_state, reply


def _embedding_tools(profile: BusinessProfile) -> tuple[Any, Any]:
    """The intent classifier and FAQ cache, or (None, None) when the model is not installed."""
    from hvac_agent.dialogue.intent_embed import CachingEmbedder, FaqCache, IntentClassifier
    from hvac_agent.llm.embeddings import EmbeddingModelMissing, model_dir, shared_embedder

    try:
        model_dir()
    except EmbeddingModelMissing as missing:
        log.warning("embedding_classifier_off", reason=str(missing))
        return None, None
    embedder = CachingEmbedder(shared_embedder)
    return IntentClassifier(embedder), FaqCache(embedder, profile)


def build_agent(
    settings: Settings,
    *,
    profile: BusinessProfile | None = None,
    breakers: BreakerRegistry | None = None,
    clock: Clock | None = None,
    rules: Agent | None = None,
    budgets: LlmBudgets | None = None,
    embeddings: bool = True,
) -> Agent:
    """The rules agent when no LLM is configured; otherwise the LLM agent on the ladder.

    Pass the process-wide `breakers` to show them in `/health` (or read `agent.circuits()`).
    """
    from hvac_agent.llm.client import LlmClient

    rules_agent = rules or RulesAgent()
    if not settings.llm_enabled:
        return rules_agent
    registry = breakers or BreakerRegistry(clock=clock)
    client = LlmClient(base_url=settings.llm_base_url, api_key=settings.llm_api_key, breakers=registry)
    classifier, faq = _embedding_tools(profile or settings.business) if embeddings else (None, None)
    llm = LlmAgent(
        client,
        model=settings.llm_model,
        fast_model=settings.llm_fast_model,
        rules=rules_agent,
        classifier=classifier,
        faq=faq,
        budgets=budgets,
    )
    return DegradingAgent(llm, rules_agent)
