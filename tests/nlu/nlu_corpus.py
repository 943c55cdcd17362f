"""The understanding corpus: utterances as phone speech recognisers write them, with what they mean.

Shared by tests/nlu/test_nlu_corpus.py (one pytest case each) and bench/understanding.py (accuracy
per extractor). Every case lists only the fields it is about; a field set to None must be absent.
Reference time: Thursday 2026-11-26 09:00 in America/Chicago.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hvac_agent.dialogue.nlu import NluContext, Understanding, understand
from hvac_agent.dialogue.state import WindowOffer

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)  # Thursday, 09:00 in Austin
TZ = "America/Chicago"
D = dt.date
THU, FRI, SAT, SUN, MON, TUE, WED = (D(2026, 11, 26 + k) if 26 + k <= 30 else D(2026, 12, 26 + k - 30)
                                     for k in range(7))
OFFERED = [
    WindowOffer(date=FRI, window="08:00-12:00"),
    WindowOffer(date=FRI, window="12:00-16:00"),
    WindowOffer(date=MON, window="08:00-12:00"),
]


@dataclass(frozen=True)
class Case:
    extractor: str
    text: str
    want: dict[str, Any]
    expect: str | None = None
    ctx: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.extractor}:{self.text[:50]}"


def context(case: Case) -> NluContext:
    values: dict[str, Any] = {"now": NOW, "timezone": TZ, "expect": case.expect}
    if case.expect == "window" and "offered" not in case.ctx:
        values["offered"] = OFFERED
    values.update(case.ctx)
    return NluContext(**values)


def mismatches(case: Case, got: Understanding) -> list[str]:
    """What differs from the expectation; empty when the case passes."""
    bad: list[str] = []
    for key, want in case.want.items():
        if key == "issue_has":
            have = (got.issue or "").lower()
            if want.lower() not in have:
                bad.append(f"issue {got.issue!r} lacks {want!r}")
            continue
        if key == "reasons_has":
            if not any(want in r for r in got.urgency_reasons):
                bad.append(f"urgency_reasons {got.urgency_reasons!r} lack {want!r}")
            continue
        if key == "frustration_min":
            if got.frustration < want:
                bad.append(f"frustration {got.frustration} < {want}")
            continue
        if key == "frustration_max":
            if got.frustration > want:
                bad.append(f"frustration {got.frustration} > {want}")
            continue
        if key == "window" and isinstance(want, dict):
            if got.window is None:
                bad.append(f"window None, want {want}")
                continue
            for wk, wv in want.items():
                gv = getattr(got.window, wk)
                if gv != wv:
                    bad.append(f"window.{wk} {gv!r} != {wv!r}")
            continue
        have = getattr(got, key)
        if key == "corrected":
            if sorted(have) != sorted(want):
                bad.append(f"corrected {have!r} != {want!r}")
            continue
        if have != want:
            bad.append(f"{key} {have!r} != {want!r}")
    return bad


def run(case: Case) -> tuple[Understanding, list[str]]:
    got = understand(case.text, context(case))
    return got, mismatches(case, got)


CASES: list[Case] = []


def c(extractor: str, text: str, expect: str | None = None, ctx: dict[str, Any] | None = None,
      **want: Any) -> None:
    CASES.append(Case(extractor, text, want, expect, ctx or {}))


# ---- numbers and phone ---------------------------------------------------------------------------
P = "+15125550123"
c("phone", "five one two five five five oh one two three", "phone", phone=P)
c("phone", "my number is 512-555-0123.", None, phone=P)
c("phone", "it's 512 555 0123", "phone", phone=P)
c("phone", "five one two five five five zero one two three", "phone", phone=P)
c("phone", "one five one two five five five oh one two three", "phone", phone=P)
c("phone", "+1 512 555 0123", "phone", phone=P)
c("phone", "five one two double five five oh one two three", "phone", phone=P)
c("phone", "five one two triple five oh one two three", "phone", phone=P)
c("phone", "five twelve five five five oh one twenty three", "phone", phone=P)
c("phone", "area code five one two then five five five oh one two three", "phone", phone=P)
c("phone", "um five one two five five five", "phone", phone=None, phone_digits="512555")
c("phone", "oh one two three", "phone", ctx={"pending_phone_digits": "512555"}, phone=P)
c("phone", "yes this number", "phone_confirm", use_caller_id=True, phone=None)
c("phone", "the one i'm calling from", "phone", use_caller_id=True)
c("phone", "five one two for five five oh one two three", "phone", phone="+15124550123")
c("phone", "my cell is five one two five five five o one two three", None, phone=P)

# ---- names ---------------------------------------------------------------------------------------
c("names", "my name is dana kim", None, name="Dana Kim")
c("names", "this is about my furnace", None, name=None)
c("names", "this is dana kim calling about my furnace", None, name="Dana Kim")
c("names", "dana kim", "name", name="Dana Kim")
c("names", "it's kim k i m", "name", name="Kim")
c("names", "my name is d as in david a n a", None, name="Dana")

# ---- address -------------------------------------------------------------------------------------
c("address", "4410 duval street", "address", street="4410 Duval Street")
c("address", "forty four ten duval street", "address", street="4410 Duval Street")
c("address", "seven eight seven five one", "zip", zip="78751")
c("address", "twelve oh five east thirty fifth street apartment two b", "address",
  street="1205 East 35th Street", unit="Apt 2B")

# ---- dates / windows -----------------------------------------------------------------------------
c("dates", "the first one", "window", window={"offer_index": 0})
c("dates", "tomorrow morning", "window", window={"offer_index": 0, "date": FRI, "part_of_day": "morning"})
c("dates", "monday works", "window", window={"offer_index": 2, "date": MON})
c("dates", "not monday", "window", window={"exclude_dates": [MON], "offer_index": None})

# ---- yes / no ------------------------------------------------------------------------------------
c("yesno", "yeah that's right", "confirm", yes_no="yes")
c("yesno", "uh huh", "confirm", yes_no="yes")
c("yesno", "nope", "confirm", yes_no="no")
c("yesno", "that's wrong", "confirm", yes_no="no")
c("yesno", "yes but the number is five one two five five five oh one three two", "confirm",
  yes_no=None, correction=True, corrected=["phone"], phone="+15125550132")

# ---- intents -------------------------------------------------------------------------------------
c("intents", "i want to talk to a representative", "intent", intent="human")
c("intents", "can i speak to a real person", None, intent="human")
c("intents", "i need to cancel my appointment", "intent", intent="cancel")

# ---- emergency -----------------------------------------------------------------------------------
c("emergency", "i smell gas in the house", None, emergency="gas")
c("emergency", "no gas smell", "yes_no", emergency=None)
c("emergency", "it doesn't smell like gas", "yes_no", emergency=None)
c("emergency", "the carbon monoxide alarm is going off", None, emergency="carbon_monoxide")
c("emergency", "there's smoke coming out of the furnace", None, emergency="smoke_fire")
c("emergency", "no smoke", "yes_no", emergency=None)

# ---- issues --------------------------------------------------------------------------------------
c("issues", "my furnace is out", None, issue_category="no_heat", issue_has="furnace is out")
c("issues", "the ac isn't cooling", None, issue_category="no_cooling")

# ---- combined ------------------------------------------------------------------------------------
c("combined", "I'm Dana Kim at 512 555 0123, my furnace is out at 4410 Duval Street 78751", None,
  name="Dana Kim", phone=P, issue_category="no_heat", street="4410 Duval Street", zip="78751",
  issue_has="furnace is out")
