"""Failover is itself an engine: each child behind a circuit breaker, tried in configured order.

- A retryable failure counts against the child's breaker; a non-retryable one (bad credentials)
  opens it at once. An open child is skipped; when every child is open they are all tried anyway
  in order, so a call is never dropped for want of an engine.
- Recovery is probed in the background: once an open breaker's rest is over, a small probe
  request (`probe()`) decides whether it closes — live calls never serve as the guinea pig.
- TTS: when a child dies mid-utterance, the next one goes on from the first word the caller has
  not heard in full (from the child's alignment when it reports it, else estimated from the audio
  length), and takes the rest of the utterance's text as it keeps arriving. Nothing is said twice.
- STT: the turn's audio is kept, so the next child hears the whole turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.dialogue.state import Expect
from hvac_agent.observability.logging import get_logger
from hvac_agent.resilience.breaker import CircuitBreaker
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.stt.base import STTEngine, SttResult, SttSession, SttStream
from hvac_agent.voice.tts.base import TtsChunk, TTSEngine, Utterance, retrieved, word_start

log = get_logger("hvac_agent.voice.failover")

E = TypeVar("E", STTEngine, TTSEngine)
MS_PER_CHAR_ESTIMATE = 75.0  # speech rate assumed when a child gives no alignment (then snapped back to a word)


class Children(Generic[E]):
    """The children of a failover engine, each with its breaker, plus the recovery prober."""

    def __init__(
        self,
        kind: str,
        engines: Sequence[E],
        *,
        clock: Clock | None = None,
        failure_threshold: int = 2,
        recovery_s: float = 10.0,
        probe_every_s: float = 2.0,
        on_state: Callable[[str, str], None] | None = None,
    ) -> None:
        if not engines:
            raise ValueError(f"failover {kind.upper()} needs at least one engine")
        self.kind = kind
        self.engines: list[E] = list(engines)
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.names = [
            e.name if [x.name for x in engines].count(e.name) == 1 else f"{e.name}#{i}" for i, e in enumerate(engines)
        ]
        self.breakers = [
            CircuitBreaker(f"{kind}:{n}", clock=self.clock, failure_threshold=failure_threshold, recovery_s=recovery_s)
            for n in self.names
        ]
        self.probe_every_s = probe_every_s
        self.on_state = on_state
        self._prober: asyncio.Task[None] | None = None

    def order(self) -> list[int]:
        """Closed children in configured order; when none is, every child (never no engine)."""
        closed = [i for i, b in enumerate(self.breakers) if b.state == "closed"]
        return closed or list(range(len(self.engines)))

    def succeeded(self, i: int) -> None:
        was = self.breakers[i].state
        self.breakers[i].record_success()
        if was != "closed" and self.on_state is not None:
            self.on_state(self.names[i], "closed")

    def failed(self, i: int, error: EngineError) -> None:
        breaker = self.breakers[i]
        if error.retryable:
            breaker.record_failure()
        else:
            breaker.trip()
        log.warning(
            "speech_engine_failed",
            kind=self.kind,
            engine=self.names[i],
            error=str(error),
            retryable=error.retryable,
            circuit=breaker.state,
        )
        if breaker.state != "closed":
            if self.on_state is not None:
                self.on_state(self.names[i], breaker.state)
            self._start_prober()

    def _start_prober(self) -> None:
        if self._prober is None or self._prober.done():
            with contextlib.suppress(RuntimeError):  # no running loop: live traffic will find out
                self._prober = asyncio.get_running_loop().create_task(
                    self._probe_loop(), name=f"{self.kind}-recovery-probe"
                )

    async def _probe_loop(self) -> None:
        """While any child is open: probe the ones whose rest is over; stop when all are closed."""
        while any(b.state != "closed" for b in self.breakers):
            await self.clock.sleep(self.probe_every_s)
            for i, breaker in enumerate(self.breakers):
                if breaker.state == "half_open" and breaker.allow():
                    await self._probe(i)

    async def _probe(self, i: int) -> None:
        probe: Callable[[], Awaitable[None]] = self.engines[i].probe
        try:
            await probe()
        except EngineError as error:
            self.failed(i, error)
            return
        except asyncio.CancelledError:
            self.breakers[i].release()
            raise
        log.info("speech_engine_recovered", kind=self.kind, engine=self.names[i])
        self.succeeded(i)

    def circuits(self) -> dict[str, dict[str, object]]:
        return {b.name: b.snapshot().as_dict() for b in self.breakers}

    async def probe_first(self) -> None:
        """Probe the child that would answer now (a failover engine nested in another)."""
        await self.engines[self.order()[0]].probe()

    def states(self) -> dict[str, str]:
        return {name: b.state for name, b in zip(self.names, self.breakers, strict=True)}

    async def aclose(self) -> None:
        prober, self._prober = self._prober, None
        if prober is not None:
            prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await prober
        for engine in self.engines:
            await engine.aclose()


class FailoverTTS(TTSEngine):
    def __init__(self, engines: Sequence[TTSEngine], *, clock: Clock | None = None, **breaker: float) -> None:
        self.children: Children[TTSEngine] = Children("tts", engines, clock=clock, **breaker)  # type: ignore[arg-type]
        self.engines: list[TTSEngine] = self.children.engines
        self.name = ",".join(e.name for e in self.engines)
        self.voice = "/".join(f"{e.name}:{e.voice}" for e in self.engines)
        self.switches = 0  # mid-utterance hand-overs (for tests and benches)

    def states(self) -> dict[str, str]:
        return self.children.states()

    def circuits(self) -> dict[str, dict[str, object]]:
        return self.children.circuits()

    async def _speak_impl(self, pieces: AsyncIterable[str]) -> AsyncIterator[TtsChunk]:
        text = _SharedText(pieces)
        heard = 0  # characters fully spoken so far (utterance offsets)
        last: EngineError | None = None
        for i in self.children.order():
            base, child_pieces = text.from_offset(word_start(text.utterance.text, heard))
            if base is None:
                return  # everything was said before the last child failed
            unconfirmed_ms = 0.0
            try:
                async for chunk in self.engines[i].speak(child_pieces):
                    if chunk.spoken_chars is not None:
                        heard = max(heard, base + chunk.spoken_chars)
                        unconfirmed_ms = 0.0
                    else:
                        unconfirmed_ms += len(chunk.audio) / 8.0
                    yield TtsChunk(chunk.audio, None if chunk.spoken_chars is None else heard)
            except EngineError as error:
                self.children.failed(i, error)
                last = error
                heard += int(unconfirmed_ms / MS_PER_CHAR_ESTIMATE)
                if heard > 0:
                    self.switches += 1
                continue
            self.children.succeeded(i)
            return
        raise last or EngineError(self.name, "no engine")

    def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:  # pragma: no cover - speak() is overridden
        raise NotImplementedError

    async def probe(self) -> None:
        await self.children.probe_first()

    async def aclose(self) -> None:
        await self.children.aclose()


class _SharedText:
    """An utterance's pieces, read once from the source and replayable from any offset."""

    def __init__(self, pieces: AsyncIterable[str]) -> None:
        self._source = aiter(pieces)
        self.utterance = Utterance()
        self._exhausted = False
        # The read in progress, as a task: a child cancelled while waiting for the next piece must
        # not cancel the source itself (the next child waits on the same read).
        self._reading: asyncio.Task[str] | None = None

    async def _next(self) -> str | None:
        if self._reading is None:
            self._reading = asyncio.ensure_future(anext(self._source))
            self._reading.add_done_callback(retrieved)
        try:
            piece = await asyncio.shield(self._reading)
        except StopAsyncIteration:
            self._exhausted = True
            return None
        self._reading = None
        return piece

    def from_offset(self, offset: int) -> tuple[int | None, AsyncIterator[str]]:
        """(utterance offset of the child's text, the child's pieces): what is left of the text
        read so far from `offset`, then every piece still to come."""
        rest = self.utterance.text[offset:].strip()
        if rest:
            base: int | None = offset
        elif self._exhausted:
            return None, _empty()
        else:
            base = len(self.utterance.text) + 1 if self.utterance.text else 0
        return base, self._pieces(rest)

    async def _pieces(self, rest: str) -> AsyncIterator[str]:
        if rest:
            yield rest
        while (piece := await self._next()) is not None:
            if piece.strip():
                self.utterance.add(piece)
                yield piece


