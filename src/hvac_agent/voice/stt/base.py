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
    def push(self, pcm: NDArray[np.int16]) -> None: ...

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
    """Buffers a turn, transcribes each pause-delimited segment as it completes, joins them."""

    def __init__(self, engine: STTEngine, expect: Expect | None, hints: list[str]) -> None:
        self.engine = engine
        self.expect = expect
        self.hints = hints
        self._pending: list[NDArray[np.int16]] = []
        self._texts: list[str] = []
        self._lock = asyncio.Lock()  # segments are transcribed in order

    def push(self, pcm: NDArray[np.int16]) -> None:
        self._pending.append(pcm)

    async def _flush(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            audio = np.concatenate(self._pending)
            self._pending = []
            if audio.size * 1000 // 8000 < self.engine.min_segment_ms:
                return
            text = await self.engine.transcribe(audio, self.expect, self.hints)
            if text:
                self._texts.append(text)

    async def partial(self) -> SttResult:
        await self._flush()
        return SttResult(" ".join(self._texts), final=False, engine=self.engine.name)

    async def final(self) -> SttResult:
        await self._flush()
        return SttResult(" ".join(self._texts), final=True, engine=self.engine.name)

    async def aclose(self) -> None:
        self._pending = []
