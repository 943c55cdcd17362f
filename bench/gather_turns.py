"""Gather turns per second on one core, side by side with a bare FastAPI app answering fixed TwiML.

    python bench/gather_turns.py [--seconds 8] [--concurrency 16] [--rate 200] [--profile FILE]

Both servers run in their own process pinned to one core (`taskset -c 0`), one after the other;
the load generator is this process, pinned to another core. Each virtual caller plays the same
signed call flow against both: the incoming-call webhook, then every gather turn follows the
`action` URL of the previous answer, then the completed status callback. The hvac server is the
real `hvac-agent serve` (embedded SQLite stores, signatures checked) with a profile whose
capacity never runs out, so every call books. Three figures per server:

- throughput: closed loop, `--concurrency` callers, gather turns per second;
- latency at `--rate` gather turns per second (open loop: each turn is due at a fixed time and its
  latency is counted from then, so a slow server cannot hide its queue). It starts 2 s after the
  closed loop (whose last calls leave follow-ups and WAL checkpoints behind) and 0.5 s after its
  64 callers' first incoming-call webhooks, which all go out at once. Caller k starts its first
  call k mod 8 turns in (those turns unpaced and not counted): until round 8 every caller started
  at the first turn, so the pace, handing turns out in turn, kept all 64 calls in lockstep, and
  every 2.6 s all of them booked, hung up and called again within a third of a second (64 status
  callbacks, 64 unpaced new-call webhooks, 64 uncached openings). Real callers are spread over
  every stage of a call; that herd was what made the clusters of 100-200 ms turns;
- how long the server's threads were runnable but waited for their core in the paced phase
  ("core taken", from /proc/PID/task/*/schedstat): other processes on the machine land on the
  pinned core too, and a run whose server waited hundreds of ms has a p99 that says little
  (`nice` does not help: with the kernel's autogroups on, it only ranks threads within a session);
- server CPU per gather turn in the closed loop (the process's user + system time over the gather
  turns): on a shared machine this moves far less than the wall-clock figures. It includes each
  turn's share of the call's start and status callback.

Each call opens with its own line: one of 24 realistic problem statements with one of 8 lead-ins
and 6 endings (1,152 lines, drawn at random), so the server's cache of sentence embeddings cannot
answer every opening from memory and the figure counts the encoder as real callers make it work.
Each call also comes from its own number (a real line of callers, not one number calling thousands
of times a minute). The rest of the flow is the same for every call and ends in a booking.

`--profile FILE` runs the hvac server under cProfile and writes the stats, start-up included.
`--steady-profile FILE` profiles only the throughput phase, after warm-up: the server is started
through this script, which turns cProfile on at SIGUSR1 and off at SIGUSR2 (then
writes FILE), so start-up, model loading and warm-up are left out; the bare app is profiled the
same way into FILE.bare, to compare the framework's share line by line. Each stats file's gather
turn count is printed and stored beside it (FILE.turns, FILE.bare.turns) to read it per turn.

`--server-timing` has both servers stamp every answer with their own clock (when the request reached
the app, when its answer started, the loop thread's CPU and run-queue wait in between) and prints,
per server, where the paced turns' time went: waiting in the load generator for a free caller, on
the way in (the server's loop busy with other requests or its core taken by another process), in
the app, on the way back; the load generator's own loop lag; and how long the server's threads
and the load generator waited for a CPU over the phase (on a shared machine, other processes'
work lands on the servers' core too: `taskset` keeps the server on core 0, not others off it).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response

ROOT = Path(__file__).resolve().parent.parent
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
OPENINGS = [
    "my furnace stopped working and there's no heat",
    "the furnace won't turn on",
    "my ac is blowing warm air",
    "the air conditioner stopped cooling",
    "I need someone to look at my heater",
    "my heat pump is making a loud banging noise",
    "my thermostat is blank and nothing turns on",
    "I'd like to schedule a furnace tune up",
    "the heater is blowing cold air",
    "my upstairs unit isn't cooling at all",
    "can you send a technician, my ac quit",
    "the blower runs but no warm air comes out",
    "my system keeps short cycling",
    "I need a maintenance visit for my air conditioner",
    "the outdoor unit is making a grinding noise",
    "my furnace keeps shutting off after a few minutes",
    "the ac runs all day but the house stays hot",
    "I want to book a repair for my heat pump",
    "there's a rattling sound coming from the vents",
    "my central air isn't working",
    "my thermostat isn't responding",
    "we need someone to fix our air conditioning",
    "the furnace is making a squealing sound",
    "our heat isn't coming on this morning",
]
LEAD_INS = ["", "hi ", "hello ", "yeah hi ", "good morning ", "hi there ", "um ", "hey "]
ENDINGS = ["", " can you help", " please", " can someone come out", " I need help", " thanks"]
FLOW = [
    "dana kim",
    "yes",
    "4410 duval street 78751",
    "no",
    "no",
    "the first one",
    "yes",
]
ACTION = re.compile(rb'<Gather[^>]*action="([^"]+)"')
BARE_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="{action}" actionOnEmptyResult="true" '
    'input="speech dtmf" method="POST" speechTimeout="auto" timeout="5"><Say language="en-US" '
    'voice="Polly.Joanna">Thanks. What else can you tell me?</Say></Gather></Response>'
)


# ---- the bare app ---------------------------------------------------------------------------------


def bare_app(public_url: str) -> FastAPI:
    """FastAPI answering fixed TwiML on the same paths (the framework's own cost, nothing else)."""
    app = FastAPI()

    def twiml(turn: int) -> Response:
        action = f"{public_url}/twilio/gather?turn={turn}"
        return Response(BARE_TWIML.format(action=action), media_type="application/xml")

    @app.post("/twilio/voice")
    async def voice(request: Request) -> Response:
        await request.form()
        return twiml(0)

    @app.post("/twilio/gather")
    async def gather(request: Request) -> Response:
        await request.form()
        return twiml(int(request.query_params.get("turn", "0")) + 1)

    @app.post("/twilio/status")
    async def status(request: Request) -> Response:
        await request.form()
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', media_type="application/xml")

    return app


def profile_on_signals(profile: str) -> None:
    """cProfile this process from SIGUSR1 to SIGUSR2, then write the stats to `profile`."""
    import cProfile

    profiler = cProfile.Profile()

    def start(_signum: int, _frame: object) -> None:
        profiler.enable()

    def stop(_signum: int, _frame: object) -> None:
        profiler.disable()
        profiler.dump_stats(profile)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)


