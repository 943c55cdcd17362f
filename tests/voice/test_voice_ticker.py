"""The shared pacing ticker in virtual time: every sink's frames leave on one absolute 20 ms grid,
late wake-ups never accumulate into drift, a blocked socket holds up only its own call, and closing
the last sink leaves no task behind."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import json
import random
from collections.abc import Callable

from hvac_agent.voice import ticker as ticker_mod
from hvac_agent.voice.codec import silence
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import VoiceStats

TICK = 0.020


class LateClock:
    """Virtual time where every sleep oversleeps by 0-5 ms, like a busy event loop: a ticker that
    slept a fixed 20 ms per tick would drift ~2.5 ms a tick (over a second after 500 ticks)."""

    def __init__(self, seed: int = 7) -> None:
        self.t = 1000.0
        self.rng = random.Random(seed)
        self.sleeps = 0

    def now(self) -> dt.datetime:
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.t += max(0.0, seconds) + self.rng.uniform(0.0, 0.005)
        await asyncio.sleep(0)

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.Handle:
        """A timer that fires 0-5 ms late: virtual time jumps to it on the next loop pass."""
        self.sleeps += 1

        def fire() -> None:
            self.t = max(self.t, when) + self.rng.uniform(0.0, 0.005)
            callback()

        return asyncio.get_running_loop().call_soon(fire)


class Recorder:
    def __init__(self, clock: LateClock) -> None:
        self.clock = clock
        self.sent: list[tuple[float, dict[str, object]]] = []

    async def send(self, text: str) -> None:
        self.sent.append((self.clock.monotonic(), json.loads(text)))

    def media_times(self) -> list[float]:
        return [t for t, m in self.sent if m["event"] == "media"]


async def _until(predicate: object, limit: int = 200_000) -> None:
    for _ in range(limit):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


def _on_grid(origin: float, t: float) -> tuple[int, float]:
    k = int((t - origin) // TICK)
    return k, t - (origin + k * TICK)


async def test_frames_of_many_sinks_leave_on_one_absolute_20ms_grid_without_drift() -> None:
    clock = LateClock()
    stats = VoiceStats()
    wires = [Recorder(clock) for _ in range(6)]
    sinks = [PacedSink(w.send, f"MZ{i}", clock=clock, stats=stats) for i, w in enumerate(wires)]
    for sink in sinks:
        sink.start()
    ticker = ticker_mod.ticker_for(clock)
    assert ticker.sinks == 6 and len({s._ticker for s in sinks}) == 1  # one clock for all of them
    for sink in sinks[:3]:
        sink.push(silence(10_000))  # 500 frames = 500 ticks
    await _until(lambda: ticker.ticks >= 7)
    for sink in sinks[3:]:  # the rest start mid-stream, at an arbitrary point inside a tick
        sink.push(silence(10_000))
        sink.mark("end")
    await _until(lambda: all(any(m["event"] == "mark" for _, m in w.sent) for w in wires[3:]))

    origin = ticker.origin
    for wire in wires:
        times = wire.media_times()
        assert len(times) == 500
        assert times[:6] == [times[0]] * 6  # the 100 ms lead leaves at once, then one frame a tick
        ticks = [_on_grid(origin, t) for t in times[6:]]
        first_k = ticks[0][0]
        assert [k for k, _ in ticks] == list(range(first_k, first_k + len(ticks)))  # never skipped, never twice
        assert all(0.0 <= late < 0.005 + 1e-9 for _, late in ticks)  # only the wake-up's own lateness
        # 494 ticks on: still on the grid (a relative sleep would be ~1.2 s behind by now)
        assert abs(times[-1] - times[6] - 493 * TICK) < 0.005
    # every sink that started in the same tick sends its frame n in the same pass
    assert {w.media_times()[100] for w in wires[:3]} == {wires[0].media_times()[100]}
    assert {w.media_times()[100] for w in wires[3:]} == {wires[3].media_times()[100]}
    assert stats.lateness_ms.percentile(99) < 5.0 + 1e-6 and stats.underruns == 0

    for sink in sinks:
        await sink.aclose()
    assert ticker._task.done() and ticker_mod._TICKERS == {}
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_closing_a_sink_unregisters_it_and_the_last_one_ends_the_ticker() -> None:
    clock = LateClock(seed=3)
    a, b = Recorder(clock), Recorder(clock)
    sink_a, sink_b = PacedSink(a.send, "MZa", clock=clock), PacedSink(b.send, "MZb", clock=clock)
    sink_a.start()
    sink_b.start()
    ticker = ticker_mod.ticker_for(clock)
    sink_a.push(silence(2000))
    sink_b.push(silence(2000))
    await _until(lambda: len(b.media_times()) >= 20)
    await sink_a.aclose()
    assert ticker.sinks == 1 and not ticker._task.done()
    n = len(a.media_times())
    await _until(lambda: len(b.media_times()) == 100)
    assert len(a.media_times()) == n  # nothing more from the closed sink
    # with nothing queued the ticker sleeps instead of spinning through virtual time
    sleeps = clock.sleeps
    for _ in range(200):
        await asyncio.sleep(0)
    assert clock.sleeps == sleeps
    await sink_b.aclose()
    assert ticker._task.done() and ticker_mod._TICKERS == {}
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_socket_that_pushes_back_delays_only_its_own_call() -> None:
    clock = LateClock(seed=5)
    fast = Recorder(clock)
    slow_sent: list[dict[str, object]] = []
    release = asyncio.Event()

    async def slow_send(text: str) -> None:
        if len(slow_sent) == 10:
            await release.wait()  # the 11th frame sits in a full socket buffer
        slow_sent.append(json.loads(text))

    sink_fast = PacedSink(fast.send, "MZfast", clock=clock)
    sink_slow = PacedSink(slow_send, "MZslow", clock=clock)
    for sink in (sink_fast, sink_slow):
        sink.start()
        sink.push(silence(1000))
        sink.mark("end")
    await _until(lambda: len(fast.media_times()) == 50)
    assert len(slow_sent) == 10 and sink_slow.queued_ms > 0  # stuck, the other call paced on
    release.set()
    await _until(lambda: bool(slow_sent) and slow_sent[-1]["event"] == "mark")
    assert [m["event"] for m in slow_sent] == ["media"] * 50 + ["mark"]  # in order, nothing lost
    for sink in (sink_fast, sink_slow):
        await sink.aclose()
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_listeners_and_sends_run_in_the_calls_own_context() -> None:
    clock = LateClock()
    call_sid: contextvars.ContextVar[str] = contextvars.ContextVar("call_sid", default="-")
    seen: list[str] = []

    async def send(text: str) -> None:
        seen.append(f"send:{call_sid.get()}")

    async def call(sid: str) -> PacedSink:
        call_sid.set(sid)  # like bind_call(): each connection's task has its own
        sink = PacedSink(send, f"MZ{sid}", clock=clock)
        sink.start()
        sink.notify_next_frame(lambda _at: seen.append(f"first:{call_sid.get()}"))
        sink.push(silence(40))
        return sink

    sinks = [await asyncio.create_task(call(sid)) for sid in ("CA1", "CA2")]
    await _until(lambda: len(seen) == 6)
    assert sorted(seen) == ["first:CA1", "first:CA2", "send:CA1", "send:CA1", "send:CA2", "send:CA2"]
    for sink in sinks:
        await sink.aclose()
