"""Accuracy and speed of caller understanding: the tuning corpus, and held-out batches.

    python bench/understanding.py [--repeat N] [--show-failures]
    python bench/understanding.py --heldout tests/nlu/heldout/batch_a [--show-failures]
    python bench/understanding.py --heldout DIR --rules-only   # the encoder left out
    python bench/understanding.py --heldout DIR --runner numpy # the numpy encoder (the fallback)
    python bench/understanding.py --heldout DIR --heads /tmp/h.npz  # heads trained without DIR
    python bench/understanding.py --heldout DIR --heads none   # nearest examples, no trained heads

Without `--heldout`: per extractor, how many tuning-corpus utterances (tests/nlu/nlu_corpus.py) were
understood exactly as written down (target ≥ 98 %), and the time one `understand()` takes.

With `--heldout DIR` (openings.jsonl + answers.jsonl, the format of /work/briefs/writer.md):
first-pass accuracy per label (opening intent, service category, urgency, emergency recall and
false emergencies, question topic, each answer type, overall), the files' sha256, and two times on
one core over `--repeat` passes: `understand()` per line as the caller experiences it (the encoder
uncached, run where the opening needs it) and the encoder call alone. Each is given over all calls
(p50/p99, what a loaded machine's scheduling adds included) and as the p50/p99 of each line's
median (what the code costs), with the thread's CPU time for the encoder. Pin it to a core
(`taskset -c 1`); the load average printed first says how busy the machine was. The package
measured is whichever `hvac_agent` is importable (set PYTHONPATH to measure another checkout).
"""

from __future__ import annotations

import os

# One core, as the budget is stated (p99 ≤ 10 ms per utterance on one core): BLAS must not fan out.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "nlu"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlu_corpus import CASES, context, mismatches  # noqa: E402

import hvac_agent  # noqa: E402
from heldout import Tally, read_jsonl, score_answers, score_openings  # noqa: E402
from hvac_agent.dialogue.nlu import understand  # noqa: E402
from hvac_agent.dialogue.nlu.types import NluContext  # noqa: E402

# Lines of batch A whose label looks wrong to us; listed in the output, still counted as written.
DISPUTED: dict[str, str] = {}


def _semantic(rules_only: bool, runner: str = "auto", heads: str | None = None) -> object | None:
    """Load and install the on-device sentence encoder when this checkout has one."""
    try:
        from hvac_agent.dialogue.nlu import semantic  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        print("semantic layer: not in this checkout (rules only)")
        return None
    if rules_only:
        semantic.install(None)
        print("semantic layer: off (--rules-only)")
        return None
    if heads is not None:  # other trained heads (a leave-one-batch-out run), or "none": nearest examples
        from hvac_agent.dialogue.nlu import heads as trained
        from hvac_agent.llm.embeddings import shared_embedder

        model = semantic.SemanticModel(shared_embedder(), None if heads == "none" else trained.load(Path(heads)))
    elif runner == "auto":
        model = semantic.load()
    else:  # the numpy runner (the fallback without onnxruntime), with the shipped heads as load() has
        from hvac_agent.dialogue.nlu import heads as trained
        from hvac_agent.llm.embeddings import MiniLmEmbedder

        model = semantic.SemanticModel(MiniLmEmbedder(runner=runner), trained.load())
    semantic.install(model)
    print(f"semantic layer: {'on (' + model.describe() + ')' if model else 'encoder not installed (rules only)'}")
    return model


def _quantiles(label: str, values: list[float]) -> str:
    qs = statistics.quantiles(values, n=100)
    return f"{label} p50 {qs[49]:.2f} ms, p99 {qs[98]:.2f} ms"


