"""The STT protocol as a template method.

A call opens one `SttSession` (a cloud engine keeps one connection per call there); each caller
turn is a `SttStream`: the turn detector `push()`es the caller's μ-law frames while they talk,
asks for a `partial()` at each pause (batch engines transcribe the buffered segment then, while the
caller is still thinking, so little is left at the end of the turn) and a `final()` at end of turn.
Streaming engines report words as they come through `on_words` (interim results, and the
provider's own end-of-speech verdict as `speech_final`), which the turn detector uses to end a
turn from the words as well as the silence.

Batch engines implement only `_transcribe_impl(audio, expect)`; a cloud streaming engine overrides
`open_session()`. Every failure leaves as `EngineError`.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.codec import ulaw_decode
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.limits import ProviderLimits


@dataclass(frozen=True)
class SttResult:
    text: str
    final: bool
    confidence: float | None = None
    engine: str = ""
    speech_final: bool = False  # the provider's endpointing says the caller finished speaking


# Recognisers that run on this machine: their words about names and streets are read back at once.
ON_DEVICE_ENGINES = frozenset({"offline", "moonshine", "pocketsphinx"})

WordsListener = Callable[[SttResult], None]


class SttStream(ABC):
    """One caller turn."""

    on_words: WordsListener | None = None

    @abstractmethod
    def push(self, ulaw: bytes, voiced: bool = True) -> None:
        """Caller audio (μ-law 8 kHz, whole 20 ms frames); `voiced` as the VAD judged it."""

    @abstractmethod
    async def partial(self) -> SttResult: ...

    @abstractmethod
    async def final(self) -> SttResult: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Drop the turn (caller hung up, turn abandoned)."""


class SttSession:
    """One call's recognition: turns are streams; a cloud engine keeps its connection here."""

    def __init__(self, engine: STTEngine) -> None:
        self.engine = engine

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return self.engine.stream(expect, hints)

    async def aclose(self) -> None:
        """The call is over."""


class STTEngine(ABC):
    """Base of every STT engine. `name` is the product's engine name (HVAC_STT_ENGINES)."""

    name: str = "stt"
    # Audio shorter than this is not worth a decode (a click, a breath).
    min_segment_ms: int = 120
    last_latency_s: float = 0.0
    # Transcribe at pauses while the caller talks (free offline; a paid API only at end of turn).
    transcribe_partials: bool = True
    limits: ProviderLimits | None = None

    def open_session(self) -> SttSession:
        return SttSession(self)

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return SegmentingStream(self, expect, hints or [])

    async def transcribe(
        self, audio: NDArray[np.int16], expect: Expect | None = None, hints: list[str] | None = None
    ) -> str:
        """8 kHz PCM16 segment → text. Owns timing, the rate limit and the error vocabulary."""
        started = time.perf_counter()

        def attempt() -> Awaitable[str]:
            return self._transcribe_impl(audio, expect, hints or [])

        try:
            text = await (self.limits.run(attempt) if self.limits is not None else attempt())
        except EngineError:
            raise
        except (OSError, ValueError, RuntimeError, TimeoutError) as error:
            raise EngineError(self.name, repr(error)) from error
        self.last_latency_s = time.perf_counter() - started
        return " ".join(text.split())

    async def probe(self) -> None:
        """A recovery probe: a short silent segment must come back without an error."""
        await self.transcribe(np.zeros(4000, dtype=np.int16))

    @abstractmethod
    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (worker processes, sockets)."""


class SegmentingStream(SttStream):
    """Batch engines: at each pause the whole turn so far is transcribed (speculatively — whole
    utterances recognise far better than pieces cut at pauses); at end of turn that result is
    reused when only silence came after it. Turns longer than `commit_after_ms` are committed in
    pieces at pauses, so work stays bounded.

    Every decode ends `tail_ms` after the last voiced frame, however much silence has arrived:
    batch recognisers answer differently for the same words with different silence after them
    (seen here: Moonshine heard "200 Park Avenue" or "200 Paracamon" depending on the cut), and
    whether a turn ends at a pause or at the end-of-turn silence depends on how fast the machine
    decodes. With one cut per utterance the words heard don't depend on the CPU's load. The tail
    is shorter than the endpointer's pause (200 ms) less a frame, so the decode a pause starts
    always has the whole tail, however soon it runs."""

    commit_after_ms = 10_000
    tail_ms = 160

    def __init__(self, engine: STTEngine, expect: Expect | None, hints: list[str]) -> None:
        self.engine = engine
        self.expect = expect
        self.hints = hints
        self._audio: list[bytes] = []
        self._samples = 0
        self._committed: list[str] = []
        self._cached: tuple[int, str] | None = None  # (samples transcribed, text)
        self._voiced_at = 0  # sample count at the end of the last voiced push
        self._requested = 0  # snapshot of the newest transcription asked for
        self._lock = asyncio.Lock()  # one transcription at a time, in order

    def push(self, ulaw: bytes, voiced: bool = True) -> None:
        self._audio.append(ulaw)
        self._samples += len(ulaw)
        if voiced:
            self._voiced_at = self._samples

    async def _transcribe_all(self, upto: int, *, final: bool = False) -> str:
        async with self._lock:
            if not final and upto < self._requested:
                # a newer pause came while this one waited: its result would be stale at once
                return " ".join([*self._committed, self._cached[1] if self._cached else ""]).strip()
            upto = min(upto, self._samples)
            cut = min(upto, self._voiced_at + self.tail_ms * 8)
            if self._cached is not None and self._cached[0] == cut:
                text = self._cached[1]
            else:
                audio = ulaw_decode(b"".join(self._audio)[:cut])
                if audio.size * 1000 // 8000 < self.engine.min_segment_ms:
                    text = ""
                else:
                    text = await self.engine.transcribe(audio, self.expect, self.hints)
                self._cached = (cut, text)
                if upto * 1000 // 8000 >= self.commit_after_ms and upto == self._samples:
                    self._committed.append(text)
                    self._audio, self._samples, self._voiced_at, self._cached = [], 0, 0, None
                    text = ""
            return " ".join([*self._committed, text]).strip()

    def partial(self) -> Awaitable[SttResult]:  # type: ignore[override]
        """Transcribe the turn as it stands *now* (the snapshot is taken before any await, so the
        result does not depend on how much audio arrives while the engine works)."""
        upto = self._requested = self._samples

        async def run() -> SttResult:
            if not self.engine.transcribe_partials:
                return SttResult("", final=False, engine=self.engine.name)
            return SttResult(await self._transcribe_all(upto), final=False, engine=self.engine.name)

        return run()

    async def final(self) -> SttResult:
        self._requested = self._samples
        return SttResult(await self._transcribe_all(self._samples, final=True), final=True, engine=self.engine.name)

    async def aclose(self) -> None:
        self._audio = []
