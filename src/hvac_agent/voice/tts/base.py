"""The TTS protocol as a template method: `synthesize()` owns errors and timing, engines implement
`_synthesize_impl()` (one sentence in, μ-law chunks out).

Output is always Twilio-ready μ-law 8 kHz mono, so the pipeline never converts on the hot path.
Cancelling is closing the async iterator (`aclose()`), or cancelling the task that drives it.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator

from hvac_agent.voice.errors import EngineError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def split_sentences(text: str) -> list[str]:
    """Sentences to synthesise one by one, so the first can play while the rest is made."""
    parts = [p.strip() for p in _SENTENCE_END.split(text.strip())]
    return [p for p in parts if p]


class TTSEngine(ABC):
    """Base of every TTS engine. `name` is the product's engine name (HVAC_TTS_ENGINES)."""

    name: str = "tts"
    voice: str = "default"
    last_latency_s: float = 0.0

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """μ-law 8 kHz chunks for `text` (one sentence or more); raises `EngineError` on failure."""
        started = time.perf_counter()
        first = True
        try:
            async for chunk in self._synthesize_impl(text):
                if first:
                    self.last_latency_s = time.perf_counter() - started
                    first = False
                if chunk:
                    yield chunk
        except EngineError:
            raise
        except Exception as error:  # vendor failure → our vocabulary
            raise EngineError(self.name, repr(error)) from error

    async def stream_text(self, chunks: AsyncIterable[str]) -> AsyncIterator[tuple[str, bytes]]:
        """Text arriving in pieces (an LLM's tokens) → (sentence, audio chunk) as soon as each
        sentence is complete, so the first sentence plays while the rest is still being written."""
        pending = ""
        async for piece in chunks:
            pending += piece
            while True:
                match = _SENTENCE_END.search(pending)
                if match is None:
                    break
                sentence, pending = pending[: match.start()].strip(), pending[match.end() :]
                if sentence:
                    async for audio in self.synthesize(sentence):
                        yield sentence, audio
        if pending.strip():
            async for audio in self.synthesize(pending.strip()):
                yield pending.strip(), audio

    @abstractmethod
    def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (connections, processes)."""
