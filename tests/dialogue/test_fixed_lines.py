"""Which of the agent's lines may be kept as audio beyond the call (the stream-mode phrase cache):
only the script's fixed lines, never one that carries the caller's name, number, street, unit, ZIP,
problem or appointment. Checked on whole conversations of the rules core, sentence by sentence —
the pieces stream mode hands to text-to-speech — through the cache's own rule (`is_fixed`)."""

from __future__ import annotations

import datetime as dt
import re

from hvac_agent.business.calendar import Holiday
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.fixed_lines import allow_phrases
from hvac_agent.llm.splitter import split_sentences
from hvac_agent.voice.phrase_cache import is_fixed
from tests.dialogue.conftest import Conversation

# The caller's data as the agent speaks it: name, number read back digit by digit ("5 1 2, 5 5 5,
# 0 1 2 3"), street ("two hundred Main Street" or "200 Main Street"), unit, ZIP digit by digit,
# the problem in their words, and their window ("between 8 AM and noon", "tomorrow", a weekday).
PERSONAL = re.compile(
    r"Robert|Brown|5 1 2|0 1 2 3|Main Street|Apt 4|7 8 7 0 1|grinding|between|tomorrow|today|"
    r"Wednesday|Thursday|December",
    re.IGNORECASE,
)
BOOKING = [
    "my heat pump is making a grinding noise",
    "robert brown",
    "yes",
    "200 main street apartment 4 78701",
    "no",
    "the first one",
    "yes",
]


async def _said(c: Conversation, lines: list[str]) -> list[str]:
    said = [(await c.start()).say]
    for line in lines:
        said.append((await c.say(line)).say)
    return [sentence for text in said for sentence in split_sentences(text)]


def _classified(said: list[str]) -> tuple[set[str], set[str]]:
    allow_phrases(scripts.fixed_sentences(BusinessProfile()))
    personal = {s for s in said if PERSONAL.search(s)}
    return personal, {s for s in said if is_fixed(s)}


async def test_a_booking_and_a_returning_callers_cancel_keep_no_caller_data_in_a_fixed_line() -> None:
    first = Conversation()
    said = await _said(first, BOOKING)
    assert first.state.outcome == "booked", said
    again = Conversation(booking=first.booking)  # the same number calls back: a returning caller
    said += await _said(again, ["my heat pump is making a grinding noise", "robert brown"])
    cancel = Conversation(booking=first.booking)
    said += await _said(cancel, ["I need to cancel my appointment"])

    personal, fixed = _classified(said)
    assert not personal & fixed
    # the lines that carry the caller's data were said (so the check above means something)
    assert any(s.startswith("Is the number you're calling from, 5 1 2, 5 5 5, 0 1 2 3,") for s in personal)
    assert any(s.startswith("Name: Robert Brown") for s in personal)  # the read-back
    assert any(s.startswith("Problem: ") for s in personal)
    assert any("Main Street again?" in s for s in personal)  # the returning caller's street
    assert any(s.startswith("A technician will arrive") for s in personal)  # booked: window, number
    assert any(s.startswith("I found your appointment") for s in personal)
    # and the script's fixed lines are cacheable: greeting, questions, fee, goodbye
    assert {
        "Comfort Zone Heating & Air, virtual assistant here.",
        "Welcome back!",
        "How can I help?",
        "May I have your first and last name?",
        "What's the street address where you need service, including the ZIP code?",
        "Shall I book it?",
        "Thanks for calling Comfort Zone Heating & Air.",
        "Goodbye.",
    } <= fixed
    assert scripts.fee_sentence(BusinessProfile()) in fixed


async def test_partial_numbers_heard_names_and_streets_and_out_of_area_zips_are_never_fixed() -> None:
    c = Conversation(caller_id=None)
    said = await _said(c, ["my furnace stopped working", "robert brown", "5 1 2 5 5"])
    assert any(s.startswith("I have 5 1 2 5 5 so far") for s in said)
    allow_phrases(scripts.fixed_sentences(BusinessProfile()))
    lines = [
        scripts.heard_name_as("Robert Brown"),
        scripts.heard_address_as("200 Main Street"),
        scripts.out_of_area(BusinessProfile(), "90210"),
        scripts.caller_id_question("+15125550123"),
        scripts.number_so_far("51255"),
        *said,
    ]
    data = [s for line in lines for s in split_sentences(line) if re.search(r"Robert|Main|9 0 2 1 0|5 1 2", s)]
    assert len(data) >= 5 and not any(is_fixed(s) for s in data)
    assert not is_fixed("Thanks, Robert.")  # a model's own words are never fixed
    assert not is_fixed(" ".join(lines))


def test_the_business_profile_s_own_lines_are_fixed_and_follow_its_changes() -> None:
    profile = BusinessProfile(
        name="Polar Bear Cooling",
        greeting="Polar Bear Cooling, this is the virtual assistant. How can I help?",
        dispatch_fee=75,
        holidays=[Holiday(date=dt.date(2026, 12, 25), name="Christmas")],
    )
    allow_phrases(scripts.fixed_sentences(profile))
    assert is_fixed(scripts.greeting(profile))
    assert is_fixed(scripts.goodbye(profile)) and is_fixed(scripts.fee_sentence(profile))
    assert is_fixed(scripts.closed_day(profile, "Christmas"))
    assert is_fixed(scripts.transfer("requested")) and is_fixed(scripts.emergency(profile, "gas"))
    assert not is_fixed(scripts.goodbye(BusinessProfile()))  # another business's name
    assert is_fixed("Okay.")  # the acknowledgements, whatever the script
    allow_phrases(frozenset())
    assert not is_fixed(scripts.greeting(profile)) and is_fixed("Okay.")
