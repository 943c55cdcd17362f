"""The day view: each day's arrival windows against capacity, with the appointments in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hvac_agent.booking.availability import local_today
from hvac_agent.booking.schemas import AppointmentOut
from hvac_agent.booking.service import BookingService
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue.state import WindowOffer


@dataclass
class WindowRow:
    label: str
    capacity: int
    booked: int  # places taken (booked and completed visits)
    appointments: list[AppointmentOut] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.booked / self.capacity)) if self.capacity else 100


@dataclass
class DayColumn:
    date: dt.date
    open: bool
    windows: list[WindowRow]
    cancelled: list[AppointmentOut]


async def day_board(
    booking: BookingService, profile: BusinessProfile, now: dt.datetime, start: dt.date | None, days: int
) -> list[DayColumn]:
    """`days` days from `start` (default: today, business-local)."""
    first = start or local_today(profile, now)
    last = first + dt.timedelta(days=days - 1)
    counts = await booking.booked_counts(first, last)
    columns = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        found = await booking.list_appointments(date=day)
        labels = [w.label for w in profile.windows_on(day)]
        # Windows no longer in the profile still show the visits booked in them.
        labels += sorted({a.window for a in found if a.window not in labels})
        rows = []
        for label in labels:
            # Capacity as the profile has it for that date (weekday, overrides), in job units.
            _, booked = counts.get((day, label), (0, 0))
            capacity = profile.capacity_units(day, label)
            in_window = [a for a in found if a.window == label and a.status != "cancelled"]
            rows.append(WindowRow(label=label, capacity=capacity, booked=booked, appointments=in_window))
        cancelled = [a for a in found if a.status == "cancelled"]
        columns.append(DayColumn(date=day, open=profile.is_open_on(day), windows=rows, cancelled=cancelled))
    return columns


async def move_targets(booking: BookingService, limit: int = 12) -> list[WindowOffer]:
    """Windows an appointment may be moved to: open and bookable now, soonest first."""
    return await booking.open_windows(limit=limit)
