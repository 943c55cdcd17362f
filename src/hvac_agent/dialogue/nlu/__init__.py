"""Caller understanding without an LLM: pure, fast, one extractor per module."""

from hvac_agent.dialogue.nlu.speak import speak_phone, speak_street, speak_window
from hvac_agent.dialogue.nlu.types import NluContext, Understanding, WindowChoice
from hvac_agent.dialogue.nlu.understand import parse_keypad, understand, warm_up

__all__ = [
    "NluContext",
    "Understanding",
    "WindowChoice",
    "parse_keypad",
    "speak_phone",
    "speak_street",
    "speak_window",
    "understand",
    "warm_up",
]