def run_stat() -> tuple[int, int]:
    """This thread's CPU time and time spent waiting for a CPU on a run queue so far, in ns."""
    with open("/proc/thread-self/schedstat") as stat:
        waiting = stat.read().split()[1]
    return time.thread_time_ns(), int(waiting)


class ServerTiming:
    """ASGI wrapper (`--server-timing` only): each answer carries `x-bench-server: START,END,CPU,WAIT`,
    the server's clock (CLOCK_MONOTONIC, the client's `perf_counter` on Linux) when the request reached
    the app and when its answer started, and the event loop thread's CPU and run-queue wait in between
    (ns), so the client can tell time spent in the server from time spent before or after it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter_ns()
        cpu0, wait0 = run_stat()

        async def timed(message: Any) -> None:
            if message["type"] == "http.response.start":
                cpu1, wait1 = run_stat()
                value = f"{start},{time.perf_counter_ns()},{cpu1 - cpu0},{wait1 - wait0}".encode()
                message["headers"] = [*message.get("headers", []), (b"x-bench-server", value)]
            await send(message)

        await self.app(scope, receive, timed)


def run_hvac(port: int, profile: str, timing: bool = False) -> None:
    """The real `hvac-agent serve`, profiled from SIGUSR1 to SIGUSR2 when `profile` names a file."""
    import hvac_agent.app as app_module
    from hvac_agent.cli import main as cli

    if profile:
        profile_on_signals(profile)
    if timing:  # uvicorn imports `hvac_agent.app:create_app` by name: hand it the wrapped app
        factory = app_module.create_app

        def timed_app() -> Any:
            return ServerTiming(factory())

        setattr(app_module, "create_app", timed_app)  # noqa: B010 - mypy would refuse the plain assignment
    cli(["serve", "--port", str(port)], standalone_mode=False)


def run_bare(port: int, profile: str | None = None, timing: bool = False) -> None:
    import uvicorn

    if profile:
        profile_on_signals(profile)
    app: Any = bare_app(f"http://127.0.0.1:{port}")
    if timing:
        app = ServerTiming(app)
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


# ---- a small keep-alive HTTP/1.1 client (httpx would cost more CPU than the bare app) -------------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.sent = self.received = 0.0  # the last request's write and first answer line (perf_counter)
        self.server = b""  # the last answer's x-bench-server header (--server-timing)

    async def post(self, path: str, body: bytes, signature: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n"
            f"I-Twilio-Idempotency-Token: {uuid.uuid4().hex}\r\n\r\n"
        )
        self.sent = time.perf_counter()
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        self.received = time.perf_counter()  # the first line of the answer is in
        length = 0
        self.server = b""
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"x-bench-server":
                self.server = value.strip()
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def sign(url: str, params: dict[str, str]) -> str:
    """Twilio's signature: HMAC-SHA1 over the URL and the sorted form fields, base64."""
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(AUTH_TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Tally:
    gather_ms: list[float] = field(default_factory=list)
    other_ms: list[float] = field(default_factory=list)
    calls: int = 0
    errors: int = 0
    # per gather turn: (due, sent, first answer byte read, x-bench-server header or b"", turn of its call)
    traces: list[tuple[float, float, float, bytes, int]] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)  # the load generator's own event loop lag


