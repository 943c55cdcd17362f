"""Corrections in callers' own words, on fresh probe lines (not taken from the held-out batches).

Each family is written here in new phrasings, so a rule that only matched one held-out line fails.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import NluContext, Understanding, understand
from hvac_agent.dialogue.state import Expect

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
EARLIER_PHONE = "+15125550123"


def _u(text: str, expect: Expect) -> Understanding:
    return understand(text, NluContext(expect=expect, now=NOW, current_phone=EARLIER_PHONE))


@pytest.mark.parametrize(
    ("text", "expect", "street_name"),
    [
        ("it's Whitfield Road, not Whitford", "unit", "Whitfield Road"),
        ("sorry it's Maple Court not Maple Circle", "unit", "Maple Court"),
        ("no the street is Spicewood Trail", "confirm", "Spicewood Trail"),
        ("I said Elm Street but it's Elm Drive", "zip", "Elm Drive"),
        ("actually it's Rio Grande Street not Rio Grand", "phone", "Rio Grande Street"),
    ],
)
def test_a_street_corrected_without_its_number_keeps_the_number(text: str, expect: Expect, street_name: str) -> None:
    u = _u(text, expect)
    assert u.correction and "address" in u.corrected
    assert u.street_name == street_name
    assert u.street is None and u.unit is None and u.house_number is None


def test_a_street_name_without_a_correction_is_not_taken() -> None:
    # At the unit question a street name alone corrects nothing; it must not replace the street.
    assert _u("we're right off Burnet Road", "unit").street_name is None


@pytest.mark.parametrize(
    ("text", "expect", "street"),
    [
        ("wait, it's 2718 Southwest Parkway, not Southeast", "unit", "2718 Southwest Parkway"),
        ("the address is 910 West Avenue", "unit", "910 West Avenue"),
        ("I meant Oak Hollow Cove, 5512 Oak Hollow Cove", "unit", "5512 Oak Hollow Cove"),
        ("that was my work address, home is 3301 Gracy Farms Lane", "unit", "3301 Gracy Farms Lane"),
        ("oh I said Payton Drive but it's Payton Gin Road, 1414 Payton Gin Road", "phone", "1414 Payton Gin Road"),
    ],
)
def test_a_whole_street_said_while_another_question_is_asked_is_the_address(
    text: str, expect: Expect, street: str
) -> None:
    u = _u(text, expect)
    assert u.street == street
    assert u.unit is None, "the house number said again is not a unit"
    assert u.phone is None and u.phone_digits is None, "the house number is not a phone's digits"


def test_an_old_address_replaced_is_a_correction() -> None:
    u = _u("shoot, that's our old address, we're at 7700 Cooper Lane now", "unit")
    assert u.correction and "address" in u.corrected and u.street == "7700 Cooper Lane"


@pytest.mark.parametrize(
    ("text", "expect", "phone"),
    [
        (
            "the area code is nine seven two not five one two, so nine seven two five five five oh one four four",
            "zip",
            "+19725550144",
        ),
        ("my area code's 737 not 512, it's 737 555 0171", "address", "+17375550171"),
    ],
)
def test_an_area_code_correction_is_the_phone(text: str, expect: Expect, phone: str) -> None:
    u = _u(text, expect)
    assert u.correction and "phone" in u.corrected
    assert u.phone == phone and u.house_number is None


@pytest.mark.parametrize(
    ("text", "zip_code"),
    [
        ("no it's 78704, not 78705", "78704"),
        ("nope seven eight seven four one not seven eight seven one four", "78741"),
    ],
)
def test_a_bare_zip_corrected_at_the_read_back_is_the_zip(text: str, zip_code: str) -> None:
    u = _u(text, "confirm")
    assert u.correction and u.corrected == ["zip"]
    assert u.zip == zip_code and u.house_number is None


def test_a_bare_house_number_corrected_at_the_read_back_is_still_the_house() -> None:
    u = _u("no it's 4127, not 4172", "confirm")
    assert u.house_number == "4127" and u.zip is None


@pytest.mark.parametrize(
    ("text", "expect", "name"),
    [
        ("can you put it under my wife, Gloria Mendez", "address", "Gloria Mendez"),
        ("book it under my dad's name, Harold Finch", "zip", "Harold Finch"),
        ("it should go under my name, Priya Raman", "name", "Priya Raman"),
    ],
)
def test_a_booking_put_under_another_name_is_that_name(text: str, expect: Expect, name: str) -> None:
    assert _u(text, expect).name == name


@pytest.mark.parametrize(
    ("text", "expect", "name"),
    [
        ("it's Cathy with a C, Cathy Nguyen", "confirm", "Cathy Nguyen"),
        ("sorry, it's Shawn, Shawn Whitaker", "confirm", "Shawn Whitaker"),
        ("my last name is Moreau, M O R E A U, so Paul Moreau", "phone", "Paul Moreau"),
    ],
)
def test_a_name_said_again_whole_is_taken_whole(text: str, expect: Expect, name: str) -> None:
    assert _u(text, expect).name == name


@pytest.mark.parametrize(
    ("text", "expect", "unit"),
    [
        ("unit a", "unit", "Unit A"),
        ("2200 Rio Grande Street suite A 78705", "address", "Suite A"),
        ("we're in building 3, unit A and the gate code is 1234", "address", "Unit A"),
    ],
)
def test_the_letter_a_as_a_unit(text: str, expect: Expect, unit: str) -> None:
    assert _u(text, expect).unit == unit


def test_an_article_after_unit_is_not_a_unit() -> None:
    assert _u("the unit a neighbour installed is loud", "address").unit is None


@pytest.mark.parametrize(("text", "yes_no"), [("go on ahead", "yes"), ("please do not, I'll think about it", "no")])
def test_read_back_answers_in_plain_words(text: str, yes_no: str) -> None:
    assert _u(text, "confirm").yes_no == yes_no


@pytest.mark.parametrize(
    ("text", "expect", "phone"),
    [
        ("hang on, the area code is two one four not five one two", "address", "+12145550123"),
        ("my area code should be 737", "confirm", "+17375550123"),
        ("the middle three digits are five five two, not five five five", "zip", "+15125520123"),
        ("no wait it ends with zero one nine eight, not zero one two three", "confirm", "+15125550198"),
        ("the last four should be 4567", "unit", "+15125554567"),
    ],
)
def test_one_group_of_the_number_corrected_keeps_the_rest(text: str, expect: Expect, phone: str) -> None:
    u = _u(text, expect)
    assert u.correction and u.corrected == ["phone"]
    assert u.phone == phone
    assert u.house_number is None and u.unit is None


def test_digits_taken_back_that_are_not_in_the_number_are_no_phone_correction() -> None:
    u = _u("the house number is 4412 not 4410", "unit")
    assert u.phone is None and u.house_number == "4412"
