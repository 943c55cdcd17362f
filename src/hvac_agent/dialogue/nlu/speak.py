"""How the agent reads things back: windows in words a caller can check by ear."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hvac_agent.dialogue.nlu.phone import speak_phone
from hvac_agent.dialogue.state import WindowOffer

__all__ = ["speak_house_number", "speak_phone", "speak_street", "speak_time", "speak_window"]


def speak_time(hhmm: str) -> str:
    """ "08:00" → "8 AM", "12:00" → "noon", "13:30" → "1:30 PM"."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    if hour == 12 and minute == 0:
        return "noon"
    if hour in (0, 24) and minute == 0:
        return "midnight"
    suffix = "AM" if hour < 12 else "PM"
    h12 = hour % 12 or 12
    return f"{h12} {suffix}" if minute == 0 else f"{h12}:{minute:02d} {suffix}"


def speak_window(offer: WindowOffer, now: dt.datetime, tz: str) -> str:
    """ "tomorrow, Friday November 27, between 8 AM and noon"."""
    today = now.astimezone(ZoneInfo(tz)).date()
    day = f"{offer.date:%A} {offer.date:%B} {offer.date.day}"
    delta = (offer.date - today).days
    if delta == 0:
        day = f"today, {day}"
    elif delta == 1:
        day = f"tomorrow, {day}"
    start, _, end = offer.window.partition("-")
    return f"{day}, between {speak_time(start)} and {speak_time(end)}"


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS_WORDS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _pair(n: int, *, leading_oh: bool = False) -> str:
    """0..99 in words; "oh five" for the second half of "twelve oh five"."""
    if n < 10 and leading_oh:
        return f"oh {_ONES[n]}"
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS_WORDS[tens] + (f"-{_ONES[ones]}" if ones else "")


def speak_house_number(number: str) -> str:
    """As people say them: 4410 → "forty-four ten", 1205 → "twelve oh five", 900 → "nine hundred".

    Speech synthesis would otherwise say "four thousand four hundred ten", which no caller
    recognises as their address. Five digits and more are read digit by digit.
    """
    if not number.isdigit():
        return number
    n = int(number)
    if len(number) <= 2:
        return _pair(n)
    if len(number) == 3:
        head, tail = divmod(n, 100)
        return f"{_ONES[head]} hundred" if tail == 0 else f"{_ONES[head]} {_pair(tail, leading_oh=True)}"
    if len(number) == 4:
        head, tail = divmod(n, 100)
        if tail == 0:
            return f"{_ONES[head // 10]} thousand" if head % 10 == 0 else f"{_pair(head)} hundred"
        return f"{_pair(head)} {_pair(tail, leading_oh=True)}"
    return " ".join(_ONES[int(d)] for d in number)


def speak_street(street: str) -> str:
    """A street line for speech: "4410 Duval Street" → "forty-four ten Duval Street"."""
    number, _, rest = street.partition(" ")
    if not number.isdigit():
        return street
    return f"{speak_house_number(number)} {rest}".strip()
