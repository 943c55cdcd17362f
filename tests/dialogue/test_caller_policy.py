"""The pure pieces of caller verification and "forget me": which second factors match, which words
ask to be forgotten (and which only sound like it)."""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu.privacy import wants_forgotten
from hvac_agent.dialogue.policy import SecondFactor, factor_matches
from hvac_agent.dialogue.state import AppointmentRef

DANA = AppointmentRef(
    id=1,
    customer_name="Dana Kim",
    phone="+15125550123",
    address="4410 Duval Street",
    zip="78751",
    issue="no heat",
    date=dt.date(2026, 12, 3),
    window="08:00-12:00",
)


@pytest.mark.parametrize(
    ("factor", "matches"),
    [
        (SecondFactor(name="Dana Kim"), True),
        (SecondFactor(name="dana kim"), True),
        (SecondFactor(name="Kim, Dana"), True),
        (SecondFactor(name="Dana J. Kim"), True),
        (SecondFactor(name="Dana Kim Pat Jones"), False),  # a list of names to pick from
        (SecondFactor(name="Kim"), False),  # the surname alone is not the name on the booking
        (SecondFactor(name="Dana"), False),
        (SecondFactor(name="Dan Kim"), False),
        (SecondFactor(house_number="4410", zip="78751"), True),
        (SecondFactor(house_number="4410", zip="78752"), False),
        (SecondFactor(house_number="441", zip="78751"), False),
        (SecondFactor(house_number="4410"), False),  # both together, or nothing
        (SecondFactor(zip="78751"), False),
        (SecondFactor(), False),
    ],
)
def test_second_factor(factor: SecondFactor, matches: bool) -> None:
    assert factor_matches(DANA, factor) is matches


@pytest.mark.parametrize(
    "text",
    [
        "please delete my information",
        "can you erase my data",
        "I want you to forget me",
        "remove my phone number from your system",
        "don't keep my details",
        "delete all of my records please",
    ],
)
def test_asking_to_be_forgotten(text: str) -> None:
    assert wants_forgotten(text)


@pytest.mark.parametrize(
    "text",
    [
        "forget it",
        "never mind, forget about it",
        "I forgot my appointment time",
        "delete the appointment",
        "my furnace stopped working",
    ],
)
def test_words_that_only_sound_like_it(text: str) -> None:
    assert not wants_forgotten(text)