async def _empty() -> AsyncIterator[str]:
    return
    yield  # pragma: no cover


class FailoverSTT(STTEngine):
    def __init__(self, engines: Sequence[STTEngine], *, clock: Clock | None = None, **breaker: float) -> None:
        self.children: Children[STTEngine] = Children("stt", engines, clock=clock, **breaker)  # type: ignore[arg-type]
        self.engines: list[STTEngine] = self.children.engines
        self.name = ",".join(e.name for e in self.engines)

    def states(self) -> dict[str, str]:
        return self.children.states()

    def circuits(self) -> dict[str, dict[str, object]]:
        return self.children.circuits()

    def open_session(self) -> SttSession:
        return _FailoverSession(self)

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        last: EngineError | None = None
        for i in self.children.order():
            try:
                text = await self.engines[i].transcribe(audio, expect, hints)
            except EngineError as error:
                self.children.failed(i, error)
                last = error
                continue
            self.children.succeeded(i)
            return text
        raise last or EngineError(self.name, "no engine")

    async def probe(self) -> None:
        await self.children.probe_first()

    async def aclose(self) -> None:
        await self.children.aclose()


class _FailoverSession(SttSession):
    """One call: a session per child, opened when the child is first needed."""

    def __init__(self, owner: FailoverSTT) -> None:
        self.owner = owner
        self.sessions: dict[int, SttSession] = {}

    def child(self, i: int) -> SttSession:
        session = self.sessions.get(i)
        if session is None:
            session = self.sessions[i] = self.owner.engines[i].open_session()
        return session

    def stream(self, expect: Expect | None = None, hints: list[str] | None = None) -> SttStream:
        return _FailoverStream(self, expect, hints or [])

    async def aclose(self) -> None:
        for session in self.sessions.values():
            await session.aclose()


