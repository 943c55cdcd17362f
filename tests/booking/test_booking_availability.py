"""Calendar rules for offerable windows (pure: a fixed 'now', the demo profile)."""

from __future__ import annotations

import datetime as dt

import pytest
from booking_support import AFTERNOON, CHICAGO, MORNING, TUESDAY, TUESDAY_0630, WEDNESDAY

from hvac_agent.booking.availability import candidate_windows, is_bookable, last_bookable_date, local_today
from hvac_agent.config import BusinessProfile


def first(profile: BusinessProfile, now: dt.datetime, n: int = 3, **kwargs: object) -> list[tuple[dt.date, str]]:
    found = []
    for cand in candidate_windows(profile, now, **kwargs):  # type: ignore[arg-type]
        found.append((cand.date, cand.window))
        if len(found) == n:
            break
    return found


def test_early_morning_offers_today_first() -> None:
    assert first(BusinessProfile(), TUESDAY_0630) == [
        (TUESDAY, MORNING),
        (TUESDAY, AFTERNOON),
        (WEDNESDAY, MORNING),
    ]


def test_window_inside_lead_time_is_not_offered() -> None:
    now = dt.datetime(2026, 12, 1, 7, 30, tzinfo=CHICAGO)  # 08:00 starts in 30 min < 60 min lead
    assert first(BusinessProfile(), now, 1) == [(TUESDAY, AFTERNOON)]
    at_lead = dt.datetime(2026, 12, 1, 7, 0, tzinfo=CHICAGO)  # exactly the lead time: still fine
    assert first(BusinessProfile(), at_lead, 1) == [(TUESDAY, MORNING)]
    assert first(BusinessProfile(min_lead_minutes=0), now, 1) == [(TUESDAY, MORNING)]


def test_started_windows_are_past() -> None:
    now = dt.datetime(2026, 12, 1, 12, 5, tzinfo=CHICAGO)
    assert first(BusinessProfile(), now, 1) == [(WEDNESDAY, MORNING)]
    assert not is_bookable(BusinessProfile(), now, TUESDAY, AFTERNOON)
    assert not is_bookable(BusinessProfile(), now, TUESDAY - dt.timedelta(days=1), MORNING)


def test_sunday_is_closed_in_demo_profile() -> None:
    saturday_evening = dt.datetime(2026, 12, 5, 17, 0, tzinfo=CHICAGO)
    monday = dt.date(2026, 12, 7)
    assert first(BusinessProfile(), saturday_evening, 2) == [(monday, MORNING), (monday, AFTERNOON)]
    assert not is_bookable(BusinessProfile(), saturday_evening, dt.date(2026, 12, 6), MORNING)


def test_closed_dates_are_skipped() -> None:
    profile = BusinessProfile(closed_dates=[TUESDAY])
    assert first(profile, TUESDAY_0630, 1) == [(WEDNESDAY, MORNING)]
    assert not is_bookable(profile, TUESDAY_0630, TUESDAY, AFTERNOON)


def test_business_local_date_not_utc() -> None:
    # 03:00 UTC on Wednesday is still Tuesday 21:00 in Austin.
    now = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
    assert local_today(BusinessProfile(), now) == TUESDAY
    assert first(BusinessProfile(), now, 1) == [(WEDNESDAY, MORNING)]


def test_horizon_bounds_offers() -> None:
    profile = BusinessProfile(booking_horizon_days=3)
    assert last_bookable_date(profile, TUESDAY_0630) == dt.date(2026, 12, 4)
    every = list(candidate_windows(profile, TUESDAY_0630))
    assert {c.date for c in every} == {TUESDAY, WEDNESDAY, dt.date(2026, 12, 3), dt.date(2026, 12, 4)}
    assert is_bookable(profile, TUESDAY_0630, dt.date(2026, 12, 4), MORNING)
    assert not is_bookable(profile, TUESDAY_0630, dt.date(2026, 12, 5), MORNING)


def test_part_of_day_not_before_and_excluded_dates() -> None:
    profile = BusinessProfile()
    assert first(profile, TUESDAY_0630, 2, part_of_day="afternoon") == [
        (TUESDAY, AFTERNOON),
        (WEDNESDAY, AFTERNOON),
    ]
    assert first(profile, TUESDAY_0630, 1, part_of_day="morning", not_before=dt.date(2026, 12, 3)) == [
        (dt.date(2026, 12, 3), MORNING)
    ]
    assert first(profile, TUESDAY_0630, 1, exclude_dates=[TUESDAY, WEDNESDAY]) == [(dt.date(2026, 12, 3), MORNING)]
    with pytest.raises(ValueError):
        first(profile, TUESDAY_0630, 1, part_of_day="evening")


def test_unknown_window_label_is_not_bookable() -> None:
    assert not is_bookable(BusinessProfile(), TUESDAY_0630, WEDNESDAY, "09:00-11:00")
    assert is_bookable(BusinessProfile(), TUESDAY_0630, WEDNESDAY, MORNING)


def test_start_times_are_aware_and_local() -> None:
    cand = next(candidate_windows(BusinessProfile(), TUESDAY_0630))
    assert cand.starts_at == dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        list(candidate_windows(BusinessProfile(), dt.datetime(2026, 12, 1, 6, 30)))


def test_weekday_windows_and_same_day_cutoff() -> None:
    from hvac_agent.business.calendar import WindowSpec

    saturday = dt.date(2026, 12, 5)
    short_saturday = BusinessProfile(weekly_windows={"Saturday": [WindowSpec(start="09:00", end="13:00")]})
    friday_evening = dt.datetime(2026, 12, 4, 18, 0, tzinfo=CHICAGO)
    assert first(short_saturday, friday_evening, 2) == [(saturday, "09:00-13:00"), (dt.date(2026, 12, 7), MORNING)]
    assert not is_bookable(short_saturday, friday_evening, saturday, MORNING)
    cutoff = BusinessProfile(same_day_cutoff="07:00")
    assert first(cutoff, TUESDAY_0630, 1) == [(TUESDAY, MORNING)]
    after_cutoff = dt.datetime(2026, 12, 1, 7, 15, tzinfo=CHICAGO)  # the afternoon is still hours away
    assert first(cutoff, after_cutoff, 1) == [(WEDNESDAY, MORNING)]