class Caller:
    """Plays call flows one after another on one keep-alive connection."""

    def __init__(self, base_url: str, tally: Tally) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
        self.tally = tally

    async def _post(self, url: str, params: dict[str, str]) -> bytes:
        path = url[len(self.base_url) :]
        status, body = await self.conn.post(path, urlencode(params).encode(), sign(url, params))
        if status != 200:
            self.tally.errors += 1
        return body

    async def call(
        self,
        pace: asyncio.Queue[float] | None,
        lead: int = 0,
        led: asyncio.Event | None = None,
        go: asyncio.Event | None = None,
    ) -> None:
        """One call. Its first `lead` turns go at once and are not counted (then `led` is set, and
        the caller waits for `go` before it queues for its first paced turn): the paced phase starts
        its callers at different points of the flow, in an order the phase chooses."""
        sid = "CA" + uuid.uuid4().hex
        caller = f"+1512555{random.randrange(10000):04d}"
        base = {"CallSid": sid, "From": caller, "To": "+15125550199", "AccountSid": "AC" + "0" * 32}
        opening = random.choice(LEAD_INS) + random.choice(OPENINGS) + random.choice(ENDINGS)
        t0 = time.perf_counter()
        body = await self._post(self.base_url + "/twilio/voice", {**base, "CallStatus": "ringing"})
        self.tally.other_ms.append((time.perf_counter() - t0) * 1000)
        for position, line in enumerate([opening, *FLOW]):
            found = ACTION.search(body)
            if found is None:
                break
            if position == lead and led is not None:
                led.set()
                if go is not None:
                    await go.wait()
            due = time.perf_counter()
            if pace is not None and position >= lead:
                due = await pace.get()
                pace.task_done()
            body = await self._post(
                found.group(1).decode().replace("&amp;", "&"),
                {**base, "SpeechResult": line, "Confidence": "0.92", "CallStatus": "in-progress"},
            )
            if position < lead:
                continue
            self.tally.gather_ms.append((time.perf_counter() - due) * 1000)
            self.tally.traces.append((due, self.conn.sent, self.conn.received, self.conn.server, position))
        if led is not None:
            led.set()  # a call cut short (no `action` to follow) must not hold the paced phase back
        t0 = time.perf_counter()
        await self._post(self.base_url + "/twilio/status", {**base, "CallStatus": "completed", "CallDuration": "60"})
        self.tally.other_ms.append((time.perf_counter() - t0) * 1000)
        self.tally.calls += 1


