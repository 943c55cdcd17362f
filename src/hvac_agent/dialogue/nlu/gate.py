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
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class Gated:
    """`pattern`, skipped on texts holding none of `words` (each match contains one of them)."""

    __slots__ = ("_gate", "pattern", "words")

    def __init__(self, pattern: re.Pattern[str], words: Iterable[str]) -> None:
        self.pattern = pattern
        self.words = tuple(words)
        self._gate = re.compile(_trie(self.words))

    # The gate looks at the whole string, not only string[pos:endpos]: a lookbehind may read
    # before `pos`, and a wider look only lets more texts through.
    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.pattern.search(string, pos, endpos) if self._gate.search(string) else None

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.pattern.match(string, pos, endpos) if self._gate.search(string) else None

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(string, pos, endpos) if self._gate.search(string) else iter(())

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.pattern.findall(string, pos, endpos) if self._gate.search(string) else []

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.pattern.sub(repl, string, count) if self._gate.search(string) else string


def _trie(words: Iterable[str]) -> str:
    """A regex finding any of `words`, shaped as a trie: "a(?:ngry|wful)|d(?:umb|...)".

    `re` tries the branches of "angry|awful|dumb" one by one at each position of the text; the
    trie's first letters are tried once, so 50 words cost about what 5 would (3-4x faster than the
    flat alternation here). A word holding a shorter one as its prefix is left out: a text that
    contains it contains the shorter one too.
    """
    root: dict[str, dict[str, Any]] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def branch(node: dict[str, dict[str, Any]]) -> str:
        if "" in node:
            return ""  # a word ends here: whatever follows it is not needed
        alts = [re.escape(ch) + branch(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return branch(root)


# A pattern as the extractors take it: plain, or gated.
Pattern = re.Pattern[str] | Gated
