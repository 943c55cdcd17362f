"""Which model answers a turn: the fast one for confirmations and simple turns, the main one for
frustrated callers, corrections and long calls."""

from __future__ import annotations

from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.state import CallState

SIMPLE_EXPECTS = frozenset({"confirm", "yes_no", "phone_confirm", "anything_else"})
LONG_CALL_TURNS = 14
FRUSTRATED = 0.3


def choose_model(state: CallState, understanding: Understanding | None, *, main: str, fast: str | None) -> str:
    if fast is None:
        return main
    frustration = max(state.frustration, understanding.frustration if understanding else 0.0)
    if frustration >= FRUSTRATED or state.turn >= LONG_CALL_TURNS:
        return main
    if understanding is not None and understanding.correction:
        return main
    if state.asked in SIMPLE_EXPECTS:
        return fast
    if understanding is not None and understanding.yes_no and len(understanding.text.split()) <= 4:
        return fast
    return main
