"""Embedding-based intent classification and a semantic FAQ answer cache (all-MiniLM-L6-v2).

Intents: the caller's sentence is compared with example sentences per intent; the confidence is a
softmax over per-intent best similarities, damped when even the best match is weak. Below
`threshold` (0.7) the caller's words go to an LLM classifier when one is given.

FAQ cache: questions about hours, service area and the fee are answered from the business profile
without a model round trip, when the caller's words are close enough to a known question. It is
never used for an utterance that carries caller data (`Understanding.carries_data`: name, number,
address, problem, a yes/no, digits): those must reach the agent that records them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from hvac_agent.caller_caches import register as register_caller_cache
from hvac_agent.config import BusinessProfile
from hvac_agent.dialogue import scripts
from hvac_agent.dialogue.nlu.types import Understanding
from hvac_agent.dialogue.state import Intent, QuestionTopic

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    def embed(self, texts: list[str]) -> Vectors: ...


INTENT_EXAMPLES: dict[Intent, tuple[str, ...]] = {
    "book": (
        "I need someone to come look at my furnace",
        "my air conditioner stopped working",
        "can I schedule a repair",
        "I'd like to book a service appointment",
        "my heater is not working",
        "the AC is blowing warm air",
        "I need a technician to come out",
        "can you send someone to fix my heat pump",
        "I want to set up a maintenance visit",
        "there's water leaking from my unit",
        "my thermostat isn't working",
    ),
    "cancel": (
        "I need to cancel my appointment",
        "please cancel my visit",
        "I don't need the technician anymore",
        "call off the service call",
        "cancel the booking I made",
    ),
    "reschedule": (
        "I need to reschedule my appointment",
        "can we move my visit to another day",
        "I want to change the time of my appointment",
        "can the technician come on a different day",
        "push my appointment to next week",
    ),
    "question": (
        "what are your hours",
        "how much does a visit cost",
        "do you service my area",
        "are you open on Saturday",
        "what's the charge for coming out",
        "which areas do you cover",
        "am I talking to a real person or a computer",
    ),
    "human": (
        "let me talk to a real person",
        "I want to speak to a representative",
        "get me a human",
        "transfer me to the operator",
        "I need to speak with a manager",
        "can I talk to someone in the office",
    ),
    "goodbye": (
        "that's all, thank you",
        "no, that's everything, bye",
        "thanks, goodbye",
        "I'm all set",
    ),
}

FAQ_EXAMPLES: dict[QuestionTopic, tuple[str, ...]] = {
    "hours": (
        "what are your hours",
        "when are you open",
        "are you open on Saturday",
        "what time do you close",
        "what days do you work",
        "are you open on Sunday",
    ),
    "service_area": (
        "do you service my area",
        "what areas do you cover",
        "which zip codes do you serve",
        "do you come out to my neighborhood",
        "how far do you travel",
    ),
    "price": (
        "how much does it cost",
        "how much is a service call",
        "what's your fee",
        "how much do you charge to come out",
        "is there a trip charge",
        "what's the dispatch fee",
        "what does a visit cost",
        "what do you charge for a service call",
    ),
}


@dataclass(frozen=True)
class IntentGuess:
    intent: Intent | None
    confidence: float
    source: Literal["embedding", "llm", "none"]


def _best_per_group(sims: Vectors, groups: Sequence[int], n_groups: int) -> Vectors:
    best = np.full(n_groups, -1.0, dtype=np.float32)
    for sim, group in zip(sims.tolist(), groups, strict=True):
        best[group] = max(best[group], sim)
    return best


class IntentClassifier:
    """Nearest-examples intent classifier; `classify()` is synchronous (~10 ms), `aclassify()`
    runs it off the event loop and asks `llm_fallback` below the threshold."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        threshold: float = 0.7,
        temperature: float = 0.05,
        weak_similarity: float = 0.5,
        examples: dict[Intent, tuple[str, ...]] | None = None,
    ) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self._temperature = temperature
        self._weak = weak_similarity
        table = examples or INTENT_EXAMPLES
        self._labels: list[Intent] = list(table)
        self._groups = [i for i, label in enumerate(self._labels) for _ in table[label]]
        self._texts = [text for label in self._labels for text in table[label]]
        self._matrix: Vectors | None = None

    def _examples(self) -> Vectors:
        if self._matrix is None:
            self._matrix = self._embedder.embed(self._texts)
        return self._matrix

    def prepare(self) -> None:
        """Load the model and embed the examples now (blocking: call it off the event loop)."""
        self._examples()

    def classify(self, text: str) -> IntentGuess:
        if not text.strip():
            return IntentGuess(None, 0.0, "none")
        vector = self._embedder.embed([text])[0]
        best = _best_per_group(self._examples() @ vector, self._groups, len(self._labels))
        logits = best / self._temperature
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        top = int(np.argmax(best))
        confidence = float(probs[top]) * min(1.0, float(best[top]) / self._weak)
        return IntentGuess(self._labels[top], round(confidence, 4), "embedding")

    async def aclassify(
        self, text: str, llm_fallback: Callable[[str], Awaitable[Intent | None]] | None = None
    ) -> IntentGuess:
        guess = await asyncio.to_thread(self.classify, text)
        if guess.confidence >= self.threshold or llm_fallback is None:
            return guess
        try:
            intent = await llm_fallback(text)
        except Exception:  # noqa: BLE001 - a failed fallback leaves the weak embedding guess
            return guess
        if intent is None:
            return guess
        return IntentGuess(intent, max(guess.confidence, self.threshold), "llm")


