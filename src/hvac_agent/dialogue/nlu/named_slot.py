"""Corrections that name their slot land on it, whatever question was being asked.

"oh sorry the house number is actually 4412 not 4410" said at the unit question is a new house
number, not unit 4412; "the zip I said should be 78759" at the phone question is a ZIP, not a
phone. The slot named in the words wins over the slot the question expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hvac_agent.dialogue.nlu.text import Utterance

_ADDRESS = re.compile(
    r"\b(?:house number|street number|address number|the number on the house|address|(?:wrong|the) house)\b"
)
# A house number with a street name after it: "that should be 4411 duval".
_NUMBER_AND_STREET = re.compile(
    r"\b\d{3,5} (?!(?:not|no|and|or|is|it|the|please|sorry|instead|thanks|thank|okay|ok|right|yes|yeah)\b)[a-z]{3,}"
)
_ZIP = re.compile(r"\bzip(?: code)?\b")
# A slot the caller says is right is not the one corrected: "the zip is right but the house number …"
_AFFIRMED = re.compile(
    r"\b(?:the )?(zip(?: code)?|address|street|house number|phone|number)(?:'s| is| was)? "
    r"(?:right|fine|correct|good|ok|okay)\b"
)
_PHONE = re.compile(r"\b(?:phone|cell|callback|call back|digits|area code|(?:my|the) number (?:is|should|ends|was))\b")
_CUE = re.compile(
    r"\b(?:actually|sorry|wrong|not|isn'?t|wasn'?t|should (?:be|end|start)|should(?: have|'ve) been|i said|"
    r"did i say|i meant|mistake|messed up|make that|correct(?:ion)?)\b"
    # Naming the house number or the address anew is a correction by itself once we have one.
    r"|\b(?:house|street|address) number(?:'s| is| should| was)\b|\bthe address(?:'s| is| was)\b"
    # "everything's right except …", "only the number is …", "that's off"
    r"|\bexcept\b|\bonly the\b|\b(?:that'?s|it'?s|is|was) off\b"
)
# A number the caller is taking back: "not 4410", "I said 8822" (unless "i meant 4110, not 4410":
# the number meant is kept when every number would be taken back otherwise).
_TAKEN_BACK = frozenset({"not", "said", "say", "meant", "from", "isn't", "wasn't", "ain't"})
_SURELY_TAKEN_BACK = frozenset({"not", "from"})


@dataclass(frozen=True)
class NamedCorrection:
    slot: str  # "address" (a house number) or "zip"
    value: str


def named_correction(utt: Utterance, zip_heard: bool = False, asked_address: bool = False) -> NamedCorrection | None:
    """A house number or ZIP corrected by name, when the words say which slot they correct.

    `zip_heard`: the address extractor took one of the numbers for a ZIP, so a bare five-digit
    "78730, not 78731" corrects the ZIP, not the house number. `asked_address`: the address or the
    unit was being asked for, so "the number is 4401" is the house's number, not the phone's."""
    if not _CUE.search(utt.norm):
        return None
    affirmed = {m.group(1) for m in _AFFIRMED.finditer(utt.norm)}
    says_zip = _ZIP.search(utt.norm) and not any(a.startswith("zip") for a in affirmed)
    kept = [r.digits for r in utt.runs if not (r.index > 0 and utt.dig_tokens[r.index - 1] in _TAKEN_BACK)]
    if not kept:
        kept = [r.digits for r in utt.runs if not (r.index > 0 and utt.dig_tokens[r.index - 1] in _SURELY_TAKEN_BACK)]
    if says_zip:
        five = [d for d in kept if len(d) == 5] or [z for d in kept if (z := _ends_then_whole(d))]
        # "I gave you 78751 earlier but it's 78752": the last one said is the one meant
        return NamedCorrection("zip", five[-1]) if five else None
    house_meant = asked_address and re.search(r"\bthe number(?:'s| is| should be| was)\b", utt.norm)
    if _PHONE.search(utt.norm) and not _ADDRESS.search(utt.norm) and not house_meant:
        return None  # "the phone number should end in 0124": the phone's own correction
    said_back = re.search(r"\b(?:i said|you said|you have|you got|you wrote|not) \d{3,6}\b", utt.dig)
    street_named = re.search(r"\bstreet(?:'s| is| name)\b", utt.norm)  # a new street, not a new number
    number_and_street = _NUMBER_AND_STREET.search(utt.dig) and not _PHONE.search(utt.norm) and not street_named
    if _ADDRESS.search(utt.norm) or said_back or number_and_street or house_meant:
        numbers = [d for d in kept if 1 <= len(d) <= 6]
        named = _ADDRESS.search(utt.dig)
        if named and (zip_heard or any(len(d) == 5 for d in numbers)):
            # "78751 and the street number isn't 4410 it's 4110": the number after the slot named.
            after = [r.digits for r in utt.runs if r.digits in numbers and r.index >= utt.dig[: named.end()].count(" ")]
            numbers = after or numbers
        if numbers and zip_heard and len(numbers[0]) == 5 and not _ADDRESS.search(utt.norm):
            # "I gave you 78751 earlier but it's 78752": of two ZIPs the one said last is meant
            return NamedCorrection("zip", [d for d in numbers if len(d) == 5][-1])
        return NamedCorrection("address", numbers[0]) if numbers else None
    return None


def _ends_then_whole(digits: str) -> str | None:
    """ "it should end in five three, seven eight seven five three" runs together as 5378753: the
    ending said, then the whole ZIP that ends in it."""
    extra = len(digits) - 5
    if 1 <= extra <= 3 and digits[-extra:] == digits[:extra]:
        return digits[extra:]
    return None
