"""Accuracy and speed of caller understanding on the test corpus (tests/nlu/nlu_corpus.py).

    python bench/understanding.py [--repeat N] [--show-failures]

Prints, per extractor, how many corpus utterances were understood exactly as written down, the
overall accuracy (target ≥ 98 %), and the time one `understand()` takes (p50/p99, after warm-up).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "nlu"))

from nlu_corpus import CASES, context, mismatches

from hvac_agent.dialogue.nlu import understand


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over the corpus")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()

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
    if failures and args.show_failures:
        print("failures:")
        print("\n".join(failures))
    return 0 if ok / n >= 0.98 else 1


if __name__ == "__main__":
    raise SystemExit(main())
