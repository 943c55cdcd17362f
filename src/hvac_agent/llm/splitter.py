"""Incremental sentence splitting of streamed text, so each sentence goes to TTS as it completes.

A boundary is only confirmed once the whitespace after `.`, `!` or `?` has arrived, so "$89." is
not cut before ".50" and "St." in an address is not a sentence end.
"""

from __future__ import annotations

import re

_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|\n")
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "ave",
        "blvd",
        "rd",
        "ln",
        "apt",
        "ste",
        "no",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "approx",
        "hwy",
        "pkwy",
        "ct",
        "mt",
        "ft",
    }
)


def _is_abbreviation(before: str) -> bool:
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = word.lstrip("(\"'").lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "Dana K. Smith"
    return word in _ABBREVIATIONS


class SentenceSplitter:
    """`feed(delta)` returns the sentences completed by it; `flush()` returns what is left."""

    def __init__(self, min_chars: int = 2) -> None:
        self._buffer = ""
        self._min_chars = min_chars

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            if match.group() != "\n" and _is_abbreviation(self._buffer[start : match.start()]):
                continue
            sentence = self._buffer[start : match.end()].strip()
            if sum(c.isalnum() for c in sentence) >= self._min_chars:
                out.append(sentence)
                start = match.end()
        self._buffer = self._buffer[start:]
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if any(c.isalnum() for c in rest) else []


def split_sentences(text: str) -> list[str]:
    """Whole-text splitting with the same rules."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()
