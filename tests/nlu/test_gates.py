"""Gated patterns (dialogue/nlu/gate.py) skip only texts they cannot match."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from nlu_corpus import CASES
from regex_literals import every_match_holds_a_word

import hvac_agent.dialogue.nlu as nlu
from hvac_agent.dialogue.nlu.gate import Gated, _trie
from hvac_agent.dialogue.nlu.text import Utterance


def _gated() -> list[tuple[str, Gated]]:
    """Every Gated in the package's modules, in tables too (issues._VULNERABLE is a list of pairs)."""
    found: list[tuple[str, Gated]] = []

    def walk(name: str, value: object) -> None:
        if isinstance(value, Gated):
            found.append((name, value))
        elif isinstance(value, (list, tuple)):
            for k, item in enumerate(value):
                walk(f"{name}[{k}]", item)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(f"{name}[{key}]", item)

    for info in pkgutil.iter_modules(nlu.__path__):
        module = importlib.import_module(f"{nlu.__name__}.{info.name}")
        for name, value in vars(module).items():
            walk(f"{info.name}.{name}", value)
    # One object under two names (a pattern listed in a table too) is checked once.
    unique = {id(g): (name, g) for name, g in reversed(found)}
    return sorted(unique.values(), key=lambda pair: pair[0])


GATED = _gated()


def test_the_slow_patterns_are_gated() -> None:
    assert len(GATED) >= 7


@pytest.mark.parametrize(("name", "gated"), GATED, ids=[n for n, _ in GATED])
def test_every_match_holds_one_of_the_gate_words(name: str, gated: Gated) -> None:
    assert every_match_holds_a_word(gated.pattern, gated.words), (
        f"{name}: a text without any of its words may match; add the words of the new branch"
    )


@pytest.mark.parametrize(("name", "gated"), GATED, ids=[n for n, _ in GATED])
def test_each_gate_word_is_needed(name: str, gated: Gated) -> None:
    """The proof is not vacuous: the list with a word left out is not proved (one word at a time
    would be slow for every word; the first and last are enough to catch a proof that says yes
    to anything)."""
    for word in {gated.words[0], gated.words[-1]}:
        fewer = [w for w in gated.words if w != word]
        assert not every_match_holds_a_word(gated.pattern, fewer), f"{name}: {word!r} proved unneeded"


def test_the_proof_on_small_patterns() -> None:
    assert every_match_holds_a_word(re.compile(r"\b(?:cancel(?:ling)?|call (?:it )?off)\b"), ["cancel", "call"])
    assert not every_match_holds_a_word(re.compile(r"\bcancel\b|\w+ off"), ["cancel"])
    assert every_match_holds_a_word(re.compile(r"(?<!no )smoke(?=d)"), ["smoke"])
    assert every_match_holds_a_word(re.compile(r"(?<!no )smoke(?=d)"), ["d"])  # what a lookahead needs
    assert not every_match_holds_a_word(re.compile(r"(?<!no )smoke(?=d)"), ["no "])
    assert not every_match_holds_a_word(re.compile(r"(?:a |the )?smoke"), ["the smoke"])
    assert not every_match_holds_a_word(re.compile(r"gas", re.I), ["gas"])  # "GAS" has no "gas"


def test_gated_finds_what_the_pattern_finds() -> None:
    texts = [Utterance.of(c.text) for c in CASES]
    for name, gated in GATED:
        for utt in texts:
            for s in (utt.norm, utt.dig):
                plain = [m.span() for m in gated.pattern.finditer(s)]
                assert [m.span() for m in gated.finditer(s)] == plain, (name, s)
                found = gated.search(s)
                assert (found and found.span()) == (plain[0] if plain else None), (name, s)


def test_the_trie_finds_a_text_with_any_of_the_words() -> None:
    assert _trie(["angry", "awful", "an", "dumb"]) == "(?:a(?:n|wful)|dumb)"
    texts = [Utterance.of(c.text).norm for c in CASES]
    for name, gated in GATED:
        trie = re.compile(_trie(gated.words))
        for s in [*texts, *gated.words, *(w[:-1] for w in gated.words)]:
            assert bool(trie.search(s)) == any(w in s for w in gated.words), (name, s)
