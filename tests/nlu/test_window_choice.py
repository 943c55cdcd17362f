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


@pytest.mark.parametrize(
    ("text", "between"),
    [
        ("tuesday", [0, 1]),  # two windows on tuesday: the caller is asked which
        ("uh tuesday i guess", [0, 1]),
        ("december first works", [0, 1]),
        ("the first of december", [0, 1]),
        ("mornings are best, i work afternoons", [0, 2]),  # two mornings offered
        ("in the morning please", [0, 2]),
    ],
)
def test_a_day_or_a_part_that_fits_two_offers_is_unsure(text: str, between: list[int]) -> None:
    ctx = NluContext(expect="window", now=NOW, tz="America/Chicago", offered=OFFERED)
    window = understand(text, ctx).window
    assert window is not None and window.offer_index is None and window.between == between


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("tuesday in the afternoon", 1),  # the day and the part together fit one offer
        ("wednesday is good", 2),  # one offer on wednesday
        ("the afternoon", 1),  # one afternoon offered
        ("any time tuesday is fine", 0),  # the caller takes either: no need to ask
        ("tuesday, either one works", 0),
        ("mornings, whichever day", 0),
        ("tuesday or wednesday", 0),  # two days said: the caller takes either, the first is given
        ("the earliest on tuesday", 0),
        ("the later tuesday one", 1),
        ("1st of december in the afternoon", 1),
    ],
)
def test_a_window_the_words_fit_alone_or_the_caller_takes_either_is_picked(text: str, index: int) -> None:
    ctx = NluContext(expect="window", now=NOW, tz="America/Chicago", offered=OFFERED)
    window = understand(text, ctx).window
    assert window is not None and window.offer_index == index and window.between == []
