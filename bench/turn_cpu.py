"""Where a gather turn's CPU goes: the bench's call flow played straight into the ASGI app.

    taskset -c 0 python bench/turn_cpu.py [--calls 200] [--warm 40] [--rules-only]

`bench/gather_turns.py` measures the server from outside (sockets, uvicorn, the load generator's
pacing); this one removes all of that to say what the app itself spends, and on what. The same
signed call flows (`gather_turns.Caller`'s: the incoming call, an opening from 1,152 lines, seven
answers ending in a booking, the status callback) go into `create_app()` as ASGI messages, one call
at a time, on the embedded default (SQLite stores) with the encoder loaded. It prints:

- the process's CPU per request of each stage of the call, and per gather turn (the call's ten
  requests over its eight gather turns, as the other bench counts them);
- how much of that three parts take that every turn needs whatever is cut elsewhere: caller
  understanding (`understand()`, the encoder included), the SQLite statements (session, call
  record, windows, holds, booking: everything `LoopConnections.run` runs on the loop) and the
  framework (the bare FastAPI app of `gather_turns.py` answering the same signed form, in-process);
- with `--bench-bare MS` (the bare app's server CPU per turn that `gather_turns.py` printed on this
  machine), the budget: the CPU a turn may cost in the app for the server to answer 25% (and 15%)
  of the bare app's rate, and what the three parts leave of it for everything else (policy, state,
  TwiML, signatures, facts, metrics, logs).

`--rules-only` takes the encoder out after it has loaded (what the turn costs without it).
Understanding and SQLite are timed by wrapping the two functions in this process (a wrapper costs
about a microsecond a call), so the parts are the app's own code, measured where it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message, Scope

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gather_turns as flows  # the other bench's call flow and bare app

BASE = "http://127.0.0.1:8000"
STAGES = ["incoming call", *(f"turn {k}" for k in range(1 + len(flows.FLOW))), "status callback"]


class Driver:
    """Posts signed forms into an ASGI app and keeps the process CPU of each request by stage."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.cpu: dict[str, list[float]] = collections.defaultdict(list)

    async def post(self, url: str, params: dict[str, str], stage: str | None = None) -> bytes:
        path, _, query = url[len(BASE) :].partition("?")
        body = urlencode(params).encode()
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
                (b"x-twilio-signature", flows.sign(url, params).encode()),
                (b"i-twilio-idempotency-token", uuid.uuid4().hex.encode()),
            ],
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 5555),
            "state": dict(self.state),
        }
        delivered = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        started = time.process_time()
        await self.app(scope, receive, send)
        if stage is not None:
            self.cpu[stage].append(time.process_time() - started)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        return b"".join(chunks)

    async def call(self) -> None:
        """One call of `gather_turns`' flow, each request's CPU kept under its stage."""
        base = {
            "CallSid": "CA" + uuid.uuid4().hex,
            "From": f"+1512555{random.randrange(10000):04d}",
            "To": "+15125550199",
            "AccountSid": "AC" + "0" * 32,
        }
        opening = random.choice(flows.LEAD_INS) + random.choice(flows.OPENINGS) + random.choice(flows.ENDINGS)
        answer = await self.post(BASE + "/twilio/voice", {**base, "CallStatus": "ringing"}, STAGES[0])
        for k, line in enumerate([opening, *flows.FLOW]):
            found = flows.ACTION.search(answer)
            if found is None:
                raise SystemExit(f"turn {k}: no <Gather action> in {answer[:200]!r}")
            url = found.group(1).decode().replace("&amp;", "&")
            params = {**base, "SpeechResult": line, "Confidence": "0.92", "CallStatus": "in-progress"}
            answer = await self.post(url, params, STAGES[1 + k])
        if b"all set" not in answer:
            raise SystemExit(f"the call did not book: {answer[:300]!r}")
        await self.post(BASE + "/twilio/status", {**base, "CallStatus": "completed", "CallDuration": "60"}, STAGES[-1])