def _time_lines(open_rows: list[dict[str, str]], answer_rows: list[dict[str, str]], model: object, repeat: int) -> None:
    """Times per line over `repeat` passes (the first pass warms imports and is not counted)."""
    clear = getattr(model, "clear_cache", lambda: None)
    calls: list[list[float]] = []

    def timed(text: str, ctx: object) -> object:
        clear()  # every line costs what a new caller's does: no cached sentence vectors
        t0 = time.perf_counter()
        u = understand(text, ctx)  # type: ignore[arg-type]
        calls[-1].append((time.perf_counter() - t0) * 1000)
        return u

    for _ in range(repeat + 1):
        calls.append([])
        score_openings(open_rows, timed, Tally())  # type: ignore[arg-type]
        score_answers(answer_rows, timed, Tally())  # type: ignore[arg-type]
    passes = calls[1:]
    flat = [t for p in passes for t in p]
    medians = [statistics.median(ts) for ts in zip(*passes, strict=True)]
    n = len(medians)
    print(
        f"understand() per line as the caller experiences it ({n} lines x {repeat} passes): "
        f"mean {statistics.fmean(flat):.2f} ms; {_quantiles('all calls', flat)}; "
        f"{_quantiles('per-line medians', medians)}"
    )
    if model is None:
        return
    encode = model.encode_uncached  # type: ignore[attr-defined]
    texts = [r["text"] for r in open_rows + answer_rows]
    for text in texts[:20]:
        encode(text)  # warm-up
    wall: list[list[float]] = []
    cpu: list[float] = []
    for _ in range(repeat):
        wall.append([])
        for text in texts:
            s, c = time.perf_counter(), time.thread_time()
            encode(text)
            cpu.append((time.thread_time() - c) * 1000)
            wall[-1].append((time.perf_counter() - s) * 1000)
    flat = [t for p in wall for t in p]
    medians = [statistics.median(ts) for ts in zip(*wall, strict=True)]
    print(
        f"encoder call ({_runner(model)}, one core, uncached, {len(texts)} lines x {repeat} passes): "
        f"{_quantiles('all calls', flat)}, max {max(flat):.2f} ms; {_quantiles('per-line medians', medians)}; "
        f"{_quantiles('CPU time', cpu)}"
    )


def _runner(model: object) -> str:
    encoder = getattr(model, "_encoder", None)
    return str(getattr(encoder, "runner", type(encoder).__name__))


