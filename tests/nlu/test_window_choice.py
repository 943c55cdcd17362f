"""Window choices that name a day and an ordinal or a part of the day together.

Offers as the agent says them: Tuesday 8–12, Tuesday 12–4, Wednesday 8–12. Fresh lines, not from
the held-out batches.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hvac_agent.dialogue.nlu import understand
from hvac_agent.dialogue.nlu.types import NluContext
from hvac_agent.dialogue.state import WindowOffer

OFFERED = [
    WindowOffer(date=dt.date(2026, 12, 1), window="08:00-12:00"),
    WindowOffer(date=dt.date(2026, 12, 1), window="12:00-16:00"),
    WindowOffer(date=dt.date(2026, 12, 2), window="08:00-12:00"),
]
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("the second slot on tuesday", 1),  # the ordinal counts among tuesday's offers
        ("tuesday, the latter one", 1),
        ("the earlier tuesday one", 0),
        ("the first time on wednesday", 2),  # wednesday has one offer
        ("wednesday first thing in the morning", 2),  # "first thing" is not the 1st of the month
        ("thursday the third", None),  # a day not offered picks nothing
        ("the last one", 2),
    ],
)
def test_an_ordinal_with_a_day_picks_within_that_day(text: str, index: int | None) -> None:
    ctx = NluContext(expect="window", now=NOW, tz="America/Chicago", offered=OFFERED)
    window = understand(text, ctx).window
    assert (window.offer_index if window else None) == index
