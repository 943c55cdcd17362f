"""Is a phrase negated? "no gas smell", "it doesn't smell like gas", "there's no smoke"."""

from __future__ import annotations

import re

_CUES = frozenset(
    {
        "no",
        "not",
        "don't",
        "dont",
        "doesn't",
        "doesnt",
        "didn't",
        "didnt",
        "isn't",
        "isnt",
        "aren't",
        "arent",
        "wasn't",
        "wasnt",
        "never",
        "without",
        "nothing",
        "nobody",
        "none",
        "haven't",
        "havent",
        "hasn't",
        "hasnt",
        "can't",
        "cant",
        "cannot",
        "neither",
        "nor",
        "zero",
    }
)
# A negation does not reach across these.
_BREAKS = frozenset(
    {
        "but",
        "though",
        "although",
        "however",
        "except",
        "and",
        "so",
        "because",
        "now",
        "yet",
        "also",
        "plus",
        "then",
        "actually",
        "it's",
        "its",
        # a self-repair: "the breaker box no wait the thermostat wires are smoking"
        "wait",
    }
)
_PHRASE_CUES = re.compile(r"\b(?:no sign of|no signs of|not any|free of|ruled out|no longer)\s*$")


def negated(tokens: list[str], start: int, window: int = 5) -> bool:
    """True when a negation cue governs the phrase beginning at token `start`."""
    lo = max(0, start - window)
    for i in range(start - 1, lo - 1, -1):
        t = tokens[i]
        if t in _BREAKS:
            return False
        if t in _CUES:
            return True
    return bool(_PHRASE_CUES.search(" ".join(tokens[lo:start])))


def token_index(text: str, char_pos: int) -> int:
    """Index of the token containing character `char_pos` of a single-spaced string."""
    return text.count(" ", 0, char_pos)
