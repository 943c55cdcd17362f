"""How the agent reads things back: windows in words a caller can check by ear."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hvac_agent.dialogue.nlu.phone import speak_phone
from hvac_agent.dialogue.state import WindowOffer

__all__ = ["speak_phone", "speak_time", "speak_window"]


def speak_time(hhmm: str) -> str:
    """"08:00" → "8 AM", "12:00" → "noon", "13:30" → "1:30 PM"."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    if hour == 12 and minute == 0:
        return "noon"
    if hour in (0, 24) and minute == 0:
        return "midnight"
    suffix = "AM" if hour < 12 else "PM"
    h12 = hour % 12 or 12
    return f"{h12} {suffix}" if minute == 0 else f"{h12}:{minute:02d} {suffix}"


def speak_window(offer: WindowOffer, now: dt.datetime, tz: str) -> str:
    """"tomorrow, Friday November 27, between 8 AM and noon"."""
    today = now.astimezone(ZoneInfo(tz)).date()
    day = f"{offer.date:%A} {offer.date:%B} {offer.date.day}"
    delta = (offer.date - today).days
    if delta == 0:
        day = f"today, {day}"
    elif delta == 1:
        day = f"tomorrow, {day}"
    start, _, end = offer.window.partition("-")
    return f"{day}, between {speak_time(start)} and {speak_time(end)}"
