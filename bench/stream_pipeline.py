"""Stream pipeline benchmark with instant fake engines: what the telephony layer itself costs.

Server: this file with `--serve` — the real `WS /twilio/stream` router and pipeline, `fake` STT/TTS
and an instant scripted dialogue — in its own process, pinned to CPU 0 (`taskset`), uvloop.
Load: N simulated Twilio calls from this process (pinned to CPU 1): 20 ms μ-law frames all the
time (synthesised speech, then silence), marks echoed as they arrive, turn after turn.

Figures (measured inside the server, so the load generator's own lag does not count):
- overhead: end-of-turn decision → first outbound media frame of the reply (p50/p99); also from
  the last voiced caller frame, which adds the end-of-turn silence the endpointer waits for;
- pacing lateness of outbound frames against their real-time schedule (p99) = jitter;
- the most concurrent calls with pacing p99 < 10 ms; RSS per call.

Run: `python bench/stream_pipeline.py [--levels 50,100,200,300] [--seconds 15]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

    from hvac_agent.config import Settings
    from hvac_agent.dialogue.state import Event, Reply
    from hvac_agent.telephony.media_stream import router
    from hvac_agent.voice.factory import build_voice
    from hvac_agent.voice.stats import GLOBAL_STATS

    class InstantResponder:
        async def start(self, call_sid: str, caller_id: str | None) -> Reply:
            return Reply(say="Thanks for calling. How can I help?", expect="intent")

        async def handle(self, call_sid: str, event: Event) -> Reply:
            return Reply(say=SAY, expect="intent")

        async def record_agent_turn(self, call_sid: str, text: str) -> None:
            return None

        async def end(self, call_sid: str) -> None:
            return None

    from hvac_agent.observability.logging import configure_logging

    configure_logging(json_lines=True, level="WARNING")
    app = FastAPI()
    app.include_router(router)
    app.state.settings = Settings(HVAC_STT_ENGINES="fake", HVAC_TTS_ENGINES="fake")  # type: ignore[call-arg]
    app.state.voice = build_voice(app.state.settings)
    app.state.responder = InstantResponder()

    def rss_kb() -> int:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    @app.get("/bench/stats")
    def stats() -> dict[str, Any]:
        cpu = os.times()
        return {**GLOBAL_STATS.summary(), "rss_kb": rss_kb(), "cpu_s": cpu.user + cpu.system}

    @app.post("/bench/reset")
    async def reset() -> dict[str, str]:
        GLOBAL_STATS.reset()
        return {"ok": "yes"}

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
class Caller:
    """One simulated Twilio call: continuous 20 ms frames; speech, then silence until the reply ends."""

    def __init__(self, url: str, speech_frames: list[str], silence_frame: str) -> None:
        self.url = url
        self.speech = speech_frames
        self.silence = silence_frame
        self.call_sid = f"CA{uuid.uuid4().hex}"
        self.stream_sid = f"MZ{uuid.uuid4().hex}"
        self.ws: Any = None
        self.position = 0  # index into speech; len(speech) = talking done
        self.waiting_reply = False
        self.last_media_at = 0.0
        self.arrivals: list[float] = []
        self.reader: asyncio.Task[None] | None = None
        self.turns = 0

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(self.url, max_size=None, compression=None)
        await self.ws.send(json.dumps({"event": "connected", "protocol": "Call"}))
        await self.ws.send(json.dumps({"event": "start", "streamSid": self.stream_sid, "start": {
            "streamSid": self.stream_sid, "callSid": self.call_sid, "customParameters": {"caller": "+15125550123"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        self.position = len(self.speech)  # listen to the greeting first
        self.waiting_reply = True
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                if '"event":"media"' in raw[:30]:
                    self.arrivals.append(time.perf_counter())
                    continue
                msg = json.loads(raw)
                if msg.get("event") == "mark":
                    await self.ws.send(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": msg["mark"]}))
                    if msg["mark"]["name"].endswith(":end") and self.waiting_reply:
                        self.waiting_reply = False
                        self.position = 0  # speak again
                        self.turns += 1
        except Exception:
            pass

    def next_frame(self) -> str:
        if self.position < len(self.speech):
            frame = self.speech[self.position]
            self.position += 1
            if self.position == len(self.speech):
                self.waiting_reply = True
            return frame
        return self.silence

    async def close(self) -> None:
        try:
            await self.ws.send(json.dumps({"event": "stop", "streamSid": self.stream_sid, "stop": {}}))
            await self.ws.close()
        except Exception:
            pass
        if self.reader is not None:
            self.reader.cancel()


def media_json(stream_sid: str, frame: bytes) -> str:
    from hvac_agent.voice.codec import b64encode

    return json.dumps({"event": "media", "streamSid": stream_sid,
                       "media": {"track": "inbound", "payload": b64encode(frame)}})


async def run_level(base: str, n_calls: int, seconds: float, speech: bytes) -> dict[str, Any]:
    import httpx

    from hvac_agent.voice.codec import frames, silence

    async with httpx.AsyncClient() as http:
        rss_before = (await http.get(f"{base}/bench/stats")).json()["rss_kb"]
        callers: list[Caller] = []
        for _ in range(n_calls):
            sid = f"MZ{uuid.uuid4().hex}"
            speech_frames = [media_json(sid, f) for f in frames(speech + silence(1200))]
            caller = Caller(base.replace("http", "ws") + "/twilio/stream", speech_frames, media_json(sid, silence(20)))
            caller.stream_sid = sid
            callers.append(caller)
        for i in range(0, n_calls, 20):
            await asyncio.gather(*(c.connect() for c in callers[i : i + 20]))
        # staggered start: each call's frames are offset inside the 20 ms tick, like real calls
        await asyncio.sleep(1.0)
        await http.post(f"{base}/bench/reset")
        cpu_before = (await http.get(f"{base}/bench/stats")).json()["cpu_s"]
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
                try:
                    await caller.ws.send(caller.next_frame())
                except Exception:
                    pass
            tick += 1
        elapsed = time.perf_counter() - start
        stats = (await http.get(f"{base}/bench/stats")).json()
        turns = sum(c.turns for c in callers)
        for i in range(0, n_calls, 50):
            await asyncio.gather(*(c.close() for c in callers[i : i + 50]))
        await asyncio.sleep(1.0)
    ticker_lag.sort()
    return {
        "calls": n_calls,
        **{k: stats[k] for k in ("lateness_p50_ms", "lateness_p99_ms", "response_p50_ms", "response_p99_ms",
                                 "speech_end_p50_ms", "speech_end_p99_ms")},
        "frames_paced": int(stats["frames"]),
        "turns": turns,
        "mb_per_call": (stats["rss_kb"] - rss_before) / 1024 / n_calls,
        "server_cpu_pct": 100 * (stats["cpu_s"] - cpu_before) / elapsed,
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
    args = parser.parse_args()
    if args.serve:
        serve(args.port)
        return

    import httpx

    from hvac_agent.voice.tts.espeak import EspeakTTS

    port = args.port or _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen(["taskset", "-c", args.server_cpu, sys.executable, __file__, "--serve",
                               "--port", str(port)], env=env)
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
        print(f"server pinned to CPU {args.server_cpu}, load generator on CPU {args.client_cpu}; "
              f"{args.seconds:.0f} s per level; caller speech {len(speech) / 8000:.2f} s, "
              f"reply {len(SAY) * 70 / 1000:.1f} s of fake TTS")
        header = ("calls", "overhead p50", "overhead p99", "speech-end p50", "pacing p50", "pacing p99",
                  "MB/call", "turns", "loadgen lag p99", "server CPU")
        print(" | ".join(header))
        best = 0
        for level in [int(x) for x in args.levels.split(",")]:
            r = asyncio.run(run_level(base, level, args.seconds, speech))
            print(f"{r['calls']:5d} | {r['response_p50_ms']:8.2f} ms | {r['response_p99_ms']:8.2f} ms | "
                  f"{r['speech_end_p50_ms']:8.1f} ms | {r['lateness_p50_ms']:6.2f} ms | "
                  f"{r['lateness_p99_ms']:6.2f} ms | {r['mb_per_call']:5.2f} | {r['turns']:5d} | "
                  f"{r['load_gen_lag_p99_ms']:6.2f} ms | {r['server_cpu_pct']:5.1f} %", flush=True)
            if r["lateness_p99_ms"] < 10:
                best = max(best, level)
        print(f"most concurrent calls on one core with pacing p99 < 10 ms: {best}")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
