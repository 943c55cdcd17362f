"""One utterance, normalised once and shared by every extractor.

Speech recognisers deliver lower-case words without punctuation, sometimes Twilio-style punctuation
and digits; both are folded into the same token stream so each extractor matches one form.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from hvac_agent.caller_caches import caller_text_cache
from hvac_agent.dialogue.nlu.gate import Gated
from hvac_agent.dialogue.nlu.numbers import DigitRun, digitize

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
# Digit groups written with separators ("512-555-0123", "(512) 555.0123") become space-separated
# digit groups so they read like spoken digits.
_DIGIT_SEP = re.compile(r"(?<=\d)[\-\.\u2013/](?=\d)")
_CLOCK = Gated(re.compile(r"\b(\d{1,2}):(\d{2})\b"), (":",))  # "8:00 a.m." → "8 a m"
_SLASH_DATE = Gated(re.compile(r"\b(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])\b(?!/)"), ("/",))  # "12/1" → "december 1th"
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_NON_WORD = re.compile(r"[^a-z0-9'#+ ]+")
_SPACES = re.compile(r"\s+")
_SPACED_UNIT = re.compile(r"#\s*(\d(?:\s+\d)+)\b")
_HASH_GAP = re.compile(r"#\s+(?=\d)")
_LONE_SIGN = re.compile(r"[+#](?!\d)")
_LONE_QUOTE = Gated(
    re.compile(
        r"(?<![a-z0-9])'|'(?![a-z])",
    ),
    ("'",),
)
# Pure hesitation sounds: never meaningful. "like" and "oh" are not here: they carry meaning
# ("smells like gas", "twelve oh five").
_UH_HUH = Gated(
    re.compile(r"\b(?:uh huh|uh hu|uhuh huh|mm hmm|mm hm|mhm|mhmm|mmhmm|um hmm|uh hum|um hum|mm hum)\b"),
    ("mhm", "mm hm", "mm hum", "uh hu", "um hmm", "um hum"),
)
_UH_UH = Gated(
    re.compile(
        r"\b(?:uh uh|huh uh|uh oh no|nuh uh|mm mm)\b",
    ),
    (
        "mm mm",
        "uh oh no",
        "uh uh",
    ),
)
_FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mmm"})


@caller_text_cache  # caller words: emptied on "forget me" (caller_caches.py)
@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Lower-case, unify apostrophes, drop punctuation and hesitation fillers.

    Kept for recent texts: a caller's words are normalised again on each of their next turns (the
    frustration check compares the new words with the last few), and short answers recur."""
    s = text.translate(_APOSTROPHES).lower()
    if not s.isascii():  # "sí", "josé", "peña": the letters without their accents
        s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = _CLOCK.sub(lambda m: m.group(1) if m.group(2) == "00" else f"{m.group(1)} {m.group(2)}", s)
    s = _SLASH_DATE.sub(lambda m: f"{_MONTHS[int(m.group(1)) - 1]} {int(m.group(2))}th", s)
    s = _DIGIT_SEP.sub(" ", s)
    s = s.replace("(", " ").replace(")", " ")
    s = _NON_WORD.sub(" ", s)
    # Keep "+" only right before a digit (E.164), "#" only before a digit (unit numbers, "# 105" too).
    s = _SPACED_UNIT.sub(lambda m: "#" + _SPACES.sub("", m.group(1)), s)  # "# 2 0 3"
    s = _HASH_GAP.sub("#", s)
    s = _LONE_SIGN.sub(" ", s)
    s = _LONE_QUOTE.sub(" ", s)
    # Keep the grunts that mean yes/no before hesitation sounds are dropped.
    s = _UH_HUH.sub(" uhhuh ", s)
    s = _UH_UH.sub(" uhuh ", s)
    words = [w for w in _SPACES.split(s) if w and w not in _FILLERS]
    return " ".join(words)


_REFERENCE_WORDS = frozenset(
    {
        "model",
        "serial",
        "account",
        "invoice",
        "confirmation",
        "order",
        "ticket",
        "case",
        "reference",
        "claim",
        "policy",
        "part",
        "warranty",
        "job",
        "permit",
    }
)


def _is_reference(dig_tokens: list[str], index: int) -> bool:
    """ "the model number is 12345": digits that are no phone, ZIP or house number."""
    before = [t for t in dig_tokens[max(0, index - 3) : index] if t not in ("is", "number", "no", "was", "#")]
    return bool(before) and before[-1] in _REFERENCE_WORDS


@dataclass
class Utterance:
    """The forms of one utterance the extractors work on.

    `norm` is the normalised words; `dig` is `norm` with runs of spoken numbers replaced by digit
    strings (one token per run); `runs` locates those runs in `dig` tokens.
    """

    raw: str
    norm: str
    tokens: list[str]
    dig_tokens: list[str]
    runs: list[DigitRun]

    @classmethod
    def of(cls, raw: str) -> Utterance:
        norm = normalise(raw)
        tokens = norm.split()
        dig_tokens, runs = digitize(tokens)
        runs = [r for r in runs if not _is_reference(dig_tokens, r.index)]
        return cls(raw=raw, norm=norm, tokens=tokens, dig_tokens=dig_tokens, runs=runs)

    @cached_property
    def dig(self) -> str:
        return " ".join(self.dig_tokens)