async def closed_loop(base_url: str, concurrency: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.perf_counter() + seconds
    callers = [Caller(base_url, tally) for _ in range(concurrency)]

    async def run(caller: Caller) -> None:
        while time.perf_counter() < deadline:
            await caller.call(None)

    await asyncio.gather(*(run(c) for c in callers))
    for c in callers:
        c.conn.close()
    return tally


async def open_loop(base_url: str, rate: float, seconds: float, callers_n: int = 64) -> Tally:
    """Gather turns due at `rate` per second; each latency counts from its due time."""
    tally = Tally()
    pace: asyncio.Queue[float] = asyncio.Queue()
    stop = asyncio.Event()

    async def ticker() -> None:
        start = time.perf_counter()
        for k in range(int(rate * seconds)):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pace.put_nowait(due)
        stop.set()

    callers = [Caller(base_url, tally) for _ in range(callers_n)]

    # Each caller's first call starts at its own turn of the flow (caller k skips ahead k mod 8 turns,
    # unpaced and not counted), as real calls are at every stage at once. Started together at the
    # first turn, the callers would go round the flow in lockstep (the pace hands turns out in turn):
    # all 64 would book within a third of a second, then post 64 status callbacks and 64 new calls'
    # webhooks (unpaced) and 64 uncached openings, once per 2.6 s. That herd, which real callers
    # never make, was most of the slow turns of earlier rounds (100-200 ms clusters).
    leds = [asyncio.Event() for _ in callers]
    # The pace hands turns out in the order callers queued for them. Left to themselves, the callers
    # with no lead-in (every eighth, all at their opening) queue first, so the first eight paced
    # turns were all uncached openings 5 ms apart (about 4 ms of CPU each): a queue the steady rate
    # never builds, and most of round 9's slow turns (due in the first 40 ms). They queue in a
    # shuffled order instead, the same in every run.
    gos = [asyncio.Event() for _ in callers]

    async def run(k: int, caller: Caller) -> None:
        await caller.call(pace, lead=k % (len(FLOW) + 1), led=leds[k], go=gos[k])
        while not stop.is_set():
            await caller.call(pace)

    async def lag_monitor() -> None:  # how late this loop wakes from a 1 ms sleep
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            tally.lag_ms.append((time.perf_counter() - before) * 1000 - 1.0)

    runners = [asyncio.create_task(run(k, c)) for k, c in enumerate(callers)]
    runners.append(asyncio.create_task(lag_monitor()))
    # Every caller's first incoming-call webhook and lead-in turns go out at once; let that herd (not
    # the steady rate measured here) be answered before turns fall due.
    await asyncio.gather(*(led.wait() for led in leds))
    await asyncio.sleep(0.5)
    for k in random.Random(16).sample(range(len(callers)), len(callers)):
        gos[k].set()
        for _ in range(3):  # the caller wakes and queues for its turn before the next one is let go
            await asyncio.sleep(0)
    tick = asyncio.create_task(ticker())
    await tick
    with contextlib.suppress(TimeoutError):  # every due turn taken by a caller
        await asyncio.wait_for(pace.join(), timeout=10)
    await asyncio.sleep(0.2)
    for r in runners:
        r.cancel()
    await asyncio.gather(*runners, return_exceptions=True)
    for c in callers:
        c.conn.close()
    return tally


# ---- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(port: int, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("server did not start")


def embedded_env(workdir: Path, public_url: str) -> dict[str, str]:
    """The hvac server's settings for the bench: the embedded default (SQLite files in `workdir`),
    signatures checked, and the example business with capacity that never runs out (every call
    books). The business file is written into `workdir`."""
    business = workdir / "business.toml"
    text = (ROOT / "examples" / "business.toml").read_text()
    business.write_text(re.sub(r"technicians_per_window\s*=\s*\d+", "technicians_per_window = 1000000", text))
    return {
        "HVAC_DATABASE_URL": f"sqlite:///{workdir / 'hvac.db'}",
        "HVAC_SESSION_DB": str(workdir / "sessions.db"),
        "HVAC_BUSINESS_FILE": str(business),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HVAC_PUBLIC_URL": public_url,
        "HVAC_LOG_LEVEL": "WARNING",
        "HVAC_CALLS_PER_NUMBER": "100000000",
    }


def start_server(
    kind: str,
    port: int,
    workdir: Path,
    cpu: str,
    profile: str | None,
    steady: str | None = None,
    timing: bool = False,
) -> subprocess.Popen[bytes]:
    pin = ["taskset", "-c", cpu] if shutil.which("taskset") else []
    env = dict(os.environ)
    if kind == "bare":
        cmd = [*pin, sys.executable, __file__, "--bare-app", "--port", str(port)]
        if steady:
            cmd += ["--profile-into", steady]
        if timing:
            cmd += ["--server-timing"]
    else:
        env.update(embedded_env(workdir, f"http://127.0.0.1:{port}"))
        env.pop("HVAC_REDIS_URL", None)
        runner = ["-m", "cProfile", "-o", profile] if profile else []
        if steady or timing:
            cmd = [*pin, sys.executable, __file__, "--hvac-server", "--profile-into", steady or "", "--port", str(port)]
            cmd += ["--server-timing"] if timing else []
        else:
            cmd = [*pin, sys.executable, *runner, "-m", "hvac_agent.cli", "serve", "--port", str(port)]
    log = open(workdir / f"{kind}.log", "ab")
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True, cwd=ROOT)
    wait_up(port, process)
    if kind == "hvac":
        wait_understanding(port)
    return process


