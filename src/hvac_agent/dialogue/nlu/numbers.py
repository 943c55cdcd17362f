"""Spoken numbers to digits, as callers say phone numbers, house numbers and ZIP codes.

"five one two" → 512, "oh"/"o" → 0, "double five" → 55, "fifty five twelve" → 5512, "twelve oh
five" → 1205, "forty four hundred ten" → 4410. Homophones that recognisers write for digits
("for", "to", "too", "won", "ate") count only inside a run of numbers, so "waiting for 2 hours"
keeps its "for".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "for"/"to" after a number and before one of these words is the preposition, not a digit.
_PREPOSITIONS = frozenset({"for", "fore", "to", "too"})
_DETERMINERS = frozenset({"the", "a", "an", "my", "your", "our", "that", "this", "it", "me", "you", "us"})
UNITS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
# Words that are digits only next to other numbers.
WEAK: dict[str, int] = {
    "oh": 0,
    "o": 0,
    "for": 4,
    "fore": 4,
    "to": 2,
    "too": 2,
    "won": 1,
    "ate": 8,
    "nil": 0,
    # Radio and accent forms of digits: "fife" (five), "niner" (nine).
    "fife": 5,
    "niner": 9,
}
TEENS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ORDINAL_UNITS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
}
ORDINALS: dict[str, int] = {
    **ORDINAL_UNITS,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "seventieth": 70,
    "eightieth": 80,
    "ninetieth": 90,
}
_REPEAT = {"double": 2, "triple": 3}
_SCALE = {"hundred": 100, "thousand": 1000}


@dataclass(frozen=True)
class DigitRun:
    """A run of number words/digits, collapsed to one token of `digits` at `index` in dig tokens."""

    index: int
    digits: str
    n_tokens: int  # how many source tokens it came from
    spoken: bool  # any number words (not just written digits)


def ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }".replace(" ", "")


def _is_digits(tok: str) -> bool:
    t = tok[1:] if tok.startswith("+") else tok
    return t.isdigit()


def _strong(tok: str) -> bool:
    return tok in UNITS or tok in TEENS or tok in TENS or _is_digits(tok)


def _sub_hundred(toks: list[str], i: int) -> tuple[int, int] | None:
    """A value below 100 starting at toks[i] ("twenty three", "twelve", "five", "42"): (value, used)."""
    if i >= len(toks):
        return None
    t = toks[i]
    if t in TENS:
        if i + 1 < len(toks) and toks[i + 1] in UNITS and UNITS[toks[i + 1]] > 0:
            return TENS[t] + UNITS[toks[i + 1]], 2
        return TENS[t], 1
    if t in TEENS:
        return TEENS[t], 1
    if t in UNITS:
        return UNITS[t], 1
    if t.isdigit() and len(t) <= 2:
        return int(t), 1
    return None


def _written_zip_boundary(left: str, right: str) -> bool:
    """Written digit groups join ("512 555 0123"), except around a 5-digit group (a ZIP)."""
    return _is_digits(left) and _is_digits(right) and (len(left) == 5 or len(right) == 5)


def _run_to_digits(toks: list[str]) -> str:
    """Digits of one run of number tokens; pairs and singles are concatenated as spoken."""
    out: list[str] = []
    last_value: int | None = None  # value of the last piece, when it can take a scale word
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t in _REPEAT and i + 1 < n:
            d = UNITS.get(toks[i + 1], WEAK.get(toks[i + 1]))
            if d is not None:
                out.append(str(d) * _REPEAT[t])
                last_value = None
                i += 2
                continue
            i += 1
            continue
        if t in _SCALE and last_value is not None and out:
            out.pop()
            total = last_value * _SCALE[t]
            j = i + 1
            if j < n and toks[j] == "and":
                j += 1
            if t == "thousand" and j < n:
                sub_h = _sub_hundred(toks, j)
                if sub_h and j + sub_h[1] < n and toks[j + sub_h[1]] == "hundred" and sub_h[0] < 10:
                    total += sub_h[0] * 100
                    j += sub_h[1] + 1
                    if j < n and toks[j] == "and":
                        j += 1
            sub = _sub_hundred(toks, j)
            # "eight hundred five five five …": digits said one by one follow, not "eight hundred five".
            spelled_out = sum(1 for t2 in toks[j : j + 3] if t2 in UNITS or t2 in WEAK) == 3
            if sub is not None and not spelled_out and not (j < n and _is_digits(toks[j]) and len(toks[j]) > 2):
                total += sub[0]
                j += sub[1]
            out.append(str(total))
            last_value = None
            i = j
            continue
        if t in TENS:
            sub = _sub_hundred(toks, i)
            assert sub is not None
            out.append(str(sub[0]))
            last_value = sub[0]
            i += sub[1]
            continue
        if t in TEENS:
            out.append(str(TEENS[t]))
            last_value = TEENS[t]
            i += 1
            continue
        if t in UNITS or t in WEAK:
            v = UNITS.get(t, WEAK.get(t, 0))
            out.append(str(v))
            last_value = v if v > 0 else None
            i += 1
            continue
        if _is_digits(t):
            out.append(t.lstrip("+"))
            last_value = int(t) if len(t) <= 2 else None
            i += 1
            continue
        i += 1  # "and", stray scale word
    return "".join(out)


def _join_ordinals(tokens: list[str]) -> list[str]:
    """ "thirty fifth" → "35th", "fifth" → "5th": street names and dates read them as one token."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in TENS and i + 1 < len(tokens) and tokens[i + 1] in ORDINAL_UNITS:
            out.append(ordinal_suffix(TENS[t] + ORDINAL_UNITS[tokens[i + 1]]))
            i += 2
            continue
        if t in ORDINALS and t != "second":  # "second" is mostly "the second one" / "a second"
            out.append(ordinal_suffix(ORDINALS[t]))
        else:
            out.append(t)
        i += 1
    return out