class _FailoverStream(SttStream):
    """Streams to the first healthy child; keeps the turn's audio so a failure mid-turn can be
    replayed into the next child."""

    def __init__(self, session: _FailoverSession, expect: Expect | None, hints: list[str]) -> None:
        self.session, self.expect, self.hints = session, expect, hints
        self.audio: list[tuple[bytes, bool]] = []
        self._order = session.owner.children.order()
        self._at = 0
        self._child = self._open(self._order[0])

    def _open(self, i: int) -> SttStream:
        child = self.session.child(i).stream(self.expect, self.hints)
        child.on_words = self._words
        return child

    def _words(self, result: SttResult) -> None:
        if self.on_words is not None:
            self.on_words(result)

    def push(self, ulaw: bytes, voiced: bool = True) -> None:
        self.audio.append((ulaw, voiced))
        self._child.push(ulaw, voiced)

    async def _call(self, final: bool) -> SttResult:
        children = self.session.owner.children
        while True:
            index = self._order[self._at]
            try:
                result = await (self._child.final() if final else self._child.partial())
            except EngineError as error:
                children.failed(index, error)
                with contextlib.suppress(EngineError):
                    await self._child.aclose()
                self._at += 1
                if self._at >= len(self._order):
                    raise
                self._child = self._open(self._order[self._at])
                for chunk, was_voiced in self.audio:
                    self._child.push(chunk, was_voiced)
                continue
            children.succeeded(index)
            return result

    async def partial(self) -> SttResult:
        return await self._call(final=False)

    async def final(self) -> SttResult:
        return await self._call(final=True)

    async def aclose(self) -> None:
        await self._child.aclose()
