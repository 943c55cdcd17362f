"""The onnxruntime runner of all-MiniLM-L6-v2 gives the numpy reference's vectors, so the semantic
heads' thresholds (set on those vectors) and the held-out accuracy do not move with the speed-up."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hvac_agent.dialogue.nlu import exemplars
from hvac_agent.llm import minilm_onnx
from hvac_agent.llm.embeddings import MiniLmEmbedder, model_dir

HELDOUT = Path(__file__).resolve().parent.parent / "nlu" / "heldout" / "batch_a"


def _texts() -> list[str]:
    lines = []
    for name in ("openings.jsonl", "answers.jsonl"):
        with (HELDOUT / name).open() as f:
            lines += [json.loads(line)["text"] for line in f if line.strip()]
    examples = [
        t for table in (exemplars.INTENTS, exemplars.CATEGORIES, exemplars.TOPICS) for v in table.values() for t in v
    ]
    return lines + examples


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory, minilm_weights: None) -> tuple[MiniLmEmbedder, MiniLmEmbedder]:
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        fast = MiniLmEmbedder()
    return MiniLmEmbedder(runner="numpy"), fast


def test_the_default_runner_is_onnxruntime_and_matches_numpy_on_every_heldout_line_and_example(
    runners: tuple[MiniLmEmbedder, MiniLmEmbedder],
) -> None:
    reference, fast = runners
    assert (reference.runner, fast.runner) == ("numpy", "onnxruntime")
    texts = _texts()
    assert len(texts) > 900
    worst = 1.0
    for start in range(0, len(texts), 24):  # batches: padding and the attention mask are exercised
        chunk = texts[start : start + 24]
        a, b = reference.embed(chunk), fast.embed(chunk)
        assert b.shape == (len(chunk), 384) and b.dtype == np.float32
        worst = min(worst, float((a * b).sum(axis=1).min()))
    assert worst >= 0.999


def test_one_sentence_alone_is_the_same_vector_as_in_a_padded_batch(
    runners: tuple[MiniLmEmbedder, MiniLmEmbedder],
) -> None:
    reference, fast = runners
    texts = ["Dana Kim", "my furnace keeps clicking on and off all night and the house never gets warm", "yes"]
    batch = fast.embed(texts)
    for i, text in enumerate(texts):
        alone = fast.embed([text])[0]
        assert float(alone @ batch[i]) >= 0.99999
        assert float(alone @ reference.embed([text])[0]) >= 0.999
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_the_graph_is_built_once_then_read_from_the_cache_and_a_damaged_copy_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm_weights: None
) -> None:
    folder = model_dir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = MiniLmEmbedder()
    cached = list((tmp_path / "hvac-agent").glob("minilm-l6-*.onnx"))
    assert len(cached) == 1 and cached[0].stat().st_size > 80_000_000
    built = minilm_onnx.build_graph

    def no_rebuild(*args: object, **kwargs: object) -> object:
        raise AssertionError("the cached graph should have been used")

    monkeypatch.setattr(minilm_onnx, "build_graph", no_rebuild)
    again = MiniLmEmbedder(folder)
    probe = ["the air coming out of the vents is warm"]
    assert float(first.embed(probe)[0] @ again.embed(probe)[0]) >= 0.99999

    cached[0].write_bytes(b"not a model")  # a truncated write, a disk that filled up
    monkeypatch.setattr(minilm_onnx, "build_graph", built)
    repaired = MiniLmEmbedder(folder)
    assert float(first.embed(probe)[0] @ repaired.embed(probe)[0]) >= 0.99999