_ONE_BEFORE = frozenset(
    {
        "the",
        "this",
        "that",
        "which",
        "any",
        "no",
        "every",
        "some",
        "each",
        "other",
        "same",
        "a",
        "another",
        "little",
        "first",
        "last",
        "new",
        "old",
        "right",
        "wrong",
        "morning",
        "afternoon",
        "earlier",
        "later",
        "1st",
        # which of the units or halves of a building: "the back one b", "the upstairs one, number 2b"
        "back",
        "front",
        "upstairs",
        "downstairs",
        "middle",
        "top",
        "bottom",
        "rear",
        "corner",
        "end",
        "upper",
        "lower",
    }
)
_ONE_AFTER = frozenset(
    {
        "of",
        "sec",
        "second",
        "moment",
        "minute",
        "more",
        "thing",
        "day",
        "i'm",
        "you",
        "that",
        "which",
        "please",
        "works",
        "is",
        "sounds",
    }
)


_COUNT_BEFORE = frozenset({"last", "first"})
_COUNT_AFTER = frozenset({"digits", "numbers", "are", "is", "should", "were"})


def _pronoun_one(toks: list[str], i: int) -> bool:
    """ "the one I'm calling from", "one sec", "the last four are": a word, not a digit."""
    if toks[i] in ("three", "four", "seven", "3", "4", "7") and i > 0 and toks[i - 1] in _COUNT_BEFORE:
        return i + 1 >= len(toks) or toks[i + 1] in _COUNT_AFTER or _strong(toks[i + 1])
    if toks[i] != "one":
        return False
    prev = toks[i - 1] if i > 0 else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if _strong(prev) or _strong(nxt):
        return False
    if nxt in ("oh", "o") and i + 2 < len(toks) and _strong(toks[i + 2]):
        return False  # "a one oh six": the number's first digit
    if prev in ("oh", "o") and i >= 2 and _strong(toks[i - 2]):
        return False  # "… five oh one, I'm the owner": the number's last digit
    return prev in _ONE_BEFORE or nxt in _ONE_AFTER


