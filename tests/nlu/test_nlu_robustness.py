"""Whatever a recogniser produces, understanding answers quickly and only with valid slot values."""

from __future__ import annotations

import datetime as dt
import re
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvac_agent.dialogue.nlu import NluContext, parse_keypad, understand
from hvac_agent.dialogue.nlu.numbers import words_to_digits
from hvac_agent.dialogue.state import Expect, WindowOffer

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
EXPECTS: list[str | None] = [*typing.get_args(Expect), None]
OFFERS = [WindowOffer(date=dt.date(2026, 11, 27), window="08:00-12:00")]
VOCAB = (
    "five one two oh o double triple hundred thousand the first second last one my name is it's this "
    "i'm k i m d as in david no yes not gas smell smoke co alarm street ave apt unit 2b # + - . , ? ! "
    "512 555 0123 78751 monday next tomorrow morning afternoon 1st december 30th thirtieth fifty "
    "twelve for to too won ate zip code number area code spelled with a actually wrong cancel "
    "representative again twenty ninety eight week in days weekend 8:00 a.m. (512) 555-0123"
).split()


def _valid(u: typing.Any) -> None:
    if u.phone is not None:
        assert re.fullmatch(r"\+1\d{10}|\+\d{11,15}", u.phone)
    if u.phone_digits is not None:
        assert u.phone_digits.isdigit() and len(u.phone_digits) < 10
    if u.zip is not None:
        assert re.fullmatch(r"\d{5}", u.zip)
    assert 0.0 <= u.frustration <= 1.0
    if u.window is not None and u.window.offer_index is not None:
        assert 0 <= u.window.offer_index < len(OFFERS)
    assert set(u.corrected) <= {"name", "phone", "address", "zip", "unit", "issue", "window"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.lists(st.sampled_from(VOCAB), max_size=16).map(" ".join), st.text(max_size=60)),
    st.sampled_from(EXPECTS),
    st.booleans(),
    st.sampled_from(["", "512", "512555"]),
)
def test_any_text_gives_valid_understanding(text: str, expect: str | None, offered: bool, pending: str) -> None:
    ctx = NluContext(
        now=NOW,
        expect=expect,
        offered=OFFERS if offered else [],  # type: ignore[arg-type]
        pending_phone_digits=pending,
        current_phone="+15125550123",
    )
    _valid(understand(text, ctx))
    _valid(parse_keypad(text, ctx))


@pytest.mark.parametrize(
    ("words", "digits"),
    [
        ("five one two", "512"),
        ("five oh o zero", "5000"),
        ("double five triple two", "55222"),
        ("fifty five twelve", "5512"),
        ("twelve oh five", "1205"),
        ("forty four ten", "4410"),
        ("forty four hundred ten", "4410"),
        ("four thousand four hundred ten", "4410"),
        ("one hundred and five", "105"),
        ("twenty one hundred", "2100"),
        ("eight hundred five five five", "800555"),
        ("five won two", "512"),
        ("five one two for", "5124"),
        ("waiting for 2 hours", "2"),
        ("the one i'm calling from", ""),
        ("the last four are oh one two three", "0123"),
        ("eighty-nine", "89"),
        ("a hundred and twenty", "120"),
        ("two hundred fifty", "250"),
    ],
)
def test_spoken_numbers(words: str, digits: str) -> None:
    assert words_to_digits(words) == digits


def test_warm_up_loads_the_slow_fallbacks() -> None:
    import sys

    from hvac_agent.dialogue.nlu import warm_up

    warm_up()
    assert "dateparser" in sys.modules and "usaddress" in sys.modules


def test_a_runaway_transcript_is_understood_without_hanging() -> None:
    """A guard against backtracking that grows faster than the text (seconds, minutes), not a
    speed figure: `bench/understanding.py` prints the time (15-40 ms), which a loaded machine
    doubles. The bound is about 50 times that, so only a hang fails here."""
    import time

    text = "my name is dana kim and the furnace is blowing cold air " * 300
    ctx = NluContext(now=NOW, expect="confirm")
    start = time.perf_counter()
    got = understand(text, ctx)
    assert time.perf_counter() - start < 2.0
    assert got.name == "Dana Kim" and got.text == text
