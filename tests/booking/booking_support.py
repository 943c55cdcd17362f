"""Shared constants and builders for the booking tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hvac_agent.dialogue.state import BookingRequest

CHICAGO = ZoneInfo("America/Chicago")
# Tuesday 1 December 2026, 06:30 in Austin: today's 08:00 window is still bookable.
TUESDAY_0630 = dt.datetime(2026, 12, 1, 6, 30, tzinfo=CHICAGO)
TUESDAY = dt.date(2026, 12, 1)
WEDNESDAY = dt.date(2026, 12, 2)
MORNING = "08:00-12:00"
AFTERNOON = "12:00-16:00"


def request_for(call_sid: str, *, date: dt.date = TUESDAY, window: str = MORNING, **changes: object) -> BookingRequest:
    base = BookingRequest(
        call_sid=call_sid,
        customer_name="Dana Kim",
        phone="+15125550123",
        address="4410 Duval Street",
        unit=None,
        zip="78751",
        issue="furnace stopped working",
        issue_category="no_heat",
        urgency="routine",
        date=date,
        window=window,
    )
    return base.model_copy(update=changes)
