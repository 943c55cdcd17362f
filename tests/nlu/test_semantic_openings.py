"""Openings with the sentence encoder on: its nearness judgements never overrule plain words."""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import semantic, understand
from hvac_agent.dialogue.nlu.types import NluContext


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i'd like to book an appointment", "book"),
        ("I want to schedule an appointment", "book"),
        ("can I make an appointment for my AC", "book"),
        ("i need to cancel my appointment", "cancel"),
        ("I need to call off Thursday's visit", "cancel"),
        ("don't send anybody tomorrow", "cancel"),
        ("I need to change my appointment", "reschedule"),
        ("can the tech come friday instead", "reschedule"),
    ],
)
def test_a_new_visit_asked_for_in_words_is_never_a_cancel(
    encoder: semantic.SemanticModel, text: str, intent: str
) -> None:
    ctx = NluContext(expect="intent", now=dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC))
    assert understand(text, ctx).intent == intent
