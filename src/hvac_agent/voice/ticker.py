"""One pacing clock per event loop: a single task wakes every 20 ms and sends the due frame of every
active `PacedSink` in one pass.

Why: a task (timer, wake-up, coroutine step) per call per frame is most of the pacing cost at a
few hundred calls, and each of those wake-ups can be delayed on its own. Here the schedule is
absolute — tick k is at `origin + k * period` on the sink's clock, so it never drifts, and a late
tick is caught up in one pass rather than by a burst of wake-ups. Sinks align their playback start
to the grid, so their frames fall due exactly on ticks. The ticker sleeps while no sink has audio
queued, and its task ends when the last sink unregisters.

A sink whose socket pushes back (a send that does not finish at once) must not hold up the
others: sends are stepped eagerly in the pass, and only one that suspends is handed to a task
(`finish_send`), the sink skipping ticks until it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import math
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, Protocol

from hvac_agent.clock import Clock
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.voice.ticker")

PERIOD_S = 0.020


class Paced(Protocol):
    stream_sid: str

    def _pump(self, now: float, tick: float) -> bool:
        """Send what is due at `now` (playback aligned to grid time `tick`); True while audio waits."""
        ...


class _Continue:
    """Awaiting this resumes a coroutine that was already stepped once and yielded `pending`
    (what `yield from` does, minus the first step)."""

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coro, self._pending = coro, pending

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self._coro, self._pending
        while True:
            try:
                sent = yield value
            except BaseException as exc:  # noqa: BLE001 - forwarded into the send (e.g. a cancel), which decides
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _finish(coro: Coroutine[Any, Any, Any], pending: Any) -> None:
    await _Continue(coro, pending)


async def _await(awaitable: Awaitable[Any]) -> None:
    await awaitable


def send_now(awaitable: Awaitable[Any], ctx: contextvars.Context) -> asyncio.Task[None] | None:
    """Run `awaitable` (a send) in `ctx` up to its first suspension; None if it finished right away
    (the usual case: the frame is in the socket's buffer), else the task now finishing it."""
    coro = awaitable if isinstance(awaitable, Coroutine) else _await(awaitable)
    try:
        pending = ctx.run(coro.send, None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_finish(coro, pending), context=ctx)


class PacingTicker:
    def __init__(self, clock: Clock, period_s: float = PERIOD_S) -> None:
        self.clock = clock
        self.period_s = period_s
        self.origin = clock.monotonic()
        self._sinks: dict[Paced, None] = {}  # insertion-ordered set
        self._busy = False
        self._work = asyncio.Event()
        self.ticks = 0
        # An empty context: the ticker serves every call, so it must carry none's log bindings.
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name="pacing-ticker", context=contextvars.Context()
        )

    @property
    def sinks(self) -> int:
        return len(self._sinks)

    def grid(self, now: float) -> float:
        """The last tick at or before `now`."""
        return self.origin + math.floor((now - self.origin) / self.period_s) * self.period_s

    def add(self, sink: Paced) -> None:
        self._sinks[sink] = None

    async def remove(self, sink: Paced) -> None:
        self._sinks.pop(sink, None)
        if self._sinks:
            return
        _forget(self)
        task = self._task
        task.cancel()
        if task is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def kick(self, sink: Paced) -> None:
        """`sink` got work on an empty queue: send its lead right now, not at the next tick nor
        after a trip through the event loop (reply latency)."""
        self._busy = True
        self._work.set()
        if sink in self._sinks:
            now = self.clock.monotonic()
            self._pump(sink, now, self.grid(now))

    def _pump(self, sink: Paced, now: float, tick: float) -> bool:
        try:
            return sink._pump(now, tick)
        except Exception:  # one broken sink stops pacing (as its own task would have died), not all
            log.exception("pacing_failed", stream_sid=sink.stream_sid)
            self._sinks.pop(sink, None)
            return False

    async def _run(self) -> None:
        clock, period = self.clock, self.period_s
        loop = asyncio.get_running_loop()
        while True:
            if not self._busy:
                self._work.clear()
                await self._work.wait()
            now = clock.monotonic()
            tick = self.origin + (math.floor((now - self.origin) / period) + 1) * period
            # The pass runs in the clock's timer callback itself (synchronous, no task wake-up to
            # wait behind the socket callbacks of its loop iteration), on every kind of clock.
            done = loop.create_future()
            handle = clock.call_at(tick, functools.partial(self._pass_then, tick, done))
            try:
                await done
            finally:
                handle.cancel()

    def _pass_then(self, tick: float, done: asyncio.Future[None]) -> None:
        try:
            self._pass(tick)
        finally:
            if not done.done():
                done.set_result(None)

    def _pass(self, tick: float) -> None:
        self.ticks += 1
        now = self.clock.monotonic()
        busy = False
        for sink in list(self._sinks):  # a listener may close a sink mid-pass
            if sink in self._sinks and self._pump(sink, now, tick):
                busy = True
        self._busy = busy


_TICKERS: dict[tuple[asyncio.AbstractEventLoop, int], PacingTicker] = {}


def ticker_for(clock: Clock) -> PacingTicker:
    """The running loop's ticker for `clock`, made on first use."""
    loop = asyncio.get_running_loop()
    for stale in [key for key in _TICKERS if key[0].is_closed()]:
        del _TICKERS[stale]
    key = (loop, id(clock))
    ticker = _TICKERS.get(key)
    if ticker is None:
        ticker = _TICKERS[key] = PacingTicker(clock)
    return ticker


def _forget(ticker: PacingTicker) -> None:
    for key, value in list(_TICKERS.items()):
        if value is ticker:
            del _TICKERS[key]
