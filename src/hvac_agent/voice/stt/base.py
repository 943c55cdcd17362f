"""The STT protocol as a template method.

A turn is a `SttStream`: the pipeline `push()`es 8 kHz PCM16 while the caller talks, asks for a
`partial()` at each pause (batch engines transcribe the buffered segment then, while the caller is
still thinking, so little is left at the end of the turn) and a `final()` at end of turn.
Batch engines implement only `_transcribe_impl(audio, expect)`; a cloud streaming engine
overrides `stream()`. Every failure leaves as `EngineError`.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.errors import EngineError


@dataclass(frozen=True)
class SttResult:
    text: str
    final: bool
    confidence: float | None = None
    engine: str = ""


class SttStream(ABC):
    """One caller turn."""

    @abstractmethod
    def push(self, pcm: NDArray[np.int16], voiced: bool = True) -> None:
        """Caller audio (8 kHz PCM16); `voiced` as the VAD judged it."""

    @abstractmethod
    async def partial(self) -> SttResult: ...

    @abstractmethod
    async def final(self) -> SttResult: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Drop the turn (caller hung up, turn abandoned)."""


class STTEngine(ABC):
    """Base of every STT engine. `name` is the product's engine name (HVAC_STT_ENGINES)."""

    name: str = "stt"
    # Audio shorter than this is not worth a decode (a click, a breath).
    min_segment_ms: int = 120
    last_latency_s: float = 0.0

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return SegmentingStream(self, expect, hints or [])

    async def transcribe(self, audio: NDArray[np.int16], expect: Expect | None = None,
                         hints: list[str] | None = None) -> str:
        """8 kHz PCM16 segment → text. Owns timing and the error vocabulary."""
        started = time.perf_counter()
        try:
            text = await self._transcribe_impl(audio, expect, hints or [])
        except EngineError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise EngineError(self.name, repr(error)) from error
        self.last_latency_s = time.perf_counter() - started
        return " ".join(text.split())

    @abstractmethod
    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None,
                               hints: list[str]) -> str: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release engine resources (worker processes, sockets)."""


class SegmentingStream(SttStream):
    """Batch engines: at each pause the whole turn so far is transcribed (speculatively — whole
    utterances recognise far better than pieces cut at pauses); at end of turn that result is
    reused when only silence came after it. Turns longer than `commit_after_ms` are committed in
    pieces at pauses, so work stays bounded."""

    commit_after_ms = 10_000

    def __init__(self, engine: STTEngine, expect: Expect | None, hints: list[str]) -> None:
        self.engine = engine
        self.expect = expect
        self.hints = hints
        self._audio: list[NDArray[np.int16]] = []
        self._samples = 0
        self._committed: list[str] = []
        self._cached: tuple[int, str] | None = None  # (samples transcribed, text)
        self._voiced_at = 0  # sample count at the end of the last voiced push
        self._requested = 0  # snapshot of the newest transcription asked for
        self._lock = asyncio.Lock()  # one transcription at a time, in order

    def push(self, pcm: NDArray[np.int16], voiced: bool = True) -> None:
        self._audio.append(pcm)
        self._samples += pcm.size
        if voiced:
            self._voiced_at = self._samples

    async def _transcribe_all(self, upto: int, *, final: bool = False) -> str:
        async with self._lock:
            if not final and upto < self._requested:
                # a newer pause came while this one waited: its result would be stale at once
                return " ".join([*self._committed, self._cached[1] if self._cached else ""]).strip()
            upto = min(upto, self._samples)
            if self._cached is not None and self._cached[0] >= min(upto, self._voiced_at) \
                    and self._cached[0] <= upto:
                text = self._cached[1]
            else:
                audio = np.concatenate(self._audio)[:upto] if self._audio else np.zeros(0, dtype=np.int16)
                if audio.size * 1000 // 8000 < self.engine.min_segment_ms:
                    text = ""
                else:
                    text = await self.engine.transcribe(audio, self.expect, self.hints)
                self._cached = (upto, text)
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
            return SttResult(await self._transcribe_all(upto), final=False, engine=self.engine.name)

        return run()

    async def final(self) -> SttResult:
        self._requested = self._samples
        return SttResult(await self._transcribe_all(self._samples, final=True), final=True, engine=self.engine.name)

    async def aclose(self) -> None:
        self._audio = []
