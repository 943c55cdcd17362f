"""Keypad `Digits` after repeated misunderstanding: numbers, ZIPs, choices, yes/no."""

from __future__ import annotations

import datetime as dt

from hvac_agent.dialogue.nlu import NluContext, parse_keypad
from hvac_agent.dialogue.state import WindowOffer

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def ctx(expect: str, **kw: object) -> NluContext:
    return NluContext(now=NOW, expect=expect, **kw)  # type: ignore[arg-type]


def test_phone_from_keypad_with_and_without_leading_one() -> None:
    assert parse_keypad("5125550123", ctx("phone")).phone == "+15125550123"
    assert parse_keypad("15125550123#", ctx("phone")).phone == "+15125550123"


def test_keypad_phone_continues_digits_heard_before() -> None:
    got = parse_keypad("0123", ctx("phone", pending_phone_digits="512555"))
    assert got.phone == "+15125550123"
    partial = parse_keypad("512", ctx("phone"))
    assert partial.phone is None and partial.phone_digits == "512"


def test_invalid_keypad_phone_is_not_accepted() -> None:
    got = parse_keypad("1234567890", ctx("phone"))
    assert got.phone is None and got.phone_digits is None


def test_zip_from_keypad() -> None:
    assert parse_keypad("78751", ctx("zip")).zip == "78751"
    assert parse_keypad("787511234", ctx("zip")).zip == "78751"
    assert parse_keypad("7875", ctx("zip")).zip is None


def test_window_choice_and_yes_no_from_keypad() -> None:
    offers = [
        WindowOffer(date=dt.date(2026, 11, 27), window="08:00-12:00"),
        WindowOffer(date=dt.date(2026, 11, 27), window="12:00-16:00"),
    ]
    assert parse_keypad("2", ctx("window", offered=offers)).window.offer_index == 1  # type: ignore[union-attr]
    assert parse_keypad("5", ctx("window", offered=offers)).window is None
    assert parse_keypad("1", ctx("confirm")).yes_no == "yes"
    assert parse_keypad("2", ctx("confirm")).yes_no == "no"
    assert parse_keypad("0", ctx("confirm")).intent == "human"
    assert parse_keypad("", ctx("confirm")).yes_no is None
