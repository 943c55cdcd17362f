"""Slow patterns run only on texts that could match them.

Python's `re` tries a pattern that opens with `\\b` or a lookbehind at every position of the text,
and the broad ones (every way of asking for a person, of saying smoke) cost tens of µs a turn even
when nothing matches — which is nearly always. `Gated` puts a cheap test in front: a set of words
such that every match contains one of them. A text with none of them cannot match, so the pattern
is not run; a text with one runs the pattern as before, and what it finds is unchanged.

The words are checked against the pattern, not trusted: tests/nlu/test_gates.py derives from each
gated pattern's syntax the literal strings some one of which every match must contain, and fails
when a word list does not cover them (after a pattern is edited, say).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator


class Gated:
    """`pattern`, skipped on texts holding none of `words` (each match contains one of them)."""

    __slots__ = ("_gate", "pattern", "words")

    def __init__(self, pattern: re.Pattern[str], words: Iterable[str]) -> None:
        self.pattern = pattern
        self.words = tuple(words)
        self._gate = re.compile("|".join(re.escape(w) for w in self.words))

    # The gate looks at the whole string, not only string[pos:endpos]: a lookbehind may read
    # before `pos`, and a wider look only lets more texts through.
    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.pattern.search(string, pos, endpos) if self._gate.search(string) else None

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.pattern.match(string, pos, endpos) if self._gate.search(string) else None

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(string, pos, endpos) if self._gate.search(string) else iter(())


# A pattern as the extractors take it: plain, or gated.
Pattern = re.Pattern[str] | Gated
