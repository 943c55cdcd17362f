"""Prove from a regex's syntax that every match contains one of a set of words.

Used by test_gates.py to check each `Gated` pattern's word list. The proof walks the parse tree
`re` itself builds (`re._parser`, private but stable since 3.11; tests only): literal runs are
expanded into every string they can spell (`(?:a |the )?smoke` → "smoke", "a smoke", "the smoke"),
a sequence is covered when any one of its parts is, an alternation when all of its branches are,
and anything it cannot reason about (`\\w+`, `.*`, a character class, an optional part) covers
nothing. Lookarounds consume nothing, so the text around them stays contiguous; what a positive
lookaround requires is in the string too. So a "yes" is a proof; a "no" may only mean "can't tell".
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as P
from collections.abc import Iterable

_CAP = 256  # strings a run of literals may spell before it is cut in two


def _seq_exact(items: Iterable[tuple[object, object]]) -> set[str] | None:
    run = {""}
    for op, av in items:
        e = _exact(op, av)
        if e is None:
            return None
        run = {a + b for a in run for b in e}
        if len(run) > _CAP:
            return None
    return run


def _exact(op: object, av: object) -> set[str] | None:
    """Every string the item can match, when that is a small finite set."""
    if op is C.LITERAL:
        return {chr(av)}
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return {""}
    if op is C.IN:
        out: set[str] = set()
        for o, a in av:
            if o is C.LITERAL:
                out.add(chr(a))
            elif o is C.RANGE and a[1] - a[0] < 12:
                out.update(chr(x) for x in range(a[0], a[1] + 1))
            else:
                return None  # NEGATE, CATEGORY, a wide range
        return out
    if op is C.BRANCH:
        out = set()
        for branch in av[1]:
            e = _seq_exact(branch)
            if e is None:
                return None
            out |= e
        return out if len(out) <= _CAP else None
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        return None if add_flags or del_flags else _seq_exact(p)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        lo, hi, p = av
        if hi == 1:
            e = _seq_exact(p)
            return None if e is None else (e | {""} if lo == 0 else e)
    return None


def _covered_set(strings: set[str], words: tuple[str, ...]) -> bool:
    return bool(strings) and all(any(w in s for w in words) for s in strings)


def _covered_seq(items: Iterable[tuple[object, object]], words: tuple[str, ...]) -> bool:
    run = {""}
    for op, av in items:
        e = _exact(op, av)
        if e is not None:
            joined = {a + b for a in run for b in e}
            if len(joined) > _CAP:
                if _covered_set(run, words):
                    return True
                joined = e
            run = joined
            if op is C.ASSERT and _covered_seq(av[1], words):
                return True
        else:
            if _covered_set(run, words) or _covered_node(op, av, words):
                return True
            run = {""}
    return _covered_set(run, words)


def _covered_node(op: object, av: object, words: tuple[str, ...]) -> bool:
    if op is C.BRANCH:
        return all(_covered_seq(branch, words) for branch in av[1])
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        return not (add_flags or del_flags) and _covered_seq(p, words)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        lo, _hi, p = av
        return lo >= 1 and _covered_seq(p, words)
    return False


def every_match_holds_a_word(pattern: re.Pattern[str], words: Iterable[str]) -> bool:
    """True only when any text `pattern` can match (lookarounds included) contains one of `words`."""
    ws = tuple(words)
    if not ws or "" in ws or pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return False
    return _covered_seq(P.parse(pattern.pattern, pattern.flags), ws)
