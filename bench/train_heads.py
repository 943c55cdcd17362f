"""Train the semantic layer's heads (intent, issue category, question topic) and store them.

    python bench/train_heads.py                         # all batches: the shipped heads.npz
    python bench/train_heads.py --leave-out batch_c --out /tmp/heads_no_c.npz
    python bench/understanding.py --heldout tests/nlu/heldout/batch_c --heads /tmp/heads_no_c.npz

Training data: the hand-written examples (`dialogue/nlu/exemplars.py`) and the opening lines of
every labelled batch under `tests/nlu/heldout/batch_*` (never `sealed/`). Each head is a multinomial
logistic regression on the MiniLM sentence vectors (the same normalised text and cap the agent
embeds), fitted with numpy (Adam, L2, class weights by the square root of inverse frequency), a few
seconds on one core after the embedding. Rerun it whenever the examples or the batches change: a
test fails when `heads.npz` was trained on other examples than `exemplars.py` has now.

The honest estimate of a first pass is leave-one-batch-out: train with `--leave-out` the batch you
then score, as above (`--cv` prints the heads' own accuracy that way, without the rules around them).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from hvac_agent.dialogue.nlu import exemplars, heads  # noqa: E402
from hvac_agent.dialogue.nlu.semantic import _cap, _embed_by_length  # noqa: E402
from hvac_agent.dialogue.nlu.text import Utterance  # noqa: E402

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "nlu" / "heldout"
L2 = 1e-4
STEPS = 800
RATE = 0.01
Array = npt.NDArray[np.float64]


def fit(x: Array, y: list[str], labels: list[str]) -> tuple[Array, Array]:
    """Softmax regression: weights (dimensions, labels) and bias (labels,)."""
    k = len(labels)
    idx = np.array([labels.index(v) for v in y])
    target = np.eye(k)[idx]
    count = target.sum(0)
    weight = ((count.sum() / (k * np.maximum(count, 1))) ** 0.5)[idx][:, None]
    w, b = np.zeros((x.shape[1], k)), np.zeros(k)
    mw, vw, mb, vb = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    for t in range(1, STEPS + 1):
        z = x @ w + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = weight * (p - target) / len(x)
        gw, gb = x.T @ g + L2 * w, g.sum(0)
        mw, vw = 0.9 * mw + 0.1 * gw, 0.999 * vw + 0.001 * gw**2
        mb, vb = 0.9 * mb + 0.1 * gb, 0.999 * vb + 0.001 * gb**2
        w -= RATE * (mw / (1 - 0.9**t)) / (np.sqrt(vw / (1 - 0.999**t)) + 1e-8)
        b -= RATE * (mb / (1 - 0.9**t)) / (np.sqrt(vb / (1 - 0.999**t)) + 1e-8)
    return w, b


def rows(batches: list[str]) -> list[dict[str, str]]:
    """(head, label, text, batch) for the examples and each batch's opening lines."""
    out: list[dict[str, str]] = []
    tables = {"intent": exemplars.INTENTS, "category": exemplars.CATEGORIES, "topic": exemplars.TOPICS}
    for head, table in tables.items():
        out += [{"head": head, "label": label, "text": t, "batch": ""} for label, ts in table.items() for t in ts]
    for batch in batches:
        for line in (HELDOUT / batch / "openings.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            out.append({"head": "intent", "label": r["intent"], "text": r["text"], "batch": batch})
            if r["intent"] in ("service", "emergency") and r.get("category"):
                out.append({"head": "category", "label": r["category"], "text": r["text"], "batch": batch})
            if r["intent"] == "question" and r.get("topic"):
                out.append({"head": "topic", "label": r["topic"], "text": r["text"], "batch": batch})
    return out


def embed(texts: list[str]) -> Array:
    from hvac_agent.llm.embeddings import shared_embedder

    capped = [_cap(Utterance.of(t).norm) for t in texts]  # what `opening()` embeds
    unique = sorted(set(capped))
    vectors = _embed_by_length(shared_embedder(), unique)
    at = {t: i for i, t in enumerate(unique)}
    return np.asarray(vectors[[at[t] for t in capped]], dtype=np.float64)


def train(data: list[dict[str, str]], x: Array, keep: npt.NDArray[np.bool_]) -> dict[str, heads.Head]:
    out: dict[str, heads.Head] = {}
    for name in heads.HEAD_NAMES:
        sel = np.array([r["head"] == name for r in data]) & keep
        labels = sorted({r["label"] for r in data if r["head"] == name})
        w, b = fit(x[sel], [r["label"] for r, s in zip(data, sel, strict=True) if s], labels)
        out[name] = heads.Head(tuple(labels), w.astype(np.float32), b.astype(np.float32))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leave-out", action="append", default=[], help="a batch folder name to train without")
    parser.add_argument("--out", type=Path, default=heads.DEFAULT_PATH)
    parser.add_argument("--cv", action="store_true", help="print the heads' leave-one-batch-out accuracy only")
    args = parser.parse_args()
    batches = sorted(p.name for p in HELDOUT.glob("batch_*") if (p / "openings.jsonl").exists())
    data = rows(batches)
    x = embed([r["text"] for r in data])
    batch_of = np.array([r["batch"] for r in data])
    if args.cv:
        for test in batches:
            trained = train(data, x, batch_of != test)
            scores = []
            for name in heads.HEAD_NAMES:
                sel = [i for i, r in enumerate(data) if r["head"] == name and r["batch"] == test]
                ok = sum(trained[name].best(x[i].astype(np.float32))[0] == data[i]["label"] for i in sel)
                scores.append(f"{name} {100.0 * ok / max(1, len(sel)):.1f}% of {len(sel)}")
            print(f"left out {test}: " + ", ".join(scores))
        return 0
    unknown = set(args.leave_out) - set(batches)
    if unknown:
        print(f"no such batch: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    used = [b for b in batches if b not in args.leave_out]
    trained = train(data, x, np.isin(batch_of, ["", *used]))
    n = int(np.isin(batch_of, ["", *used]).sum())
    from hvac_agent.llm.embeddings import shared_embedder

    encoder = shared_embedder()
    heads.save(
        args.out,
        trained,
        f"examples + {', '.join(used) or 'no batches'} ({n} labelled lines)",
        encoder.encoder_id,
        encoder.embed(list(heads.PROBES)),
    )
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes): trained on examples + {', '.join(used)}, "
        f"vectors of {encoder.encoder_id} ({encoder.runner})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
