"""The trained heads shipped with the package: current, loadable, and used by the semantic layer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from hvac_agent.dialogue.nlu import heads, semantic, understand
from hvac_agent.dialogue.nlu.types import NluContext


def test_the_shipped_heads_were_trained_on_the_examples_we_have_now() -> None:
    trained = heads.load()
    assert trained is not None, "src/hvac_agent/dialogue/nlu/heads.npz ships with the package"
    assert trained.exemplars_sha == heads.exemplars_sha(), "exemplars.py changed: run bench/train_heads.py"
    assert "batch_a" in trained.trained_on


def test_every_label_the_agent_acts_on_has_a_row_in_its_head() -> None:
    trained = heads.load()
    assert trained is not None
    assert set(trained.intent.labels) >= {"service", "emergency", "person", "cancel", "reschedule", "question"}
    assert "other" in trained.category.labels and "no_heat" in trained.category.labels
    assert "financing" in trained.topic.labels
    assert trained.intent.weights.shape == (384, len(trained.intent.labels))


def test_a_missing_or_broken_heads_file_leaves_the_nearest_examples(tmp_path: Path) -> None:
    assert heads.load(tmp_path / "absent.npz") is None
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a numpy archive")
    assert heads.load(broken) is None


def test_the_loaded_model_uses_the_trained_heads(encoder: semantic.SemanticModel) -> None:
    assert "trained heads" in encoder.describe()
    guess = encoder.guess("the house never gets warmer than sixty no matter what the thermostat says")
    assert guess.trained and guess.intent == "service" and guess.category == "no_heat"
    ctx = NluContext(expect="intent", now=dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC))
    u = understand("we won't be needing anybody to come by after all", ctx)
    assert u.intent == "cancel"


@pytest.mark.parametrize("text", ["12 main street 90210", "2200 south lamar 78704", "512 555 0123"])
def test_details_given_first_are_never_a_request_for_a_person(encoder: semantic.SemanticModel, text: str) -> None:
    ctx = NluContext(expect="intent", now=dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC))
    assert understand(text, ctx).intent not in ("human", "cancel", "reschedule", "goodbye")


def test_the_heads_were_trained_on_the_vectors_of_the_encoder_we_ship(minilm_weights: None) -> None:
    """A new graph or another precision without retraining fails here: retrain with
    bench/train_heads.py (and re-check the similarity thresholds) whenever the encoder changes."""
    from hvac_agent.llm import minilm_onnx
    from hvac_agent.llm.embeddings import shared_embedder

    trained = heads.load()
    assert trained is not None and trained.probe_vectors is not None
    assert trained.encoder == minilm_onnx.encoder_id() == shared_embedder().encoder_id
    assert trained.probe_vectors.shape == (len(heads.PROBES), 384)
    cosines = (shared_embedder().embed(list(heads.PROBES)) * trained.probe_vectors).sum(axis=1)
    # The same encoder gives the same vectors for nearly every sentence (see test_llm_embeddings_runner
    # for why not every one); float32 vectors would sit near 0.993.
    assert float(np.median(cosines)) >= 0.9999 and float(cosines.min()) >= 0.97