# Words without which a turn has no number run (nor a changed token): a run needs a digit, a
# unit, teen or tens word (a homophone like "for" counts only next to one), "double"/"triple", or
# a scale word ("a hundred"); an ordinal is rewritten ("fifth" → "5th") even alone.
_NUMBER_CUES = frozenset({*UNITS, *TEENS, *TENS, *ORDINALS, *_REPEAT, *_SCALE})
_ASCII_DIGIT = re.compile(r"[0-9]")


def digitize(tokens: list[str]) -> tuple[list[str], list[DigitRun]]:
    """Replace each run of number words with one digit token; return tokens and the runs."""
    if _NUMBER_CUES.isdisjoint(tokens):
        text = " ".join(tokens)
        if text.isascii() and not _ASCII_DIGIT.search(text):  # no token that str.isdigit() takes
            return list(tokens), []
    # "a hundred", "a thousand": the "a" is a one.
    joined = _join_ordinals(tokens)
    toks = ["one" if t == "a" and i + 1 < len(joined) and joined[i + 1] in _SCALE else t for i, t in enumerate(joined)]
    n = len(toks)
    num = [_strong(t) and not _pronoun_one(toks, i) for i, t in enumerate(toks)]
    # "double"/"triple" before a digit word, and scale words after a number, join a run.
    for i, t in enumerate(toks):
        if t in _REPEAT and i + 1 < n and (toks[i + 1] in UNITS or toks[i + 1] in WEAK):
            num[i] = True
            num[i + 1] = True
    for i, t in enumerate(toks):
        if t in _SCALE and i > 0 and num[i - 1]:
            num[i] = True
            if i + 2 < n and toks[i + 1] == "and" and num[i + 2]:
                num[i + 1] = True
    # Weak homophones: between two numbers, or at the edge of a run of three or more.
    for i, t in enumerate(toks):
        if num[i] or t not in WEAK:
            continue
        prev_num = i > 0 and num[i - 1]
        next_num = i + 1 < n and (num[i + 1] or toks[i + 1] in WEAK and i + 2 < n and num[i + 2])
        if prev_num and next_num:
            num[i] = True
            continue
        if prev_num and t in _PREPOSITIONS and i + 1 < n and toks[i + 1] in _DETERMINERS:
            continue  # "seven eight seven five six for the zip": a preposition after the number
        if prev_num:
            k = i - 1
            while k >= 0 and num[k]:
                k -= 1
            if i - 1 - k >= 3:
                num[i] = True
        elif next_num:
            k = i + 1
            while k < n and (num[k] or toks[k] in WEAK):
                k += 1
            # "oh, seven eight seven five two": an "oh" that opens the answer before a whole ZIP or
            # phone number is a sound, not a zero ("oh two one three four" still reads 02134)
            opening_oh = i == 0 and t in ("oh", "o") and k - i - 1 >= 5
            if k - i - 1 >= 3 and not opening_oh:
                num[i] = True
    out: list[str] = []
    runs: list[DigitRun] = []
    i = 0
    while i < n:
        if not num[i]:
            out.append(toks[i])
            i += 1
            continue
        j = i
        while j < n and num[j]:
            j += 1
            if j < n and num[j] and _written_zip_boundary(toks[j - 1], toks[j]):
                break  # "suite 650 78746": a ZIP written as digits stands on its own
        chunk = toks[i:j]
        digits = _run_to_digits(chunk)
        if digits:
            spoken = any(not _is_digits(t) for t in chunk)
            runs.append(DigitRun(index=len(out), digits=digits, n_tokens=j - i, spoken=spoken))
            out.append(digits)
        i = j
    return out, runs


def words_to_digits(text: str) -> str:
    """Convenience: the digits of every number run in `text`, concatenated ("eighty-nine" → "89")."""
    _, runs = digitize([t for t in re.split(r"[\s\-,]+", text.lower()) if t])
    return "".join(r.digits for r in runs)
