"""Injectable clocks: timers, TTLs, breakers, pacing and "now" read a clock, so tests run in virtual time.

`call_at(when, callback)` schedules a plain callback at a point on the clock's monotonic scale.
The voice pacing ticker is built on it, so the production ticker runs unchanged on every clock:
real time, scaled time (the caller simulator, benches) or manual time (`FixedClock.advance`).

The rule: anything that *behaves* by time (deadlines, timers, TTLs, limits, "today", pacing)
reads an injected `Clock`, never `time`, `datetime.now()` or `loop.time()`. Two instances are
wired per app: business time (`Services.clock`) and the speech side's real time
(`StreamWiring.clock`); the LLM client's deadlines run on its own (`SYSTEM_CLOCK` by default).
Latency *metrics* only measure and may keep `time.perf_counter()`. Waits on the outside world
stay on the event loop's real time: timeouts around a socket or a database (`asyncio.timeout`,
`wait_for`), the polling interval of an I/O loop (outbox dispatcher, the console's live feed),
SQLite's busy-retry at connect (`booking/db.py`, another process's file lock); so does the
caller simulator (a client, not the server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Aware UTC wall-clock time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for durations and deadlines."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        """Run `callback` on the running event loop once `monotonic()` reaches `when`."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        # A timer callback runs before the socket callbacks of its loop iteration (unlike a task
        # wake-up), which is what the pacing ticker wants.
        return asyncio.get_running_loop().call_later(max(0.0, when - time.monotonic()), callback)


SYSTEM_CLOCK = SystemClock()  # the process's real-time clock (one pacing ticker for every call)


class ScaledClock(SystemClock):
    """Monotonic time and sleeps running `speed` times faster than real time (tests, simulator)."""

    def __init__(self, speed: float = 10.0) -> None:
        self.speed = speed
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        delay_s = max(0.0, when - self.monotonic()) / self.speed
        return asyncio.get_running_loop().call_later(delay_s, callback)


class _ManualTimer:
    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FixedClock:
    """A manual clock for tests: time moves only when told to (`advance`) or when slept on; timers
    set with `call_at` fire, in order, as time passes them."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)
        self._mono = 0.0
        self._timers: list[tuple[float, int, _ManualTimer]] = []
        self._order = itertools.count()

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:  # tests may set the wall clock back; timers only ever move forward
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds
            return
        target = self._mono + seconds
        while self._timers and self._timers[0][0] <= target:
            when, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._step_to(when)
            timer.callback()
        self._step_to(target)

    def _step_to(self, mono: float) -> None:
        if mono > self._mono:
            self._now += dt.timedelta(seconds=mono - self._mono)
            self._mono = mono

    def set(self, when: dt.datetime) -> None:
        delta = (when.astimezone(dt.UTC) - self._now).total_seconds()
        self.advance(delta)

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        timer = _ManualTimer(callback)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        return timer
