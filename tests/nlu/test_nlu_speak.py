"""Read-backs: phone numbers digit by digit, windows in words relative to the business's today."""

from __future__ import annotations

import datetime as dt

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hvac_agent.dialogue.nlu import NluContext, speak_phone, speak_window, understand
from hvac_agent.dialogue.nlu.speak import speak_time
from hvac_agent.dialogue.state import WindowOffer

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # Thursday 09:00 in Chicago
TZ = "America/Chicago"


@pytest.mark.parametrize(
    ("e164", "spoken"),
    [
        ("+15125550123", "5 1 2, 5 5 5, 0 1 2 3"),
        ("+18005551212", "8 0 0, 5 5 5, 1 2 1 2"),
        ("+12105550000", "2 1 0, 5 5 5, 0 0 0 0"),
    ],
)
def test_speak_phone_groups_digits_like_people_say_them(e164: str, spoken: str) -> None:
    assert speak_phone(e164) == spoken


def test_speak_phone_non_nanp_keeps_every_digit() -> None:
    spoken = speak_phone("+442071838750")
    assert spoken.replace(",", "").replace(" ", "") == "442071838750"
    assert spoken.endswith("8 7 5 0")


@pytest.mark.parametrize(
    ("offer", "spoken"),
    [
        (
            WindowOffer(date=dt.date(2026, 11, 27), window="08:00-12:00"),
            "tomorrow, Friday November 27, between 8 AM and noon",
        ),
        (
            WindowOffer(date=dt.date(2026, 11, 26), window="12:00-16:00"),
            "today, Thursday November 26, between noon and 4 PM",
        ),
        (WindowOffer(date=dt.date(2026, 11, 30), window="08:00-12:00"), "Monday November 30, between 8 AM and noon"),
        (WindowOffer(date=dt.date(2026, 12, 1), window="13:30-17:00"), "Tuesday December 1, between 1:30 PM and 5 PM"),
    ],
)
def test_speak_window(offer: WindowOffer, spoken: str) -> None:
    assert speak_window(offer, NOW, TZ) == spoken


def test_speak_window_today_is_the_business_day_not_utc() -> None:
    # 03:00 UTC on Friday is still Thursday evening in Chicago: Friday is "tomorrow".
    late = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
    offer = WindowOffer(date=dt.date(2026, 11, 27), window="08:00-12:00")
    assert speak_window(offer, late, TZ).startswith("tomorrow, Friday")


@pytest.mark.parametrize(
    ("hhmm", "spoken"),
    [("08:00", "8 AM"), ("12:00", "noon"), ("16:00", "4 PM"), ("09:30", "9:30 AM"), ("00:00", "midnight")],
)
def test_speak_time(hhmm: str, spoken: str) -> None:
    assert speak_time(hhmm) == spoken


_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@st.composite
def nanp_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["512", "737", "210", "214", "713", "415", "212", "303"]))
    exchange = draw(st.integers(200, 999))
    line = draw(st.integers(0, 9999))
    number = f"+1{area}{exchange}{line:04d}"
    parsed = phonenumbers.parse(number, None)
    if not phonenumbers.is_valid_number(parsed):
        return "+15125550123"
    return number


@settings(max_examples=60, deadline=None)
@given(nanp_numbers(), st.sampled_from(["words", "oh", "readback", "dashes"]))
def test_any_valid_number_is_understood_however_it_is_said(e164: str, style: str) -> None:
    digits = e164[2:]
    if style == "words":
        text = " ".join(_WORDS[int(d)] for d in digits)
    elif style == "oh":
        text = "my number is " + " ".join("oh" if d == "0" else _WORDS[int(d)] for d in digits)
    elif style == "readback":
        text = speak_phone(e164)  # what we say back must be what we would understand
    else:
        text = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    ctx = NluContext(now=NOW, timezone=TZ, expect="phone")
    assert understand(text, ctx).phone == e164


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("4410", "forty-four ten"),
        ("1205", "twelve oh five"),
        ("900", "nine hundred"),
        ("123", "one twenty-three"),
        ("905", "nine oh five"),
        ("2100", "twenty-one hundred"),
        ("2000", "two thousand"),
        ("42", "forty-two"),
        ("7", "seven"),
        ("12500", "one two five zero zero"),
        ("1000", "one thousand"),
        ("1010", "ten ten"),
    ],
)
def test_speak_house_number(number: str, spoken: str) -> None:
    from hvac_agent.dialogue.nlu.speak import speak_house_number

    assert speak_house_number(number) == spoken


def test_speak_street_is_understood_back() -> None:
    from hvac_agent.dialogue.nlu import speak_street

    spoken = speak_street("4410 Duval Street")
    assert spoken == "forty-four ten Duval Street"
    ctx = NluContext(now=NOW, timezone=TZ, expect="address")
    assert understand(spoken, ctx).street == "4410 Duval Street"


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 99999))
def test_every_spoken_house_number_is_understood_back(number: int) -> None:
    from hvac_agent.dialogue.nlu.speak import speak_house_number

    ctx = NluContext(now=NOW, timezone=TZ, expect="address")
    said = f"{speak_house_number(str(number))} main street"
    assert understand(said, ctx).street == f"{number} Main Street"


def test_a_caller_repeating_an_offered_window_picks_that_window() -> None:
    offers = [
        WindowOffer(date=dt.date(2026, 11, 27), window="08:00-12:00"),
        WindowOffer(date=dt.date(2026, 11, 27), window="12:00-16:00"),
        WindowOffer(date=dt.date(2026, 11, 30), window="08:00-12:00"),
        WindowOffer(date=dt.date(2026, 12, 1), window="12:00-16:00"),
    ]
    ctx = NluContext(now=NOW, timezone=TZ, expect="window", offered=offers)
    for index, offer in enumerate(offers):
        said = speak_window(offer, NOW, TZ)
        got = understand(said, ctx).window
        assert got is not None and got.offer_index == index, said
