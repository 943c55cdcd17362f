"""Stream pipeline benchmark with instant fake engines: what the telephony layer itself costs.

Server: this file with `--serve` — the real `WS /twilio/stream` router and pipeline, `fake` STT/TTS
and an instant scripted dialogue — in its own process, pinned to CPU 0 (`taskset`), uvloop.
Load: N simulated Twilio calls from this process (pinned to CPU 1): 20 ms μ-law frames all the
time (synthesised speech, then silence), marks echoed as they arrive, turn after turn.

Figures (measured inside the server, so the load generator's own lag does not count):
- overhead: end-of-turn decision → first outbound media frame of the reply's words (p50/p99),
  and any turn-taking decision → the first frame answering it (the "Okay." said at a likely end
  included); also the last voiced caller frame → first agent audio, which adds the silence the
  endpointer waits for (~300 ms to the "Okay." of an open answer);
- pacing lateness of outbound frames against their real-time schedule (p99) = jitter, and
  underruns: frames later than the 100 ms lead buffered at Twilio (an audible gap);
- the most concurrent calls with pacing p99 < 10 ms; RSS per call.

The server calls `voice.runtime.tune_gc_for_audio()` (gc.freeze) after start-up, as the app should.
On a shared machine, `--server-nice -10` keeps other people's work on the core from skewing it.

Run: `python bench/stream_pipeline.py [--levels 50,100,200,300] [--seconds 15] [--server-nice -10]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from typing import Any

SAY = "Okay. And what's the best number to reach you?"  # fake TTS: ~3.3 s of audio
CALLER_LINE = "my furnace stopped working"


# ---- server side ------------------------------------------------------------------------------
def serve(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    from hvac_agent.clock import SYSTEM_CLOCK
    from hvac_agent.config import Settings
    from hvac_agent.dialogue.state import Event, Reply
    from hvac_agent.services import StreamWiring, VoiceSupply
    from hvac_agent.telephony.media_stream import MediaStreamLane
    from hvac_agent.voice.factory import build_voice
    from hvac_agent.voice.stats import VoiceStats

    class InstantResponder:
        async def start(self, call_sid: str, caller_id: str | None) -> Reply:
            return Reply(say="Thanks for calling. How can I help?", expect="intent")

        async def handle(self, call_sid: str, event: Event, on_sentence: Any = None) -> Reply:
            return Reply(say=SAY, expect="intent")

        async def record_agent_turn(self, call_sid: str, text: str) -> int | None:
            return None

        async def amend_agent_turn(self, call_sid: str, seq: int, heard: str) -> None:
            return None

        async def end(self, call_sid: str) -> None:
            return None

    from hvac_agent.observability.logging import configure_logging

    configure_logging(json_lines=True, level="WARNING")
    settings = Settings(HVAC_STT_ENGINES="fake", HVAC_TTS_ENGINES="fake")  # type: ignore[call-arg]
    voice = VoiceSupply(settings, SYSTEM_CLOCK, engines=build_voice(settings))
    stats = VoiceStats()
    wiring = StreamWiring(voice=voice, responder=InstantResponder(), clock=SYSTEM_CLOCK, stats=stats)
    app = FastAPI()
    app.add_middleware(MediaStreamLane, wiring=lambda: wiring)

    def rss_kb() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    @app.get("/bench/stats")
    def stats() -> dict[str, Any]:
        cpu = os.times()
        return {**stats.summary(), "rss_kb": rss_kb(), "cpu_s": cpu.user + cpu.system}

    @app.post("/bench/reset")
    async def reset() -> dict[str, str]:
        stats.reset()
        return {"ok": "yes"}

    if os.environ.get("BENCH_GC_FREEZE", "1") == "1":
        from hvac_agent.voice.runtime import tune_gc_for_audio

        tune_gc_for_audio()
    profile_to = os.environ.get("BENCH_PROFILE")
    if profile_to:  # profile the server (for finding hot spots), written on SIGTERM
        import cProfile
        import signal

        profiler = cProfile.Profile()
        profiler.enable()

        def dump(*_: object) -> None:
            profiler.disable()
            profiler.dump_stats(profile_to)
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, dump)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, loop="uvloop")


# ---- load side --------------------------------------------------------------------------------
# A deliberately thin WebSocket client (pre-built frames, raw asyncio protocol): with the
# `websockets` library the load generator itself needed as much CPU as the server under test.
def ws_frame(text: str) -> bytes:
    """A masked client text frame; the all-zero mask leaves the payload as is (servers accept it)."""
    data = text.encode()
    n = len(data)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\x00\x00\x00\x00" + data


MARK_RE = re.compile(rb'"mark":\s*\{"name":\s*"([^"]+)"\}')


class Caller(asyncio.Protocol):
    """One simulated Twilio call: continuous 20 ms frames; speech, then silence until the reply ends."""

    def __init__(self, port: int, speech: list[bytes], silence_frame: bytes, stream_sid: str) -> None:
        self.port = port
        self.speech = speech
        self.silence = silence_frame
        self.stream_sid = stream_sid
        self.call_sid = f"CA{uuid.uuid4().hex}"
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.position = len(speech)  # listen to the greeting first
        self.waiting_reply = True
        self.turns = 0
        self.frames_in = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport subclass
        transport.write(
            f"GET /twilio/stream HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.upgraded.set_result(self.buffer.startswith(b"HTTP/1.1 101"))
            del self.buffer[: end + 4]
        while len(self.buffer) >= 2:
            n = self.buffer[1] & 0x7F
            offset = 2
            if n == 126:
                if len(self.buffer) < 4:
                    return
                n, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif n == 127:
                if len(self.buffer) < 10:
                    return
                n, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < offset + n:
                return
            payload = bytes(self.buffer[offset : offset + n])
            del self.buffer[: offset + n]
            self.on_message(payload)

    def on_message(self, payload: bytes) -> None:
        if payload.startswith(b'{"event":"media"'):
            self.frames_in += 1
            return
        match = MARK_RE.search(payload)
        if match is None or self.transport is None:
            return
        name = match.group(1).decode()
        self.transport.write(
            ws_frame(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}))
        )
        if name.endswith(":end") and self.waiting_reply:
            self.waiting_reply = False
            # answer after 0.2-2 s of thinking, as people do (and so calls do not move in lockstep)
            self.position = -random.randint(10, 100)
            self.turns += 1

    def start(self) -> None:
        assert self.transport is not None
        self.transport.write(ws_frame(json.dumps({"event": "connected", "protocol": "Call"})))
        self.transport.write(
            ws_frame(
                json.dumps(
                    {
                        "event": "start",
                        "streamSid": self.stream_sid,
                        "start": {
                            "streamSid": self.stream_sid,
                            "callSid": self.call_sid,
                            "customParameters": {"caller": "+15125550123"},
                            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                        },
                    }
                )
            )
        )

    def send_next(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self.position < 0:
            frame = self.silence
            self.position += 1
        elif self.position < len(self.speech):
            frame = self.speech[self.position]
            self.position += 1
            if self.position == len(self.speech):
                self.waiting_reply = True
        else:
            frame = self.silence
        self.transport.write(frame)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(ws_frame(json.dumps({"event": "stop", "streamSid": self.stream_sid, "stop": {}})))
            self.transport.write(b"\x88\x80\x00\x00\x00\x00")  # close frame
            self.transport.close()


def media_frame(stream_sid: str, frame: bytes) -> bytes:
    from hvac_agent.voice.codec import b64encode

    return ws_frame(
        json.dumps(
            {"event": "media", "streamSid": stream_sid, "media": {"track": "inbound", "payload": b64encode(frame)}}
        )
    )


def steal_ticks(cpu: int) -> int:
    """Time the hypervisor took from `cpu` (clock ticks since boot; 0 where /proc/stat has none)."""
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                if line.startswith(f"cpu{cpu} "):
                    fields = line.split()
                    return int(fields[8]) if len(fields) > 8 else 0
    except OSError:
        pass
    return 0


async def run_level(port: int, n_calls: int, seconds: float, speech: bytes, server_cpu: int = 0) -> dict[str, Any]:
    import httpx

    from hvac_agent.voice.codec import frames, silence

    base = f"http://127.0.0.1:{port}"
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient() as http:
        rss_before = (await http.get(f"{base}/bench/stats")).json()["rss_kb"]
        callers: list[Caller] = []
        for _ in range(n_calls):
            sid = f"MZ{uuid.uuid4().hex}"
            speech_frames = [media_frame(sid, f) for f in frames(speech + silence(1200))]
            _, caller = await loop.create_connection(
                lambda sid=sid, sf=speech_frames: Caller(port, sf, media_frame(sid, silence(20)), sid),
                "127.0.0.1",
                port,
            )
            assert await caller.upgraded, "upgrade refused"
            caller.start()
            callers.append(caller)
        await asyncio.sleep(1.0)
        await http.post(f"{base}/bench/reset")
        cpu_before = (await http.get(f"{base}/bench/stats")).json()["cpu_s"]
        steal_before = steal_ticks(server_cpu)
        ticker_lag: list[float] = []
        # Real calls start at random moments, so their frames are spread over each 20 ms period:
        # 10 groups, one every 2 ms (all at once would be a synthetic thundering herd).
        groups = [callers[i::10] for i in range(10)]
        start = time.perf_counter()
        tick = 0
        while time.perf_counter() - start < seconds:
            due = start + tick * 0.002
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            ticker_lag.append((time.perf_counter() - due) * 1000)
            for caller in groups[tick % 10]:
                caller.send_next()
            tick += 1
        elapsed = time.perf_counter() - start
        steal = steal_ticks(server_cpu) - steal_before
        stats = (await http.get(f"{base}/bench/stats")).json()
        turns = sum(c.turns for c in callers)
        for caller in callers:
            caller.close()
        await asyncio.sleep(1.5)
    ticker_lag.sort()
    return {
        "calls": n_calls,
        **{
            k: stats[k]
            for k in (
                "lateness_p50_ms",
                "lateness_p99_ms",
                "response_p50_ms",
                "response_p99_ms",
                "reply_p50_ms",
                "reply_p99_ms",
                "speech_end_p50_ms",
                "speech_end_p99_ms",
            )
        },
        "frames_paced": int(stats["frames"]),
        "underrun_pct": stats["underrun_pct"],
        "turns": turns,
        "mb_per_call": (stats["rss_kb"] - rss_before) / 1024 / n_calls,
        "server_cpu_pct": 100 * (stats["cpu_s"] - cpu_before) / elapsed,
        # a virtual machine's vCPU can be paused by its host: that shows as lateness we did not cause
        "steal_pct": 100 * steal / os.sysconf("SC_CLK_TCK") / elapsed,
        "load_gen_lag_p99_ms": ticker_lag[int(len(ticker_lag) * 0.99)] if ticker_lag else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--levels", default="50,100,200,300,400")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="nice value for the server (negative = priority over other work on its core)",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.port)
        return

    import httpx

    from hvac_agent.voice.tts.espeak import EspeakTTS

    port = args.port or _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server_main = os.environ.get("BENCH_SERVER_SCRIPT", __file__)
    server = subprocess.Popen(
        [
            "nice",
            "-n",
            str(args.server_nice),
            "taskset",
            "-c",
            args.server_cpu,
            sys.executable,
            server_main,
            "--serve",
            "--port",
            str(port),
        ],
        env=env,
    )
    try:
        os.sched_setaffinity(0, {int(args.client_cpu)})
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                httpx.get(f"{base}/bench/stats", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        speech = EspeakTTS().render(CALLER_LINE)
        print(
            f"server pinned to CPU {args.server_cpu} (nice {args.server_nice}), load generator on CPU "
            f"{args.client_cpu}; "
            f"{args.seconds:.0f} s per level; caller speech {len(speech) / 8000:.2f} s, "
            f"reply {len(SAY) * 70 / 1000:.1f} s of fake TTS"
        )
        header = (
            "calls",
            "overhead p50",
            "overhead p99",
            "any decision p99",
            "speech-end p50",
            "pacing p50",
            "pacing p99",
            "underruns",
            "MB/call",
            "turns",
            "loadgen lag p99",
            "server CPU",
            "steal",
        )
        print(" | ".join(header))
        best = 0
        for level in [int(x) for x in args.levels.split(",")]:
            r = _run(run_level(port, level, args.seconds, speech, int(args.server_cpu.split(",")[0])))
            print(
                f"{r['calls']:5d} | {r['reply_p50_ms']:8.2f} ms | {r['reply_p99_ms']:8.2f} ms | "
                f"{r['response_p99_ms']:8.2f} ms | "
                f"{r['speech_end_p50_ms']:8.1f} ms | {r['lateness_p50_ms']:6.2f} ms | "
                f"{r['lateness_p99_ms']:6.2f} ms | {r['underrun_pct']:6.3f} % | {r['mb_per_call']:5.2f} | "
                f"{r['turns']:5d} | "
                f"{r['load_gen_lag_p99_ms']:6.2f} ms | {r['server_cpu_pct']:5.1f} % | {r['steal_pct']:4.1f} %",
                flush=True,
            )
            if r["lateness_p99_ms"] < 10:
                best = max(best, level)
        print(f"most concurrent calls on one core with pacing p99 < 10 ms: {best}")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _run(coro: Any) -> Any:
    """The load generator on uvloop too: its own lag would send frames in bursts the server then pays for."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coro)
    if os.environ.get("BENCH_CLIENT_ASYNCIO") == "1":
        return asyncio.run(coro)
    return uvloop.run(coro)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
