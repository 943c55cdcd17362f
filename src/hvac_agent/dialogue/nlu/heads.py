"""Trained heads over the sentence vectors: intent, issue category and question topic.

One multinomial logistic regression per label (a weight matrix and a bias, softmax on top), trained
offline by `bench/train_heads.py` on the hand-written examples (`exemplars.py`) and the labelled
training batches (`tests/nlu/heldout`). The weights ship in `heads.npz` (about 30 kB, float16); at
start-up they are only read, never trained. Nearest-example scoring generalised worse to lines
nobody tuned for (leave-one-batch-out: the head is several points better on intents and categories),
so when the file is present the semantic layer takes its labels from here; the emergency net stays
on the examples' similarity (a second net must not depend on what the batches happened to say).

`EXEMPLARS_SHA` in the file is the digest of the example tables it was trained with: a test fails
when the examples change and the heads were not retrained. `ENCODER` names the encoder whose vectors
they were fitted on (`minilm_onnx.encoder_id()`: builder version and which products run in int8),
and `PROBE_VECTORS` are that encoder's vectors for `PROBES`: a test fails when the encoder changes
(a new graph, a different precision) and the heads were not retrained on its vectors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hvac_agent.dialogue.nlu import exemplars

Vectors = npt.NDArray[np.float32]
DEFAULT_PATH = Path(__file__).with_name("heads.npz")
HEAD_NAMES = ("intent", "category", "topic")
# Sentences whose vectors the file keeps, to tell whether today's encoder gives the vectors the
# heads were trained on.
PROBES = (
    "my furnace is blowing cold air",
    "i smell gas near the water heater",
    "can you move my appointment to friday",
    "the ac is leaking",
    "do you guys do financing",
    "perfect, thank you",
    "there's ice all over the outside unit",
    "i'd like to talk to a real person",
    "no, i changed my mind",
    "how much is a new system",
    "the thermostat screen is blank",
    "my carbon monoxide alarm keeps going off",
    "we won't be needing anybody after all",
    "it's 737 201 4488",
    "the house never gets warmer than sixty",
    "is my zip code in your area",
)


@dataclass(frozen=True)
class Head:
    labels: tuple[str, ...]
    weights: Vectors  # (dimensions, labels)
    bias: Vectors  # (labels,)

    def probabilities(self, v: Vectors) -> Vectors:
        z = v @ self.weights + self.bias
        z = z - z.max()
        e = np.exp(z)
        out: Vectors = (e / e.sum()).astype(np.float32)
        return out

    def best(self, v: Vectors) -> tuple[str, float, float]:
        """The most likely label, its probability, and its lead over the runner-up."""
        p = self.probabilities(v)
        order = np.argsort(p)[::-1]
        return self.labels[int(order[0])], float(p[order[0]]), float(p[order[0]] - p[order[1]])


@dataclass(frozen=True)
class Heads:
    intent: Head
    category: Head
    topic: Head
    exemplars_sha: str
    trained_on: str  # what the training script says it used (batches, counts)
    encoder: str = ""  # the encoder the vectors came from (`minilm_onnx.encoder_id()`)
    probe_vectors: Vectors | None = None  # its vectors for PROBES


def exemplars_sha() -> str:
    """Digest of the example tables, to tell when the stored heads are stale."""
    tables = {"intent": exemplars.INTENTS, "category": exemplars.CATEGORIES, "topic": exemplars.TOPICS}
    return hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()


def save(path: Path, heads: dict[str, Head], trained_on: str, encoder: str, probe_vectors: Vectors) -> None:
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "exemplars_sha": np.array(exemplars_sha()),
        "trained_on": np.array(trained_on),
        "encoder": np.array(encoder),
        "probe_vectors": probe_vectors.astype(np.float16),
    }
    for name in HEAD_NAMES:
        head = heads[name]
        arrays[f"{name}_labels"] = np.array(head.labels)
        arrays[f"{name}_weights"] = head.weights.astype(np.float16)
        arrays[f"{name}_bias"] = head.bias.astype(np.float32)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def load(path: Path = DEFAULT_PATH) -> Heads | None:
    """The stored heads, or None when the file is absent or unreadable (nearest examples then)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            made = {
                name: Head(
                    labels=tuple(str(x) for x in data[f"{name}_labels"]),
                    weights=data[f"{name}_weights"].astype(np.float32),
                    bias=data[f"{name}_bias"].astype(np.float32),
                )
                for name in HEAD_NAMES
            }
            return Heads(
                intent=made["intent"],
                category=made["category"],
                topic=made["topic"],
                exemplars_sha=str(data["exemplars_sha"]),
                trained_on=str(data["trained_on"]),
                encoder=str(data["encoder"]) if "encoder" in data else "",
                probe_vectors=data["probe_vectors"].astype(np.float32) if "probe_vectors" in data else None,
            )
    except (OSError, KeyError, ValueError):
        return None
