"""Where a gather call's time goes, operation by operation, with the SQL statements each one sends.

    python bench/call_operations.py [--calls 40]

Plays the benchmark's call flow (bench/gather_turns.py: its openings, its booking flow) straight
into `CallService` on real embedded stores (SQLite files in a temporary directory), with no HTTP in
front, one call after another. Each operation of a call is timed (wall, so it includes time given
to other processes on a shared machine) and its SQL statements are counted by SQLAlchemy's
`before_cursor_execute` event (BEGIN and COMMIT are not statements here), with the time the driver
spent running them. Operations nest: `agent.respond` includes the booking calls it makes. The
first five calls warm up and are not counted. The process's CPU time per call and per gather turn
is printed first.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gather_turns
from hvac_agent.app import start_services
from hvac_agent.clock import SystemClock
from hvac_agent.config import Settings, load_profile
from hvac_agent.dialogue.state import CallerSaid
from hvac_agent.observability.logging import configure_logging
from hvac_agent.observability.metrics import Metrics

WARM_UP = 5


class Tally:
    def __init__(self) -> None:
        self.wall_ns: dict[str, list[int]] = collections.defaultdict(list)
        self.statements: collections.Counter[str] = collections.Counter()
        self.driver_ns: collections.Counter[str] = collections.Counter()
        self.current: list[str] = []

    def clear(self) -> None:
        self.wall_ns.clear()
        self.statements.clear()
        self.driver_ns.clear()

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            self.current.append(label)
            started = time.perf_counter_ns()
            try:
                return await original(*args, **kwargs)
            finally:
                self.wall_ns[label].append(time.perf_counter_ns() - started)
                self.current.pop()

        setattr(owner, name, timed)

    def where(self) -> str:
        return self.current[-1] if self.current else "(other)"


async def run(calls: int) -> None:
    configure_logging(json_lines=True, level="WARNING", log_pii=False)
    workdir = Path(tempfile.mkdtemp(prefix="hvac-ops-"))
    os.environ.update(gather_turns.embedded_env(workdir, "http://127.0.0.1:8000"))
    os.environ.pop("HVAC_REDIS_URL", None)
    settings = Settings()
    services = await start_services(settings, SystemClock(), load_profile(settings.business_file), Metrics())
    tally = Tally()

    @event.listens_for(services.engine.sync_engine, "before_cursor_execute")
    def before(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        tally.statements[tally.where()] += 1
        context.bench_started = time.perf_counter_ns()

    @event.listens_for(services.engine.sync_engine, "after_cursor_execute")
    def after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        tally.driver_ns[tally.where()] += time.perf_counter_ns() - context.bench_started

    for name in ("open_windows", "hold_window", "book", "release_holds", "past_visits"):
        tally.wrap(services.booking, name, name)
    for name in ("record_turn", "finish_call"):
        tally.wrap(services.records, name, f"records.{name}")
    tally.wrap(services.facts, "save", "facts.save")
    for name in ("get", "put", "delete"):
        tally.wrap(services.store, name, f"sessions.{name}")
    tally.wrap(services.calls, "start", "start (greeting)")
    tally.wrap(services.calls, "end_call", "end_call (status)")
    tally.wrap(services.calls.agent, "respond", "agent.respond")
    rnd = random.Random(16)
    flow_turns = 1 + len(gather_turns.FLOW)
    cpu_started = time.process_time()
    try:
        for n in range(calls + WARM_UP):
            if n == WARM_UP:
                tally.clear()
                cpu_started = time.process_time()
            call_sid = f"CA{n:032d}"
            await services.calls.start(call_sid, f"+1512555{n % 10000:04d}")
            opening = rnd.choice(gather_turns.LEAD_INS) + rnd.choice(gather_turns.OPENINGS)
            for said in [opening + rnd.choice(gather_turns.ENDINGS), *gather_turns.FLOW]:
                await services.calls.turn(call_sid, CallerSaid(text=said, confidence=0.9))
            await services.calls.end_call(call_sid, duration_s=60)
        cpu = time.process_time() - cpu_started
    finally:
        await services.aclose()
    print(f"{calls} calls: CPU {cpu / calls * 1000:.1f} ms per call, {cpu / calls / flow_turns * 1000:.2f} ms per turn")
    print(f"{'operation':22} {'per call':>8} {'mean wall':>10} {'wall/call':>10} {'statements':>10} {'driver':>9}")
    for label, spans in sorted(tally.wall_ns.items(), key=lambda item: -sum(item[1])):
        print(
            f"{label:22} {len(spans) / calls:8.1f} {sum(spans) / len(spans) / 1e3:8.0f}µs "
            f"{sum(spans) / calls / 1e3:8.0f}µs {tally.statements[label] / calls:10.1f} "
            f"{tally.driver_ns[label] / calls / 1e3:7.0f}µs"
        )
    print(f"statements outside these operations: {tally.statements['(other)'] / calls:.1f} per call")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    asyncio.run(run(parser.parse_args().calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
