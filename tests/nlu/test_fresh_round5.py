"""Round 5 of issue 10: what fresh batches (t1, t2) showed the extractors missing, as general rules."""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import semantic, understand
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import WindowOffer

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def ctx(expect: str | None, **extra: object) -> NluContext:
    return NluContext(expect=expect, now=NOW, current_phone="+15125550123", **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("the see oh alarm is going off in the bedroom", "carbon_monoxide"),
        ("my c oh detector keeps going off", "carbon_monoxide"),
        ("the furnace has fire rolling out the front", "smoke_fire"),
        ("i think it's flame rollout, the burner door is scorched", "smoke_fire"),
    ],
)
def test_emergencies_said_the_way_a_recogniser_or_the_trade_writes_them(text: str, kind: str) -> None:
    assert understand(text, ctx("intent")).emergency == kind


def test_see_oh_without_a_detector_is_not_carbon_monoxide() -> None:
    assert understand("i see oh the thermostat is blank", ctx("intent")).emergency is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("thompson harold thompson", "Harold Thompson"),  # surname first, then the whole name
        ("tran t r a n minh tran", "Minh Tran"),
        ("anh tran a n h", "Anh Tran"),  # a word spelled again is not a third name
        ("smith-jones, emily smith-jones", "Emily Smith-Jones"),
        ("it's samantha but just put sam", "Sam"),  # the name they want written wins
        ("put it under the tenant kayla moore", "Kayla Moore"),
        ("yeah go with mike torres", "Mike Torres"),
        ("my names diego d i e g o", "Diego"),
        ("uh it's gonna be mackenzie", "Mackenzie"),
        ("ingrid sorensen, with e n at the end", "Ingrid Sorensen"),
        ("nguyen n g u y e n first name linh", "Linh Nguyen"),
    ],
)
def test_names_as_callers_give_them(text: str, name: str) -> None:
    assert understand(text, ctx("name")).name == name


@pytest.mark.parametrize(
    ("text", "during", "name"),
    [
        ("my last name is kang not kim", "confirm", "Dana Kang"),
        ("um it's diana not dana", "unit", "Diana Kim"),
        ("sorry my first name is donna d o n n a", "phone", "Donna Kim"),
        ("my name is actually spelled d a n n a", "confirm", "Danna Kim"),
        ("it's kim with a y k y m", "unit", "Dana Kym"),
        ("put it under my husband, raymond cortez", "address", "Raymond Cortez"),  # a whole name stays whole
        ("the name is sara without an h", "confirm", "Sara"),  # nothing says which half: as said
    ],
)
def test_one_part_of_the_name_corrected_keeps_the_other(text: str, during: str, name: str) -> None:
    u = understand(text, ctx(during, current_name="Dana Kim"))
    assert u.name == name


@pytest.mark.parametrize(
    ("text", "during", "house"),
    [
        ("oh and the house number is 4014", "confirm", "4014"),
        ("wait go back the house number is 4401", "unit", "4401"),
        ("hold on, the house number, i meant forty one ten, not forty four ten", "zip", "4110"),
        ("oh wait before that the address is 4401 duval", "phone", "4401"),
    ],
)
def test_a_house_number_named_anew_corrects_the_address_not_the_unit(text: str, during: str, house: str) -> None:
    u = understand(text, ctx(during))
    assert u.correction and "address" in u.corrected
    assert u.house_number == house and u.unit is None


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("sorry it's not duval street, it's duval road", "Duval Road"),
        ("oh and the address, it's on speedway, not duval street", "Speedway"),
        ("hang on the street is duval road", "Duval Road"),
    ],
)
def test_a_street_corrected_without_its_number(text: str, street: str) -> None:
    u = understand(text, ctx("unit"))
    assert u.correction and "address" in u.corrected
    assert u.street_name == street


@pytest.mark.parametrize(
    "text",
    [
        # (a stain "getting bigger" is water still coming: active, urgent, since round 8)
        "the float switch shut the ac off and the pan underneath is full of water",
        "i found some water on the floor by the inside unit last night and wiped it up",
        "the heat pump air handler leaves a little puddle in the garage some mornings",
        "there's a wet spot on the hall ceiling i think from the ac but it's not dripping",
    ],
)
def test_water_that_is_not_running_now_is_routine(text: str) -> None:
    assert understand(text, ctx("intent")).urgency != "urgent"  # None: routine


@pytest.mark.parametrize(
    "text",
    [
        "the pan under the air handler is full and it's spilling over onto the closet floor",
        "water all over the laundry room floor and it's coming from the furnace",
    ],
)
def test_water_spilling_now_stays_urgent(encoder: semantic.SemanticModel, text: str) -> None:
    u = understand(text, ctx("intent"))
    assert u.issue_category == "leak" and u.urgency == "urgent"


def test_an_elderly_caller_speaking_of_themselves_makes_no_heat_urgent() -> None:
    u = understand("i'm seventy nine and i live by myself and my furnace has quit", ctx("intent"))
    assert u.issue_category == "no_heat" and u.urgency == "urgent"


def test_sleet_is_freezing_weather_for_no_heat() -> None:
    assert understand("my heat is out and it's sleeting here", ctx("intent")).urgency == "urgent"


@pytest.mark.parametrize(
    ("text", "yes_no"),
    [
        ("i suppose so", "yes"),
        ("please", "yes"),
        ("that's all correct yes please", "yes"),
        ("well i don't love the fee but yeah go ahead", "yes"),  # the decision comes last
        ("you know what no i'll call somebody else", "no"),
        ("i'm going to pass thanks", "no"),
        ("i'd rather not thanks though", "no"),
        ("not today thanks", "no"),
        ("that's all thanks", "no"),
    ],
)
def test_hedged_answers_to_shall_i_book_it(text: str, yes_no: str) -> None:
    assert understand(text, ctx("confirm")).yes_no == yes_no


OFFERED = [
    WindowOffer(date=dt.date(2026, 12, 1), window="08:00-12:00"),
    WindowOffer(date=dt.date(2026, 12, 1), window="12:00-16:00"),
    WindowOffer(date=dt.date(2026, 12, 2), window="08:00-12:00"),
]


@pytest.mark.parametrize(
    ("text", "offer"),
    [
        ("uh the second of december", 2),
        ("first of december early", 0),
        ("wensday is better", 2),
        ("can they come tuesday at like two", 1),
        ("i have a doctor's appointment tuesday so the wednesday", 2),
    ],
)
def test_windows_picked_in_plain_words(text: str, offer: int) -> None:
    w = understand(text, ctx("window", offered=OFFERED)).window
    assert w is not None and w.offer_index == offer


@pytest.mark.parametrize(
    "text",
    [
        "need someone to come out to my place",
        "hey can i get someone out to flush the condensate line and do a check up",
        "can you send someone out",
    ],
)
def test_asking_for_someone_to_come_out_is_a_visit(encoder: semantic.SemanticModel, text: str) -> None:
    u = understand(text, ctx("intent"))
    assert u.intent == "book" and u.question is None


@pytest.mark.parametrize(
    ("text", "topic"), [("do you take checks", "payment"), ("can you come out to round rock", "service_area")]
)
def test_the_questions_those_words_resemble_stay_questions(text: str, topic: str) -> None:
    u = understand(text, ctx("intent"))
    assert u.intent == "question" and u.question == topic
