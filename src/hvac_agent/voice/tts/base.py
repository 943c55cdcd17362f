"""The TTS protocol as a template method.

An utterance is spoken with `speak(pieces)`: its text arrives in pieces (a whole reply at once, or
an LLM's sentences as they are written) and μ-law 8 kHz audio streams out as `TtsChunk`s, each
saying how much of the utterance text its audio has covered when the engine knows (alignment) —
that is how marks report what the caller heard, and how failover resumes on another engine
without repeating words. The utterance text is the pieces joined by single spaces (`Utterance`).

Sentence engines (REST providers, espeak) implement only `_synthesize_impl(sentence)`; streaming
engines (ElevenLabs' WebSocket) override `_speak_impl`. `speak()` owns the error vocabulary,
timing and the provider's rate limit. Cancelling is closing the iterator or cancelling its task.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from hvac_agent.llm.splitter import split_sentences
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.limits import ProviderLimits

__all__ = ["TTSEngine", "TtsChunk", "Utterance", "one_piece", "split_sentences"]


@dataclass(frozen=True, slots=True)
class TtsChunk:
    audio: bytes  # μ-law 8 kHz mono
    # characters of the utterance text whose speech is complete at the end of this chunk (None:
    # the engine cannot tell; sentence engines report it at each sentence end)
    spoken_chars: int | None = None


class Utterance:
    """The text of one utterance as its pieces arrive: offsets are into `text`."""

    def __init__(self) -> None:
        self.text = ""

    def add(self, piece: str) -> tuple[int, int]:
        """Append a piece; returns its (start, end) offsets in `text`."""
        piece = piece.strip()
        start = len(self.text) + 1 if self.text else 0
        self.text = f"{self.text} {piece}" if self.text else piece
        return start, start + len(piece)


async def one_piece(text: str) -> AsyncIterator[str]:
    yield text


def retrieved(task: asyncio.Future[str]) -> None:
    """Done-callback for a read of the next piece: one nobody waits for any more (its utterance
    was cut) must not be logged as a lost exception."""
    if not task.cancelled():
        task.exception()


def word_start(text: str, offset: int) -> int:
    """The start of the word at `offset` (a word cut in the middle is said again whole)."""
    offset = max(0, min(offset, len(text)))
    if offset < len(text) and text[offset] == " ":
        return offset + 1
    cut = text.rfind(" ", 0, offset)
    return cut + 1


class TTSEngine(ABC):
    """Base of every TTS engine. `name` is the product's engine name (HVAC_TTS_ENGINES)."""

    name: str = "tts"
    voice: str = "default"
    last_latency_s: float = 0.0  # first audio of the last utterance
    limits: ProviderLimits | None = None

    async def speak(self, pieces: AsyncIterable[str]) -> AsyncIterator[TtsChunk]:
        """One utterance. Raises `EngineError` (only) on failure."""
        started = time.perf_counter()
        first = True
        try:
            async for chunk in self._speak_impl(pieces):
                if first and chunk.audio:
                    self.last_latency_s = time.perf_counter() - started
                    first = False
                yield chunk
        except EngineError:
            raise
        except (OSError, ValueError, RuntimeError, TimeoutError, LookupError) as error:
            raise EngineError(self.name, repr(error)) from error

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """The audio of `text` alone (fixed phrases, the caller simulator, probes)."""
        async for chunk in self.speak(one_piece(text)):
            if chunk.audio:
                yield chunk.audio

    async def probe(self) -> None:
        """A recovery probe: succeeds only if the engine answers. Raises `EngineError`."""
        async for _ in self.synthesize("OK."):
            return
        raise EngineError(self.name, "probe produced no audio")

    async def _speak_impl(self, pieces: AsyncIterable[str]) -> AsyncIterator[TtsChunk]:
        """Sentence by sentence, each as soon as its piece arrives."""
        utterance = Utterance()
        async for piece in pieces:
            if not piece.strip():
                continue
            start, _ = utterance.add(piece)
            cursor = start
            for sentence in split_sentences(piece.strip()):
                at = utterance.text.find(sentence, cursor)
                end = (at if at >= 0 else cursor) + len(sentence)
                async for audio in self._limited(sentence):
                    if audio:
                        yield TtsChunk(audio)
                yield TtsChunk(b"", spoken_chars=end)
                cursor = end

    def _limited(self, sentence: str) -> AsyncIterator[bytes]:
        if self.limits is None:
            return self._synthesize_impl(sentence)
        return self.limits.stream(lambda: self._synthesize_impl(sentence))

    @abstractmethod
    def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        """One sentence → μ-law 8 kHz chunks."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (connections, processes)."""
