"""What the model may not say, enforced on its words sentence by sentence before they are spoken.

- no price but the profile's dispatch fee (no other amount, nothing "free", no discounts);
- no claim that a visit is booked, cancelled or moved unless code did it this call;
- no exact arrival time (visits have windows).
A sentence that breaks a rule is dropped; a price question gets the fee sentence instead, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.nlu.numbers import words_to_digits

_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|thousand"
)
_WORD_RUN = re.compile(rf"\b(?:(?:{_NUMBER_WORDS})(?:[\s-]+(?:and[\s-]+)?)?)+\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONEY_CONTEXT = re.compile(
    r"\$|\bdollars?\b|\bbucks\b|\bcosts?\b|\bprice[sd]?\b|\bcharge[sd]?\b|\bfees?\b|\bpay\b|\brate\b|\bquote\b",
    re.IGNORECASE,
)
_FREEBIE = re.compile(
    r"\bfree\b|\bno (?:charge|cost|fee)\b|\bdiscount|\bwaive|\bcomplimentary\b|\bon the house\b|"
    r"\bcoupon|\bpercent off\b|%\s*off\b|\bat no\b|\bspecial (?:offer|price|deal)\b|\bcheaper\b",
    re.IGNORECASE,
)
_DONE_CLAIM = re.compile(
    r"\b(?:you'?re|you are|you'?ve been|i'?ve|i have|it'?s|it is|that'?s|is now|has been|have been|all)"
    r"\s+(?:all\s+|now\s+|been\s+)?(?:booked|scheduled|confirmed|cancell?ed|rescheduled|set)\b",
    re.IGNORECASE,
)
_EXACT_TIME = re.compile(
    r"\b(?:at|by|around|exactly)\s+(?:\d{1,2}(?::\d{2})?|" + _NUMBER_WORDS + r")\s*(?:a\.?m\.?|p\.?m\.?|o'?clock)",
    re.IGNORECASE,
)


def _amounts(sentence: str) -> list[int]:
    values = []
    for match in _DIGITS.finditer(sentence):
        try:
            values.append(round(float(match.group().replace(",", ""))))
        except ValueError:
            continue
    for match in _WORD_RUN.finditer(sentence):
        digits = words_to_digits(match.group())
        if digits.isdigit():
            values.append(int(digits))
    return values


@dataclass
class SpeechGuard:
    """One per turn. `check(sentence)` returns what may be spoken instead (possibly nothing)."""

    profile: BusinessProfile
    allow_done_claims: bool = False
    dropped: list[str] = field(default_factory=list)
    _fee_said: bool = False

    def check(self, sentence: str) -> str:
        reason = self._violation(sentence)
        if reason is None:
            return sentence
        self.dropped.append(reason)
        if reason in ("price", "freebie") and not self._fee_said:
            self._fee_said = True
            return scripts.no_quotes(self.profile)
        return ""

    def _violation(self, sentence: str) -> str | None:
        if _FREEBIE.search(sentence):
            return "freebie"
        if _MONEY_CONTEXT.search(sentence):
            if any(a != self.profile.dispatch_fee for a in _amounts(sentence)):
                return "price"
        if _EXACT_TIME.search(sentence):
            return "exact_time"
        if not self.allow_done_claims and _DONE_CLAIM.search(sentence):
            return "unbacked_claim"
        return None