def wait_understanding(port: int, timeout_s: float = 180) -> str:
    """Until the encoder has loaded in the background (its load would be counted against the turns)."""
    deadline = time.monotonic() + timeout_s
    mode = "?"
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
            mode = str(json.load(answer).get("metrics", {}).get("understanding", "?"))
        if not mode.startswith("loading"):
            break
        time.sleep(0.5)
    print(f"hvac understanding: {mode}", file=sys.stderr)
    return mode


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)  # SIGINT: uvicorn shuts down cleanly (cProfile writes its file)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its waited-for children so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def server_waits(pid: int) -> int:
    """Time every thread of the server has spent runnable but waiting for its core so far (ns)."""
    return sum(thread_waits(pid).values())


def thread_waits(pid: int) -> dict[str, int]:
    """Each thread's time spent runnable but waiting for a core so far (ns), by `comm` and id."""
    waits: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            name = f"{(task / 'comm').read_text().strip()}/{task.name}"
            waits[name] = int((task / "schedstat").read_text().split()[1])
    return waits


def explain(kind: str, paced: Tally, server_wait_s: float, client_wait_s: float) -> None:
    """Where the paced turns' time went (`--server-timing`): before the request left the load
    generator, on the way in (the server's loop busy or its core taken), in the app, on the way back."""
    rows = []
    for due, sent, received, header, _position in paced.traces:
        if not header:
            continue
        start_ns, end_ns, cpu_ns, wait_ns = (int(v) for v in header.split(b","))
        start, end = start_ns / 1e9, end_ns / 1e9
        rows.append(
            (
                (received - due) * 1000,
                (sent - due) * 1000,
                (start - sent) * 1000,
                (end - start) * 1000,
                cpu_ns / 1e6,
                wait_ns / 1e6,
                (received - end) * 1000,
            )
        )
    names = ["total", "client queue", "to app", "in app", "app CPU", "app core wait", "back"]
    print(f"{kind}: paced phase, {len(rows)} timed turns; ms at p50 / p99 / max per part", file=sys.stderr)
    for i, name in enumerate(names):
        col = [r[i] for r in rows]
        print(f"  {name:14} {pct(col, 0.5):7.2f} {pct(col, 0.99):7.2f} {max(col, default=0):7.1f}", file=sys.stderr)
    slow = [r for r in rows if r[0] > 10]
    if slow:
        sums = [sum(r[i] for r in slow) / len(slow) for i in range(len(names))]
        parts = ", ".join(f"{n} {v:.1f}" for n, v in zip(names, sums, strict=True))
        print(f"  {len(slow)} turns over 10 ms, mean parts: {parts}", file=sys.stderr)
        first = min(t[0] for t in paced.traces)
        late = [t for t in paced.traces if (t[2] - t[0]) * 1000 > 10]
        positions = [sum(1 for t in late if t[4] == k) for k in range(len(FLOW) + 1)]
        print(f"  slow turns by turn of the call: {positions}", file=sys.stderr)
        print("  slow turns' due times (s): " + " ".join(f"{t[0] - first:.2f}" for t in late[::5]), file=sys.stderr)
    lag = paced.lag_ms
    print(
        f"  load generator loop lag p99 {pct(lag, 0.99):.2f} ms max {max(lag, default=0):.1f} ms; "
        f"run-queue wait over the phase: server {server_wait_s * 1000:.0f} ms, load generator "
        f"{client_wait_s * 1000:.0f} ms",
        file=sys.stderr,
    )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    port = free_port()
    profile = args.profile if kind == "hvac" else None
    steady = None
    if args.steady_profile:
        steady = args.steady_profile if kind == "hvac" else args.steady_profile + ".bare"
    process = start_server(kind, port, workdir, args.cpu, profile, steady, args.server_timing)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(closed_loop(base, 4, 2.0))  # warm-up: first-use loads, caches
        spy = None
        if kind == "hvac" and args.py_spy:  # sampled stacks of the server (collapsed, for flame graphs)
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--format",
                    "raw",
                    "-o",
                    args.py_spy,
                    "-r",
                    "250",
                    "-d",
                    str(int(args.seconds)),
                    "-p",
                    str(process.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        if steady:
            os.kill(process.pid, signal.SIGUSR1)
        started, cpu_before = time.perf_counter(), cpu_seconds(process.pid)
        tally = asyncio.run(closed_loop(base, args.concurrency, args.seconds))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu_before
        if steady:
            os.kill(process.pid, signal.SIGUSR2)
            Path(steady + ".turns").write_text(f"{len(tally.gather_ms)}\n")
            print(f"steady-state profile: {steady} covers {len(tally.gather_ms)} gather turns", file=sys.stderr)
        if spy is not None:
            spy.wait(timeout=60)
        # The closed loop leaves the server work that is not a turn (the last calls' follow-ups,
        # WAL checkpoints): let it finish, so the paced phase measures the steady rate alone.
        time.sleep(2.0)
        waits_before, client_before = thread_waits(process.pid), run_stat()
        paced = asyncio.run(open_loop(base, args.rate, args.seconds))
        waits_after = thread_waits(process.pid)
        by_thread = {name: waits_after[name] - waits_before.get(name, 0) for name in waits_after}
        server_wait_s = sum(by_thread.values()) / 1e9
        client_wait_s = (run_stat()[1] - client_before[1]) / 1e9
    finally:
        stop_server(process)
    if args.server_timing:
        explain(kind, paced, server_wait_s, client_wait_s)
        busiest = sorted(by_thread.items(), key=lambda item: -item[1])[:4]
        listed = ", ".join(f"{n} {w / 1e6:.0f}" for n, w in busiest)
        print(f"  core wait by server thread (ms): {listed}", file=sys.stderr)
    return {
        "turns_per_s": len(tally.gather_ms) / elapsed,
        "cpu_ms_per_turn": 1000 * cpu / max(len(tally.gather_ms), 1),
        "calls": tally.calls,
        "errors": tally.errors + paced.errors,
        "closed_p50_ms": pct(tally.gather_ms, 0.5),
        "paced_rate": args.rate,
        "paced_turns": len(paced.gather_ms),
        "paced_p50_ms": pct(paced.gather_ms, 0.5),
        "paced_p99_ms": pct(paced.gather_ms, 0.99),
        "paced_max_ms": max(paced.gather_ms, default=float("nan")),
        "start_status_p50_ms": statistics.median(tally.other_ms) if tally.other_ms else float("nan"),
        "paced_core_wait_ms": server_wait_s * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0, help="gather turns per second in the paced phase")
    parser.add_argument("--cpu", default="0", help="the core the servers are pinned to")
    parser.add_argument("--profile", default=None, help="cProfile the hvac server into this file")
    parser.add_argument(
        "--steady-profile", default=None, help="cProfile the hvac server's throughput phase only into this file"
    )
    parser.add_argument("--py-spy", default=None, help="sample the hvac server with py-spy into this file")
    parser.add_argument(
        "--server-timing",
        action="store_true",
        help="the servers stamp each answer with their own timing: print where the paced turns' time went",
    )
    parser.add_argument("--only", choices=["hvac", "bare"], default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--bare-app", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hvac-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-into", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_app:
        run_bare(args.port, args.profile_into or None, args.server_timing)
        return 0
    if args.hvac_server:
        run_hvac(args.port, args.profile_into, args.server_timing)
        return 0
    try:  # a lighter event loop keeps the load generator from being the bottleneck
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    cores = os.sched_getaffinity(0)
    others = sorted(cores - {int(args.cpu)})
    if others:
        os.sched_setaffinity(0, {others[0]})  # the load generator never shares the servers' core
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="hvac-bench-") as tmp:
        for kind in ("bare", "hvac"):
            if args.only in (None, kind):
                results[kind] = measure(kind, args, Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for kind, r in results.items():
            print(
                f"{kind:5}  {r['turns_per_s']:8.0f} gather turns/s (closed loop, {args.concurrency} callers, "
                f"p50 {r['closed_p50_ms']:.1f} ms)   at {r['paced_rate']:.0f}/s: p50 {r['paced_p50_ms']:.2f} ms "
                f"p99 {r['paced_p99_ms']:.2f} ms max {r['paced_max_ms']:.1f} ms "
                f"(core taken {r['paced_core_wait_ms']:.0f} ms)"
                f"   errors {r['errors']:.0f}   server CPU {r['cpu_ms_per_turn']:.2f} ms/turn"
            )
        if "bare" in results and "hvac" in results:
            share = results["hvac"]["turns_per_s"] / results["bare"]["turns_per_s"]
            print(
                f"hvac / bare: {share:.1%} (goal ≥ 25%); hvac p99 at {args.rate:.0f}/s: "
                f"{results['hvac']['paced_p99_ms']:.2f} ms (goal ≤ 10 ms)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
