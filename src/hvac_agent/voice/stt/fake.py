"""Instant fake STT for load tests and unit tests: a scripted transcript at each end of speech."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.stt.base import STTEngine, SttResult, SttStream


class FakeSTT(STTEngine):
    """`fake` engine: `final()` yields the next scripted line (or `transcript` when the script is
    used up); partials give the same words at once. `fail=True` raises like a broken provider."""

    name = "fake"

    def __init__(
        self, transcript: str = "my furnace stopped working", script: Iterable[str] = (), *, fail: bool = False
    ) -> None:
        self.transcript = transcript
        self.script: deque[str] = deque(script)
        self.fail = fail
        self.turns = 0

    def peek_text(self) -> str:
        if self.fail:
            raise EngineError(self.name, "scripted fake STT failure")
        return self.script[0] if self.script else self.transcript

    def next_text(self) -> str:
        if self.fail:
            raise EngineError(self.name, "scripted fake STT failure")
        self.turns += 1
        return self.script.popleft() if self.script else self.transcript

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return _FakeStream(self)

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        return self.next_text()


class _FakeStream(SttStream):
    def __init__(self, engine: FakeSTT) -> None:
        self.engine = engine
        self.samples = 0

    def push(self, ulaw: bytes, voiced: bool = True) -> None:
        self.samples += len(ulaw)

    async def partial(self) -> SttResult:
        """The words so far, at once (like a streaming provider's interim results)."""
        return SttResult(self.engine.peek_text(), final=False, engine="fake")

    async def final(self) -> SttResult:
        return SttResult(self.engine.next_text(), final=True, engine="fake")
