"""Every corpus utterance is understood as written down (see nlu_corpus.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nlu_corpus import CASES, Case, run

from hvac_agent.dialogue.nlu import semantic


@pytest.fixture(autouse=True)
def _rules_only() -> Iterator[None]:
    """The corpus pins the rules; an encoder an earlier test installed in this process must not
    change what they are measured on (tests/nlu/test_semantic_openings.py covers the encoder)."""
    before = semantic.active()
    semantic.install(None)
    yield
    semantic.install(before)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case) -> None:
    got, bad = run(case)
    assert not bad, f"{case.text!r} → {got.model_dump(exclude_defaults=True)}: {bad}"


def test_corpus_is_large_and_covers_every_extractor() -> None:
    assert len(CASES) >= 400
    kinds = {c.extractor for c in CASES}
    assert kinds == {
        "numbers",
        "phone",
        "names",
        "address",
        "dates",
        "yesno",
        "intents",
        "emergency",
        "issues",
        "frustration",
        "corrections",
        "combined",
    }
    assert min(sum(1 for c in CASES if c.extractor == k) for k in kinds) >= 20
