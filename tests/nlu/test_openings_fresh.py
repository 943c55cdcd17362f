"""Openings in callers' own words, on fresh probe lines (not taken from the held-out batches).

One family per test: a person asked for indirectly, a visit called off or moved without saying
"appointment", profile questions, a call ended, and categories named only by what callers notice.
Run with the sentence encoder on, as the product runs by default.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import NluContext, Understanding, semantic, understand

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def _open(text: str) -> Understanding:
    return understand(text, NluContext(expect="intent", now=NOW))


@pytest.mark.parametrize(
    "text",
    [
        "am I speaking to a live person",
        "operator operator",
        "representative representative",
        "is this an actual human",
    ],
)
def test_a_person_asked_for_indirectly(encoder: semantic.SemanticModel, text: str) -> None:
    u = _open(text)
    assert u.intent == "human" and u.emergency is None


def test_asking_what_we_are_is_still_a_question(encoder: semantic.SemanticModel) -> None:
    u = _open("are you a real person or a computer")
    assert (u.intent, u.question) == ("question", "identity")


@pytest.mark.parametrize(
    "text",
    [
        "we're not going to need the tech",
        "you can take us off for Monday, it's fixed",
        "we won't need anybody to come out tomorrow",
    ],
)
def test_a_visit_called_off_without_saying_appointment(encoder: semantic.SemanticModel, text: str) -> None:
    assert _open(text).intent == "cancel"


@pytest.mark.parametrize(
    "text",
    [
        "I need to change what day the repair guy comes",
        "my sister can't be at the house on Tuesday, could the tech come Thursday instead",
        "we scheduled the tune up for the 14th but something came up, is there anything later",
        "I'm supposed to have a tech this afternoon but I'm stuck in traffic, can we move it",
    ],
)
def test_a_visit_moved_without_saying_appointment(encoder: semantic.SemanticModel, text: str) -> None:
    assert _open(text).intent == "reschedule"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("do y'all offer no interest for a year or so", "financing"),
        ("how do I have to pay, do you just send a bill", "payment"),
        ("do you guys have any deals for veterans", "discounts"),
        ("would you send a technician to Buda", "service_area"),
    ],
)
def test_profile_questions_in_plain_words(encoder: semantic.SemanticModel, text: str, topic: str) -> None:
    u = _open(text)
    assert (u.intent, u.question) == ("question", topic)


@pytest.mark.parametrize(
    "text",
    [
        "I'll deal with it myself, bye",
        "oops I meant to call the electrician",
        "sorry, I dialed the wrong company",
    ],
)
def test_a_call_ended_at_the_opening(encoder: semantic.SemanticModel, text: str) -> None:
    assert _open(text).intent == "goodbye"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("pretty sure the ac is leaking freon, the lines outside are oily", "leak"),
        ("we keep having to top off the refrigerant so there's a leak somewhere", "leak"),
        ("the breaker for the furnace blower keeps tripping", "other"),
        ("my heat pump turns on, shuts off after a minute, then starts up again", "other"),
        ("the ductwork in the attic is leaking air everywhere", "other"),
        ("the ceiling registers are sweating in the humidity", "other"),
        ("the foam wrap on the line going to the condenser is torn up", "other"),
        ("the furnace control board has a flashing light code", "other"),
        ("half the house is ice cold even with the heater running", "no_heat"),
    ],
)
def test_categories_named_by_what_callers_notice(encoder: semantic.SemanticModel, text: str, category: str) -> None:
    u = _open(text)
    assert u.intent == "book" and u.emergency is None
    assert u.issue_category == category
