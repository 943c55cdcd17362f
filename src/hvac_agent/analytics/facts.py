"""Per-call facts, gathered turn by turn from the dialogue's own states (pure functions).

The call record says what was said; these say how the call went: which details the caller gave,
how often the agent did not understand, transfers and why, the server's time per turn, when the
agent fell back to a simpler engine, and where a caller who hung up was left. They ride in the
call's session while it lasts and are written next to the call record when it ends.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hvac_agent.dialogue.state import CallState, Event, Reply

Channel = Literal["gather", "stream", "softphone"]
SOFTPHONE_PREFIX = "WB"  # call SIDs of browser softphone calls (Twilio's own start with "CA")
# Best first: a move down this list within a call is a degradation.
RUNGS = ("llm", "fast_llm", "rules", "transfer")
SLOT_NAMES = ("issue", "name", "phone", "street", "zip", "unit", "urgency", "date", "window")
MAX_LATENCIES = 200  # turns whose latency is kept (a call is rarely longer)


class TransferFact(BaseModel):
    reason: str
    turn: int


class CallFacts(BaseModel):
    """How one call went, for roll-ups, the funnel and A/B comparisons."""

    channel: Channel = "gather"
    experiment: str | None = None
    variant: str | None = None
    outcome: str = "in_progress"
    turns: int = 0  # caller events handled (speech, keypad, silence)
    slots_given: list[str] = Field(default_factory=list)
    misunderstandings: int = 0
    transfers: list[TransferFact] = Field(default_factory=list)
    transfer_unanswered: bool = False
    latency_ms: list[int] = Field(default_factory=list)  # server time per turn, event in → reply out
    degradations: list[str] = Field(default_factory=list)  # e.g. "llm->rules"
    engines: list[str] = Field(default_factory=list)  # dialogue rungs and speech engines used
    fallback: bool = False  # the call ended on the fallback path (a person, or trouble)
    windows_offered: bool = False
    read_back: bool = False  # the agent read the booking back and asked for a yes
    last_asked: str | None = None  # what the agent was waiting for when the call ended
    phase: str | None = None


def channel_of(call_sid: str, mode: str) -> Channel:
    if call_sid.startswith(SOFTPHONE_PREFIX):
        return "softphone"
    return "stream" if mode == "stream" else "gather"


def _add(items: list[str], value: str) -> list[str]:
    return items if value in items else [*items, value]


def observe_start(facts: CallFacts, state: CallState, reply: Reply) -> CallFacts:
    """The greeting: what the agent now waits for, and which engine answered."""
    return facts.model_copy(
        update={
            "engines": _add(facts.engines, f"dialogue:{state.rung}"),
            "last_asked": reply.expect,
            "phase": state.phase,
        }
    )


def observe_turn(
    facts: CallFacts, before: CallState, after: CallState, event: Event, reply: Reply, latency_ms: int
) -> CallFacts:
    """One caller event handled: the facts it adds (never removes)."""
    given = [name for name in SLOT_NAMES if getattr(after.slots, name) is not None]
    slots = list(facts.slots_given) + [name for name in given if name not in facts.slots_given]
    missed = sum(
        max(0, count - before.misunderstood.get(question, 0)) for question, count in after.misunderstood.items()
    )
    transfers = list(facts.transfers)
    if reply.action == "transfer" and reply.transfer_to:
        transfers.append(TransferFact(reason=reply.transfer_reason or "unspecified", turn=before.turn))
    degradations = list(facts.degradations)
    if _rank(after.rung) > _rank(before.rung):
        degradations.append(f"{before.rung}->{after.rung}")
    engines = _add(facts.engines, f"dialogue:{after.rung}")
    return facts.model_copy(
        update={
            "outcome": after.outcome,
            "turns": facts.turns + (event.kind in ("caller_said", "digits", "silence")),
            "slots_given": slots,
            "misunderstandings": facts.misunderstandings + missed,
            "transfers": transfers,
            "latency_ms": [*facts.latency_ms, max(0, latency_ms)][-MAX_LATENCIES:],
            "degradations": degradations,
            "engines": engines,
            "fallback": facts.fallback or reply.transfer_reason == "fallback" or after.rung == "transfer",
            "windows_offered": facts.windows_offered or bool(after.offered),
            "read_back": facts.read_back or reply.expect == "confirm",
            "last_asked": reply.expect if reply.action == "listen" else facts.last_asked,
            "phase": after.phase,
        }
    )


def _rank(rung: str) -> int:
    return RUNGS.index(rung) if rung in RUNGS else 0
