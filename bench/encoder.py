"""The sentence encoder's runners side by side: numpy (the reference, the "before") and onnxruntime.

    taskset -c 1 python bench/encoder.py [--heldout tests/nlu/heldout/batch_a] [--repeat 3]

Each held-out line is embedded by both runners in turn, one line at a time (as a call does), so
both see the same machine load; the figures are per call on one core: wall time (what a caller
waits, scheduling included) and the thread's CPU time (what the code costs), p50/p99, and the
lowest cosine between the two runners' vectors (the heads' thresholds need ≥ 0.999).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from hvac_agent.llm.embeddings import MiniLmEmbedder  # noqa: E402


def _q(values: list[float]) -> str:
    qs = statistics.quantiles(values, n=100)
    return f"p50 {qs[49]:6.2f} ms  p99 {qs[98]:6.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", type=Path, default=Path("tests/nlu/heldout/batch_a"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = []
    for name in ("openings.jsonl", "answers.jsonl"):
        with (args.heldout / name).open() as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    runners = {"numpy": MiniLmEmbedder(runner="numpy"), "onnxruntime": MiniLmEmbedder(runner="onnx")}
    wall: dict[str, list[float]] = {k: [] for k in runners}
    cpu: dict[str, list[float]] = {k: [] for k in runners}
    worst = 1.0
    for text in texts[:20]:
        for runner in runners.values():
            runner.embed([text])  # warm-up
    for _ in range(args.repeat):
        for text in texts:
            vectors = []
            for name, runner in runners.items():
                w0, c0 = time.perf_counter(), time.thread_time()
                vectors.append(runner.embed([text])[0])
                cpu[name].append((time.thread_time() - c0) * 1000)
                wall[name].append((time.perf_counter() - w0) * 1000)
            worst = min(worst, float(vectors[0] @ vectors[1]))
    n = len(texts) * args.repeat
    print(f"{len(texts)} lines x {args.repeat} passes, one line per call, runners alternating")
    for name in runners:
        print(f"  {name:<12} wall {_q(wall[name])}   CPU {_q(cpu[name])}")
    print(f"  lowest cosine between the runners over {n} calls: {worst:.6f}")
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
