"""Round 8 (issue 10): categories and intents the training batches t8 and t9 showed, probed with
new phrasings written for these tests (not the batch lines).

The writers' brief puts frozen coils and an outdoor fan that will not spin under `other` unless the
caller says the heat or the cold is missing. It calls "is this a real person" a question, but the
contract transfers at once on "a real person", so that stays a transfer; asking what we are is a
question whose answer now offers the office. A heat pump that will not go into one mode, or works
one way and not the other, is missing that mode. Heating that "does not give hot air" is no heat,
and rooms "like ice" are cold, not ice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.nlu import NluContext, Understanding, semantic, understand

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def _open(text: str) -> Understanding:
    return understand(text, NluContext(expect="intent", now=NOW))


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("the lines on my condenser are crusted with ice", "other"),
        ("the evaporator is iced over again", "other"),
        ("the fan up top on the outdoor unit won't spin", "other"),
        ("the lines on my condenser are crusted with ice and it's eighty five in the house", "no_cooling"),
        ("the evaporator is iced over and the air coming out is warm", "no_cooling"),
        ("the heat pump out back is iced over and the house keeps getting colder", "no_heat"),
        ("the fan on the outdoor unit won't spin and it's not cooling", "no_cooling"),
        ("the outdoor unit won't turn on, the fan inside runs fine", "no_cooling"),
        ("my heat pump won't go into cool mode", "no_cooling"),
        ("it heats fine but it won't cool at all", "no_cooling"),
        ("cooling works great but it won't heat", "no_heat"),
        ("the thermostat says heat on and the vents are blowing lukewarm air", "no_heat"),
        ("the furnace runs but it doesn't give any hot air", "no_heat"),
        ("the kids' rooms upstairs are like ice", "no_heat"),
    ],
)
def test_categories_follow_the_writers_brief(encoder: semantic.SemanticModel, text: str, category: str) -> None:
    u = _open(text)
    assert (u.intent, u.issue_category) == ("book", category)


def test_a_stuck_thermostat_stays_a_thermostat(encoder: semantic.SemanticModel) -> None:
    u = _open("the thermostat's stuck in heat and won't go to cool")
    assert u.issue_category == "thermostat"


def test_a_question_with_frozen_equipment_is_a_service(encoder: semantic.SemanticModel) -> None:
    u = _open("are you open saturday? my heat pump is frozen solid")
    assert (u.intent, u.issue_category) == ("book", "other")


@pytest.mark.parametrize("text", ["wait am i talking to a machine", "are you a computer or what"])
def test_asking_what_we_are_is_a_question(encoder: semantic.SemanticModel, text: str) -> None:
    u = _open(text)
    assert (u.intent, u.question) == ("question", "identity")


def test_a_real_person_transfers_as_the_contract_says(encoder: semantic.SemanticModel) -> None:
    # the held-out writers' brief calls "is this a real person" a question; the contract transfers
    assert _open("hi is this a real person").intent == "human"


def test_the_identity_answer_offers_someone_in_the_office() -> None:
    said = scripts.identity_answer(BusinessProfile())
    assert "virtual assistant" in said and "someone in our office" in said


@pytest.mark.parametrize(
    "text",
    [
        "the water spot on the hallway ceiling keeps growing",
        "the ceiling under the air handler is bubbling and sagging",
        "the drip pan in the attic is running over",
    ],
)
def test_water_still_coming_is_an_active_leak(encoder: semantic.SemanticModel, text: str) -> None:
    u = _open(text)
    assert (u.issue_category, u.urgency) == ("leak", "urgent")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("the registers blow lukewarm air even with the heat on", "no_heat"),
        ("my furnace runs but it's room temperature at best coming out", "no_heat"),
        ("the ac is blowing room temperature air", "no_cooling"),
        ("air out of the vents is lukewarm and it's so muggy in here", "no_cooling"),
    ],
)
def test_room_temperature_air_is_the_side_the_caller_wants(
    encoder: semantic.SemanticModel, text: str, category: str
) -> None:
    assert _open(text).issue_category == category


@pytest.mark.parametrize(
    ("text", "intent", "topic"),
    [
        ("are y'all in manor", "question", "service_area"),
        ("is there a zero percent option on a new unit", "question", "financing"),
        ("do you have someone who speaks spanish", "human", None),
        ("can i talk to whoever handles billing", "human", None),
        ("we found someone else so you can take us off for tuesday", "cancel", None),
    ],
)
def test_intents_said_indirectly(encoder: semantic.SemanticModel, text: str, intent: str, topic: str | None) -> None:
    u = _open(text)
    assert (u.intent, u.question) == (intent, topic)


@pytest.mark.parametrize(
    "text",
    [
        "nobody's looked at the boiler in about six years",
        "the county wants a heating inspection before i can rent the house out",
        "can someone give the furnace a look for the winter, just routine",
        "the thermostat's filter reminder came on, can you come change it",
    ],
)
def test_maintenance_said_plainly(encoder: semantic.SemanticModel, text: str) -> None:
    u = _open(text)
    assert (u.intent, u.issue_category) == ("book", "maintenance")


def test_a_freezing_reading_off_a_thermometer_is_urgent(encoder: semantic.SemanticModel) -> None:
    u = _open("the heat pump quit and the thermometer in the kitchen says forty")
    assert (u.issue_category, u.urgency) == ("no_heat", "urgent")


def test_a_question_asked_because_of_a_problem_now_is_a_service(encoder: semantic.SemanticModel) -> None:
    u = _open("is the dispatch fee more on weekends cause our ac quit this morning")
    assert (u.intent, u.issue_category) == ("book", "no_cooling")


def test_the_encoder_alone_never_turns_a_named_problem_into_a_transfer(
    encoder: semantic.SemanticModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a head retrained on other batches once heard "you can reach me at ..." as asking for a person
    text = "hi this is dana kim my furnace is out at 4410 duval street you can reach me at 512 555 0123"
    real = encoder.guess(text)
    sure_person = dataclasses.replace(real, intent="person", intent_score=0.97, intent_margin=0.9)
    monkeypatch.setattr(encoder, "guess", lambda _text: sure_person)
    u = _open(text)
    assert (u.intent, u.issue_category) == ("book", "no_heat")