def heldout(folder: Path, show_failures: bool, rules_only: bool, repeat: int, runner: str, heads: str | None) -> int:
    print(f"hvac_agent from {Path(hvac_agent.__file__).parent}")
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    model = _semantic(rules_only, runner, heads)
    openings, answers = folder / "openings.jsonl", folder / "answers.jsonl"
    for path in (openings, answers):
        print(f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}  {path}")
    open_rows, answer_rows = read_jsonl(openings), read_jsonl(answers)
    tally = Tally()
    score_openings(open_rows, understand, tally)
    score_answers(answer_rows, understand, tally)
    print(f"{'label':<38}{'n':>6}{'correct':>9}{'accuracy':>10}")
    order = [
        "opening intent",
        "service category",
        "urgency",
        "emergency recall",
        "false emergencies (lower is better)",
        "question topic",
    ]
    order += sorted(k for k in tally.total if k.startswith("answer: "))
    order += ["openings overall", "answers overall"]
    for label in order:
        n = tally.total.get(label, 0)
        if label.startswith("false emergencies"):
            print(f"{label:<38}{n:>6}")
            continue
        if n:
            ok = tally.correct[label]
            print(f"{label:<38}{n:>6}{ok:>9}{100.0 * ok / n:>9.1f}%")
    n_all = tally.total["openings overall"] + tally.total["answers overall"]
    ok_all = tally.correct["openings overall"] + tally.correct["answers overall"]
    print(f"{'overall (every line fully right)':<38}{n_all:>6}{ok_all:>9}{100.0 * ok_all / n_all:>9.1f}%")
    _time_lines(open_rows, answer_rows, model, repeat)
    if DISPUTED:
        print("labels we think are wrong (counted as written):")
        for key, why in DISPUTED.items():
            print(f"  {key}: {why}")
    if show_failures and tally.failures:
        print("failures:")
        print("\n".join(f"  {f}" for f in tally.failures))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=20, help="timing passes over the corpus (a quarter of it for a held-out batch)"
    )
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--heldout", type=Path, help="a held-out batch folder (openings.jsonl, answers.jsonl)")
    parser.add_argument("--rules-only", action="store_true", help="leave the sentence encoder out")
    parser.add_argument(
        "--runner", choices=("auto", "numpy"), default="auto", help="the encoder's runner (numpy: the fallback)"
    )
    parser.add_argument(
        "--heads", help="trained heads to use instead of the shipped ones (bench/train_heads.py --out), or none"
    )
    args = parser.parse_args()
    if args.heldout:
        repeat = max(1, args.repeat // 4)
        return heldout(args.heldout, args.show_failures, args.rules_only, repeat, args.runner, args.heads)
    _semantic(args.rules_only, heads=args.heads)

    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    failures: list[str] = []
    contexts = [context(case) for case in CASES]
    for case, ctx in zip(CASES, contexts, strict=True):
        got = understand(case.text, ctx)  # also warms caches and lazy imports
        bad = mismatches(case, got)
        total[case.extractor] += 1
        if not bad:
            passed[case.extractor] += 1
        else:
            failures.append(f"  [{case.extractor}] {case.text!r}: {'; '.join(bad)}")

    times_us: list[float] = []
    per_case: list[list[float]] = [[] for _ in CASES]
    for _ in range(args.repeat):
        for k, (case, ctx) in enumerate(zip(CASES, contexts, strict=True)):
            t0 = time.perf_counter_ns()
            understand(case.text, ctx)
            elapsed = (time.perf_counter_ns() - t0) / 1000
            times_us.append(elapsed)
            per_case[k].append(elapsed)

    print(f"{'extractor':<14}{'cases':>7}{'correct':>9}{'accuracy':>10}")
    for name in sorted(total):
        acc = 100.0 * passed[name] / total[name]
        print(f"{name:<14}{total[name]:>7}{passed[name]:>9}{acc:>9.1f}%")
    n, ok = sum(total.values()), sum(passed.values())
    print(f"{'overall':<14}{n:>7}{ok:>9}{100.0 * ok / n:>9.1f}%")
    qs = statistics.quantiles(times_us, n=100)
    print(
        f"understand() per utterance, all {len(times_us)} calls: p50 {qs[49]:.0f} µs, "
        f"p99 {qs[98]:.0f} µs, max {max(times_us):.0f} µs"
    )
    # The same, with each utterance's median over the passes: what the code costs, without the
    # garbage-collector pauses and scheduling noise of a shared machine that the line above includes.
    medians = [statistics.median(ts) for ts in per_case]
    mq = statistics.quantiles(medians, n=100)
    print(
        f"understand() per-utterance medians over {len(medians)} utterances: p50 {mq[49]:.0f} µs, "
        f"p99 {mq[98]:.0f} µs, max {max(medians):.0f} µs"
    )
    # A runaway transcript (a caller who never stops, a stuck recogniser): 16,800 characters, far
    # past the 1,000 a webhook passes on. Backtracking that grows faster than the text would show here.
    runaway = "my name is dana kim and the furnace is blowing cold air " * 300
    runaway_ctx = NluContext(now=contexts[0].now, expect="confirm")
    runs_ms = []
    for _ in range(5):
        t0 = time.perf_counter_ns()
        understand(runaway, runaway_ctx)
        runs_ms.append((time.perf_counter_ns() - t0) / 1e6)
    print(f"understand() on a {len(runaway):,}-character runaway transcript: best {min(runs_ms):.1f} ms of 5")
    if failures and args.show_failures:
        print("failures:")
        print("\n".join(failures))
    return 0 if ok / n >= 0.98 else 1


if __name__ == "__main__":
    raise SystemExit(main())
