"""Which arrival windows may be offered or booked at a given moment: pure calendar rules
(the profile's weekday windows, holidays, horizon, same-day cut-off and lead time).

Dates are business-local (the profile's time zone). Capacity is not considered here; the service
combines these candidates with the `window_capacity` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from hvac_agent.config import ArrivalWindow, BusinessProfile

PartOfDay = Literal["morning", "afternoon"]
_NOON = dt.time(12, 0)


@dataclass(frozen=True, slots=True)
class CandidateWindow:
    """A window on a business-local date, with its start as an aware datetime."""

    date: dt.date
    window: str  # label, "08:00-12:00"
    starts_at: dt.datetime


def local_today(profile: BusinessProfile, now: dt.datetime) -> dt.date:
    """Today's date in the business's time zone."""
    _require_aware(now)
    return now.astimezone(profile.tz).date()


def last_bookable_date(profile: BusinessProfile, now: dt.datetime) -> dt.date:
    """The horizon: bookings go at most `booking_horizon_days` after today (inclusive)."""
    return local_today(profile, now) + dt.timedelta(days=profile.booking_horizon_days)


def window_start(profile: BusinessProfile, day: dt.date, window: ArrivalWindow) -> dt.datetime:
    return dt.datetime.combine(day, window.start_time, tzinfo=profile.tz)


def matches_part_of_day(window: ArrivalWindow, part_of_day: str | None) -> bool:
    """Morning windows start before noon; afternoon windows start at noon or later."""
    if part_of_day is None:
        return True
    if part_of_day == "morning":
        return window.start_time < _NOON
    if part_of_day == "afternoon":
        return window.start_time >= _NOON
    raise ValueError(f"part_of_day must be 'morning' or 'afternoon', got {part_of_day!r}")


def is_bookable(profile: BusinessProfile, now: dt.datetime, day: dt.date, label: str) -> bool:
    """True when `label` is one of the profile's windows and may still be booked on `day`."""
    window = profile.window_by_label(label, day)
    if window is None:
        return False
    return _calendar_ok(profile, now, day, window)


def candidate_windows(
    profile: BusinessProfile,
    now: dt.datetime,
    *,
    not_before: dt.date | None = None,
    exclude_dates: Iterable[dt.date] | None = None,
    part_of_day: str | None = None,
) -> Iterator[CandidateWindow]:
    """Every window that may be offered, soonest first, up to the booking horizon."""
    today = local_today(profile, now)
    excluded = frozenset(exclude_dates or ())
    day = max(today, not_before) if not_before else today
    last = last_bookable_date(profile, now)
    local = now.astimezone(profile.tz)
    while day <= last:  # within the horizon, and a day with windows is open: only the hour rules remain
        if day not in excluded:
            for window in profile.windows_on(day):
                if matches_part_of_day(window, part_of_day) and _hours_ok(profile, now, local, day, window):
                    yield CandidateWindow(day, window.label, window_start(profile, day, window))
        day += dt.timedelta(days=1)


def _calendar_ok(profile: BusinessProfile, now: dt.datetime, day: dt.date, window: ArrivalWindow) -> bool:
    _require_aware(now)
    if not profile.is_open_on(day):
        return False
    if not local_today(profile, now) <= day <= last_bookable_date(profile, now):
        return False
    return _hours_ok(profile, now, now.astimezone(profile.tz), day, window)


def _hours_ok(
    profile: BusinessProfile, now: dt.datetime, local: dt.datetime, day: dt.date, window: ArrivalWindow
) -> bool:
    """The same-day cut-off and the lead time (`local` is `now` in the business's time zone)."""
    cutoff = profile.same_day_cutoff
    if cutoff and day == local.date() and local.time() >= dt.time.fromisoformat(cutoff):
        return False
    lead = dt.timedelta(minutes=profile.min_lead_minutes)
    return window_start(profile, day, window) - now >= lead


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("availability needs an aware 'now'")
