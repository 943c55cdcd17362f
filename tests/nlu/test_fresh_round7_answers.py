"""Round 7 (issue 10): answer wordings the fresh training batches t5–t7 showed failing, probed with
new phrasings written for these tests: "one" as a pronoun before a unit ("the front one, c"), the
unit said as "letter …", "number …" or "pound …", "just the house", a phone number whose last
"oh one" comes before a remark, a state name inside a street name, hesitations and a street name
started over.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import NluContext, Understanding, understand

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)


def _answer(text: str, expect: str) -> Understanding:
    return understand(text, NluContext(expect=expect, now=NOW))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("we're in the front one, c", "Unit C"),
        ("the downstairs one, number 1 a", "Unit 1A"),
        ("letter d as in dog", "Unit D"),
        ("unit one", "Unit 1"),
        ("it's number 12", "Unit 12"),
    ],
)
def test_unit_answers(text: str, unit: str) -> None:
    assert _answer(text, "unit").unit == unit


@pytest.mark.parametrize("text", ["nope just the house", "only the one house, no apartments"])
def test_no_unit_said_as_the_house(text: str) -> None:
    u = _answer(text, "unit")
    assert u.unit is None and u.no_unit


def test_unit_said_as_pound_after_the_street() -> None:
    u = _answer("4821 manchaca road pound 7", "address")
    assert (u.street, u.unit) == ("4821 Manchaca Road", "Unit 7")


def test_the_last_digit_before_a_remark_is_kept() -> None:
    u = _answer("two one four five five five oh two oh one i'm her son", "phone")
    assert u.phone == "+12145550201"


def test_one_sec_is_still_not_a_digit() -> None:
    u = _answer("five one two five five five oh one, one sec, two three", "phone")
    assert u.phone != "+15125550112"


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("it's 3300 little texas lane", "3300 Little Texas Lane"),
        ("612 um er palo um duro trail", "612 Palo Duro Trail"),
        ("2205 guadalupe west guadalupe street", "2205 West Guadalupe Street"),
    ],
)
def test_street_names(text: str, street: str) -> None:
    assert _answer(text, "address").street == street


def test_a_city_and_state_after_the_street_still_end_it() -> None:
    u = _answer("1504 maple drive austin texas 78704", "address")
    assert (u.street, u.zip) == ("1504 Maple Drive", "78704")


# ---- the setting against the house ------------------------------------------------------------


def _opening(text: str) -> Understanding:
    return understand(text, NluContext(expect="intent", now=NOW))


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("we've got it set to sixty eight and the house is at seventy nine", "no_cooling"),
        ("i turned it down to seventy and it's still sitting at eighty one", "no_cooling"),
        ("thermostat's set at seventy but it's reading sixty one in the living room", "no_heat"),
        ("the ecobee says seventy one and it's sixty three in here and dropping", "no_heat"),
    ],
)
def test_the_setting_against_the_house_is_the_heat_or_the_cooling(text: str, category: str) -> None:
    assert _opening(text).issue_category == category


@pytest.mark.parametrize(
    "text",
    [
        "the thermostat says seventy two but my thermometer on the wall says seventy eight",
        "my thermostat says seventy four but it's like eighty in here",  # its reading may be what's wrong
        "the thermostat reads fifty and the screen keeps flickering",
    ],
)
def test_a_doubted_reading_stays_the_thermostat(text: str) -> None:
    assert _opening(text).issue_category == "thermostat"


# ---- the read-back's yes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "yes_no"),
    [
        ("all good, go ahead and book it", "yes"),
        ("nope that's fine, book it", "yes"),
        ("we're good yep", "yes"),
        ("no thanks, i'm good", "no"),
        ("all good", "no"),  # to "anything else?": nothing more
        ("no don't book it, i'm good", "no"),
    ],
)
def test_soft_no_words_with_a_go_ahead(text: str, yes_no: str) -> None:
    assert _answer(text, "confirm").yes_no == yes_no


# ---- corrections of the house number (batch E, after its first pass) --------------------------


def _correcting(text: str, expect: str) -> Understanding:
    ctx = NluContext(expect=expect, now=NOW, current_phone="+15125550123", current_name="Dana Kim")  # type: ignore[arg-type]
    return understand(text, ctx)


@pytest.mark.parametrize(
    ("text", "expect", "house"),
    [
        ("same as before only the number is 2218", "address", "2218"),
        ("the zip's fine, it's the house number that's off, 2281", "zip", "2281"),
        ("all of that's right except it's twenty two eighteen", "confirm", "2218"),
    ],
)
def test_a_house_number_corrected_lands_on_the_house(text: str, expect: str, house: str) -> None:
    u = _correcting(text, expect)
    assert u.correction and u.house_number == house and u.phone is None


def test_the_number_at_the_phone_question_is_still_the_phone() -> None:
    u = _correcting("no the number is 512 555 0132", "phone")
    assert u.phone == "+15125550132" and u.house_number is None


@pytest.mark.parametrize(
    "text", ["sorry, 78745 earlier was a slip, it's 78748", "the 78745 from earlier should have been 78748"]
)
def test_of_two_zips_the_one_said_last_is_meant(text: str) -> None:
    u = _correcting(text, "zip")
    assert u.correction and u.zip == "78748"
