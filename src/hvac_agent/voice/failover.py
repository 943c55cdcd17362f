"""Failover is itself an engine: the first healthy child answers; a failed child rests (with
exponential back-off) and is tried again after that — live traffic is the recovery probe.
It keeps going while any child works, and reports each child's state for /health.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.stt.base import STTEngine, SttResult, SttStream
from hvac_agent.voice.tts.base import TTSEngine


@dataclass
class _Health:
    down_until: float = 0.0
    failures: int = 0

    def ok(self, now: float) -> bool:
        return now >= self.down_until

    def failed(self, now: float, base_s: float, max_s: float) -> None:
        self.failures += 1
        self.down_until = now + min(max_s, base_s * 2 ** (self.failures - 1))

    def succeeded(self) -> None:
        self.failures = 0
        self.down_until = 0.0


class _Rotation:
    """Health per child (by position: two children may share a name)."""

    def __init__(self, names: Sequence[str], base_s: float, max_s: float,
                 clock: Callable[[], float]) -> None:
        self.names = list(names)
        self.health = [_Health() for _ in names]
        self.base_s, self.max_s, self.clock = base_s, max_s, clock

    def order(self) -> list[int]:
        """Healthy children first (in configured order), resting ones last as a final resort."""
        now = self.clock()
        healthy = [i for i, h in enumerate(self.health) if h.ok(now)]
        resting = [i for i, h in enumerate(self.health) if not h.ok(now)]
        return healthy + resting

    def failed(self, i: int) -> None:
        self.health[i].failed(self.clock(), self.base_s, self.max_s)

    def succeeded(self, i: int) -> None:
        self.health[i].succeeded()

    def states(self) -> dict[str, str]:
        now = self.clock()
        out: dict[str, str] = {}
        for i, (name, h) in enumerate(zip(self.names, self.health, strict=True)):
            key = name if self.names.count(name) == 1 else f"{name}#{i}"
            out[key] = "ok" if h.ok(now) else "down"
        return out


class FailoverSTT(STTEngine):
    def __init__(self, engines: Sequence[STTEngine], *, base_s: float = 5.0, max_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not engines:
            raise ValueError("FailoverSTT needs at least one engine")
        self.engines = list(engines)
        self.name = ",".join(e.name for e in self.engines)
        self._rotation = _Rotation([e.name for e in self.engines], base_s, max_s, clock)

    def states(self) -> dict[str, str]:
        return self._rotation.states()

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return _FailoverStream(self, expect, hints or [])

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None,
                               hints: list[str]) -> str:
        last: EngineError | None = None
        for i in self._rotation.order():
            try:
                text = await self.engines[i].transcribe(audio, expect, hints)
            except EngineError as error:
                self._rotation.failed(i)
                last = error
                continue
            self._rotation.succeeded(i)
            return text
        raise last or EngineError(self.name, "no engine")

    async def aclose(self) -> None:
        for engine in self.engines:
            await engine.aclose()


class _FailoverStream(SttStream):
    """Streams to the first healthy child; keeps the turn's audio so a failure mid-turn can be
    replayed into the next child."""

    def __init__(self, owner: FailoverSTT, expect: Expect | None, hints: list[str]) -> None:
        self.owner, self.expect, self.hints = owner, expect, hints
        self.audio: list[tuple[NDArray[np.int16], bool]] = []
        self._order = owner._rotation.order()
        self._child_index = 0
        self._child = owner.engines[self._order[0]].stream(expect, hints)

    def push(self, pcm: NDArray[np.int16], voiced: bool = True) -> None:
        self.audio.append((pcm, voiced))
        self._child.push(pcm, voiced)

    async def _call(self, final: bool) -> SttResult:
        rotation = self.owner._rotation
        while True:
            index = self._order[self._child_index]
            try:
                result = await (self._child.final() if final else self._child.partial())
            except EngineError as error:
                rotation.failed(index)
                self._child_index += 1
                if self._child_index >= len(self._order):
                    raise error
                nxt = self.owner.engines[self._order[self._child_index]]
                self._child = nxt.stream(self.expect, self.hints)
                for chunk, was_voiced in self.audio:
                    self._child.push(chunk, was_voiced)
                continue
            rotation.succeeded(index)
            return result

    async def partial(self) -> SttResult:
        return await self._call(final=False)

    async def final(self) -> SttResult:
        return await self._call(final=True)

    async def aclose(self) -> None:
        await self._child.aclose()


class FailoverTTS(TTSEngine):
    """A child that fails before its first chunk is skipped for the next; a failure after audio
    has started ends that sentence (replaying it in another voice would sound worse)."""

    def __init__(self, engines: Sequence[TTSEngine], *, base_s: float = 5.0, max_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not engines:
            raise ValueError("FailoverTTS needs at least one engine")
        self.engines = list(engines)
        self.name = ",".join(e.name for e in self.engines)
        self.voice = "/".join(f"{e.name}:{e.voice}" for e in self.engines)
        self._rotation = _Rotation([e.name for e in self.engines], base_s, max_s, clock)

    def states(self) -> dict[str, str]:
        return self._rotation.states()

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        rotation = self._rotation
        last: EngineError | None = None
        for i in rotation.order():
            started = False
            try:
                async for chunk in self.engines[i].synthesize(text):
                    started = True
                    yield chunk
            except EngineError as error:
                rotation.failed(i)
                last = error
                if started:
                    return
                continue
            rotation.succeeded(i)
            return
        raise last or EngineError(self.name, "no engine")

    async def aclose(self) -> None:
        for engine in self.engines:
            await engine.aclose()