class Parts:
    """Process CPU spent inside wrapped functions (neither wrapped function calls itself)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = collections.defaultdict(float)

    def wrap_sync(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] += time.process_time() - started

        return timed

    def wrap_async(self, name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return await function(*args, **kwargs)
            finally:
                self.spent[name] += time.process_time() - started

        return timed


async def bare_cpu(requests: int) -> float:
    """CPU per request of the bare FastAPI app answering a signed gather form (the framework's floor)."""
    driver = Driver(flows.bare_app(BASE), {})
    params = {"CallSid": "CA" + "1" * 32, "From": "+15125550100", "SpeechResult": "yes", "CallStatus": "in-progress"}
    for _ in range(200):
        await driver.post(BASE + "/twilio/gather?turn=1", params)
    started = time.process_time()
    for _ in range(requests):
        await driver.post(BASE + "/twilio/gather?turn=1", params)
    return (time.process_time() - started) / requests


async def run(args: argparse.Namespace) -> None:
    os.environ.update(flows.embedded_env(Path(tempfile.mkdtemp(prefix="turn-cpu-")), BASE))
    os.environ.pop("HVAC_REDIS_URL", None)
    import hvac_agent.dialogue.rules as rules
    from hvac_agent.app import create_app
    from hvac_agent.booking.sqlite_inline import LoopConnections
    from hvac_agent.dialogue.nlu import semantic

    parts = Parts()
    # Wrapped where they are looked up: the rules engine's name for `understand`, the class's `run`.
    setattr(rules, "understand", parts.wrap_sync("understanding", getattr(rules, "understand")))  # noqa: B010, B009
    setattr(LoopConnections, "run", parts.wrap_async("SQLite statements", LoopConnections.run))  # noqa: B010
    random.seed(args.seed)
    app = create_app()
    async with app.router.lifespan_context(app) as state:
        for _ in range(1800):
            if not semantic.status().startswith("loading"):
                break
            await asyncio.sleep(0.1)
        if args.rules_only:
            semantic.install(None)
        print(f"understanding: {semantic.status()}")
        driver = Driver(app, dict(state or {}))
        for _ in range(args.warm):
            await driver.call()
        driver.cpu.clear()
        parts.spent.clear()
        started = time.process_time()
        for _ in range(args.calls):
            await driver.call()
        total = time.process_time() - started
    turns = args.calls * (1 + len(flows.FLOW))
    per_turn = total / turns
    bare = await bare_cpu(4000)
    print(f"{args.calls} calls after {args.warm} to warm up, CPU per request (mean / median):")
    for stage in STAGES:
        values = driver.cpu[stage]
        print(f"  {stage:<16} {statistics.mean(values) * 1e3:6.3f} / {statistics.median(values) * 1e3:6.3f} ms")
    print(f"per gather turn (the call's requests / {1 + len(flows.FLOW)}): {per_turn * 1e3:.3f} ms")
    needed = {name: spent / turns for name, spent in parts.spent.items()}
    needed["framework (bare FastAPI, same form)"] = bare
    for name, cost in needed.items():
        print(f"  {name:<38} {cost * 1e3:6.3f} ms a turn  ({cost / per_turn:5.1%})")
    floor = sum(needed.values())
    print(f"  {'the three together':<38} {floor * 1e3:6.3f} ms a turn  ({floor / per_turn:5.1%})")
    print(f"  {'everything else':<38} {(per_turn - floor) * 1e3:6.3f} ms a turn")
    if args.bench_bare:
        # The server's own share (uvicorn: sockets, HTTP parsing) is what the bare app costs there
        # beyond what it costs here; the hvac app pays it too, on top of its in-app budget.
        server = args.bench_bare / 1e3 - bare
        for share in (0.25, 0.15):
            budget = args.bench_bare / 1e3 / share - server
            print(
                f"at {share:.0%} of the bare app's rate a turn may cost {budget * 1e3:.3f} ms in the app"
                f" (server's own {server * 1e3:.3f} ms aside): the three leave {(budget - floor) * 1e3:+.3f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warm", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rules-only", action="store_true", help="take the encoder out after it has loaded")
    parser.add_argument(
        "--bench-bare",
        type=float,
        metavar="MS",
        help="the bare app's server CPU per turn from gather_turns.py on this machine: prints the budgets",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
