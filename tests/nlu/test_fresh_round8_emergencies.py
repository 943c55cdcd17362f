"""Round 8 (issue 10): emergencies the emergency-focused batch `em1` and batch t8 showed missing,
and the false alarms they showed, probed with new phrasings written for these tests (not the batch
lines).

Missed: a self-repair before the danger ("no wait, ..."), gas said as "gassy" or as a rotten smell
by gas equipment, shutting off the gas because of a smell, a detector's "co" or "ppm" reading, a
detector sounding beside one symptom, "we're all" sick with the heater blamed, burned plastic, an
arc, a fire said plainly, flames coming out at the caller. False: detectors as things to buy or fit,
a danger over and done with, a danger only asked about, sulphur in the tap water, smoke from a
grill, steam asked about, the burn-off of a season's first heat.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import NluContext, Understanding, semantic, understand
from hvac_agent.dialogue.nlu.emergency import extract_emergency
from hvac_agent.dialogue.nlu.text import Utterance

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def _open(text: str) -> Understanding:
    return understand(text, NluContext(expect="intent", now=NOW))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("it's the furnace no wait it's the outlet behind it that's sparking", "smoke_fire"),
        ("kind of a gassy odor in the laundry room by the furnace", "gas"),
        ("something smells rotten next to the gas water heater and it's strong", "gas"),
        ("where's the valve to turn off the gas, the whole kitchen smells", "gas"),
        ("the little monitor in the hallway reads 150 ppm", "carbon_monoxide"),
        ("my english is little, detector it say co, beep beep", "carbon_monoxide"),
        ("my son is dizzy and the alarm upstairs keeps going off", "carbon_monoxide"),
        ("we're all headachy since this morning, my sister thinks it might be the furnace", "carbon_monoxide"),
        ("the thermostat smells like burned plastic and the wall is warm", "smoke_fire"),
        ("I saw an arc jump inside the disconnect box", "smoke_fire"),
        ("um there's a fire", "smoke_fire"),
        ("the flame kind of rolled and came out toward me when I opened the panel", "smoke_fire"),
        ("kind of an eggy odor by the water heater closet", "gas"),
        ("there's this egg smell in the hall since this morning", "gas"),
        ("smells sort of like propane near the furnace", "gas"),
        ("the closet smells hot and sort of electrical", "smoke_fire"),
        ("it smells like fried wires when the blower starts", "smoke_fire"),
        ("there's a smell like an overheating motor from the air handler", "smoke_fire"),
        ("smells like someone just struck a few matches by the vent", "gas"),
        # batch em2's indirect wordings, said anew
        ("mi casa huele a huevos podridos near the furnace", "gas"),
        ("my grandma says the kitchen smells like the stove when the knob is on but not lit", "gas"),
        ("something smells like gasoline by the furnace closet", "gas"),
        ("there's a hiss by the pipe behind the heater and a sour kind of smell", "gas"),
        ("the garage smells sulfury near the meter and the furnace", "gas"),
        ("the little monitor screen says peak one twenty", "carbon_monoxide"),
        ("the doctor said his levels were high and to have the heater checked", "carbon_monoxide"),
        ("the furnace is blowing exhaust into the house, you can smell it upstairs", "carbon_monoxide"),
        ("the dog won't get up and my head is pounding, the heater ran all night", "carbon_monoxide"),
        ("the gas company guy measured something and shut off the furnace", "carbon_monoxide"),
        ("they told us to get out, we're outside now, it's the heater", "carbon_monoxide"),
        ("mi mamá está mareada y tiene dolor de cabeza, the heater smells funny", "carbon_monoxide"),
        ("the breaker for the furnace is hot to the touch", "smoke_fire"),
        ("a grey haze is drifting out of the supply vents", "smoke_fire"),
        ("the thermostat made a snap and a blue flash inside the plate", "smoke_fire"),
        ("the heater went whoomp and fire came out the bottom", "smoke_fire"),
        ("i can see flames through a crack in the furnace cabinet", "smoke_fire"),
        ("the smoke alarm is going and stuff is puffing out of the furnace", "smoke_fire"),
        # batch em3's wordings, said anew
        ("the flue pipe above the boiler is glowing red", "smoke_fire"),
        ("the wiring going into the furnace cabinet is glowing orange", "smoke_fire"),
        ("there was a fire by the water heater closet, we got out and the fire department is on the way", "smoke_fire"),
        ("the furnace went whump and a fireball came out the front", "smoke_fire"),
        ("the gas logs are throwing a flame that comes out past the glass", "smoke_fire"),
        ("there's a hiss from the pipe behind the water heater and it keeps going", "gas"),
        ("my neighbor sprayed soapy water on the line by the meter and it bubbled up", "gas"),
        ("a rotten kind of smell around the furnace and the water heater in the garage", "gas"),
        ("the gas fireplace went out but we can still smell it in the den", "gas"),
        ("the detector in the hallway reads ninety and keeps climbing", "carbon_monoxide"),
        ("the alarm going off is not the smoke one, it's the other one", "carbon_monoxide"),
        ("our parakeet died and the cat is acting strange", "carbon_monoxide"),
        ("two of the cooks are complaining of headaches by the shop heater", "carbon_monoxide"),
        ("there's black soot on the wall above the furnace and i keep getting headaches", "carbon_monoxide"),
        ("my chest feels tight every time the heater runs in the den", "carbon_monoxide"),
        ("there's a sharp acrid smell out of the vents", "smoke_fire"),
        ("little flashes of light inside the air handler cabinet", "smoke_fire"),
        ("the paint on the furnace door is bubbling, it's really hot", "smoke_fire"),
        ("the thermostat wires are kinda smoking behind the plate", "smoke_fire"),
    ],
)
def test_the_keyword_net_catches_them(rules_only: None, text: str, kind: str) -> None:
    assert extract_emergency(Utterance.of(text)) == kind


@pytest.mark.parametrize(
    "text",
    [
        "do you sell and install carbon monoxide detectors",
        "how much would it cost to put a co detector in the garage",
        "should we have a co detector with an all electric house",
        "my carbon monoxide detector says replace, it's old, no alarm at all",
        "we had a gas leak two months ago, the gas company fixed it, i'd like a furnace tune up",
        "the co alarm went off last week but the fire department checked it and said we were fine, "
        "can you inspect the furnace",
        "do you charge more to come out for a gas leak at night",
        "the hot water smells like sulfur when i shower, can you look at that",
        "lots of smoke from the neighbor's grill is coming in the window unit",
        "there's a puff of steam off the heat pump, is that smoke or just defrost",
        "the vents smell a bit burnt for the first few minutes of heat, then it goes away",
        "kind of a musty smell when the electric heat strips kick on",
        "the kitchen smells smoky from the bacon, but the heater won't turn on",
        "the co detector by the door beeped once after the power came back",
        "i'd like a tune up and to put a co detector by the furnace, we don't have one",
        "if we ever smell rotten eggs who do we call first",
        "a burner was left on, i turned it off and aired the place out, but the furnace short cycles",
        "the outdoor unit buzzes like a bug zapper",
        "there's some black stuff on the vent covers, mildew maybe",
        "there's a funny smell from the heater",
        "water's dripping from the ceiling by the vent and the paint is bubbling",
        "the burner flames look blue and even, just want a tune up",
        "the hot water smells like eggs at the bathroom sink drain",
        "i get a whiff of gas when i light the stove but that's the stove",
        "the vents smell like burnt popcorn cause my daughter burned popcorn",
        "we had a small kitchen fire last year, insurance wants the ducts cleaned from the smoke",
        "the co detector says replace on the screen, no beeping at all",
        "there's a hissing from the outdoor unit's copper lines",
    ],
)
def test_look_alikes_are_not_emergencies(encoder: semantic.SemanticModel, text: str) -> None:
    assert _open(text).emergency is None


@pytest.mark.parametrize(
    "text",
    [
        "i called yesterday about a gas smell and it's still there",
        "we had a gas leak last month they fixed it but now i smell it again",
        "do you come out for gas leaks? because i smell gas in my kitchen right now",
        "the co detector is going off, should we have someone check it",
    ],
)
def test_the_danger_now_still_counts(encoder: semantic.SemanticModel, text: str) -> None:
    assert _open(text).emergency is not None


def test_a_wet_towel_smell_is_a_household_odour(encoder: semantic.SemanticModel) -> None:
    u = _open("the vents smell like damp towels every time the blower runs")
    assert u.emergency is None and u.intent == "book"