@dataclass(frozen=True)
class FaqHit:
    topic: QuestionTopic
    answer: str
    similarity: float


class FaqCache:
    """Semantic cache of FAQ answers; `put()` adds an answer (e.g. an approved model answer)."""

    def __init__(self, embedder: Embedder, profile: BusinessProfile, *, threshold: float = 0.72) -> None:
        self._embedder = embedder
        self.threshold = threshold
        self._questions: list[str] = []
        self._answers: list[tuple[QuestionTopic, str]] = []
        self._matrix: Vectors | None = None
        for topic, questions in FAQ_EXAMPLES.items():
            answer = scripts.answer(profile, topic)
            for question in questions:
                self._questions.append(question)
                self._answers.append((topic, answer))

    def prepare(self) -> None:
        """Load the model and embed the known questions now (blocking)."""
        if self._matrix is None and self._questions:
            self._matrix = self._embedder.embed(self._questions)

    def put(self, question: str, topic: QuestionTopic, answer: str) -> None:
        self._questions.append(question)
        self._answers.append((topic, answer))
        self._matrix = None

    def lookup(self, text: str, understanding: Understanding | None = None) -> FaqHit | None:
        heard = understanding or Understanding(text=text)
        if not text.strip() or heard.carries_data or not self._questions:
            return None
        if self._matrix is None:
            self._matrix = self._embedder.embed(self._questions)
        sims = self._matrix @ self._embedder.embed([text])[0]
        best = int(np.argmax(sims))
        if float(sims[best]) < self.threshold:
            return None
        topic, answer = self._answers[best]
        return FaqHit(topic, answer, round(float(sims[best]), 4))


class CachingEmbedder:
    """Shares one loaded model lazily and remembers recent sentences: the classifier and the FAQ
    cache look at the same caller words, which are then embedded once."""

    def __init__(self, load: Callable[[], Embedder], size: int = 512) -> None:
        self._load = load
        self._model: Embedder | None = None
        self._cache: dict[str, Vectors] = {}
        self._size = size
        register_caller_cache(self.clear_cache)  # caller sentences: emptied on "forget me"

    def embed(self, texts: list[str]) -> Vectors:
        if self._model is None:
            self._model = self._load()
        # Read through a local copy: the cache may be emptied meanwhile (classification runs in a
        # thread, "forget me" on the event loop).
        found = {t: v for t in dict.fromkeys(texts) if (v := self._cache.get(t)) is not None}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            for text, vector in zip(todo, self._model.embed(todo), strict=True):
                found[text] = self._cache[text] = vector
            while len(self._cache) > self._size:
                self._cache.pop(next(iter(self._cache), ""), None)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def clear_cache(self) -> None:
        """Forget the sentences embedded so far (a caller asked to be forgotten, or the period passed)."""
        self._cache.clear()
