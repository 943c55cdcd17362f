"""The sentence encoder on one core: its runners side by side, the graphs measured against it, and
how its time grows with the sentence.

    taskset -c 1 python bench/encoder.py [--heldout DIR ...] [--repeat 3]
    taskset -c 1 python bench/encoder.py --variants [--heldout DIR ...] [--repeat 1] [--graph FILE ...]
    taskset -c 1 python bench/encoder.py --by-length

Default: each held-out line (openings and answers; default batch A) is embedded by the numpy
runner and the onnxruntime runner in turn (both int8, as shipped), one line at a time (as a call
does), so both see the same machine load; per call on one core: wall time (what a caller waits,
scheduling included) and the thread's CPU time (what the code costs), p50/p99, and the median and
lowest cosine between the runners' vectors (int8 arithmetic is not bit-stable across
implementations: median ~1.0, lowest ~0.98; the heads decide the same on 99.8% of lines).

`--variants`: the shipped graph (builder 5, every weight product in int8, weights in ±63) against
the float32 graph (builder 4's), the int8 graph with the second feed-forward product left in
float32, and onnxruntime's own `quantize_dynamic` of the float32 graph (per channel, QInt8,
reduce_range: the same nodes, its weights rounded to ±64, so its vectors differ from ours about as
much as float32's do). Measured for issue 10 round 6 on batch C, one core, load ~2.7: CPU p99
4.5 ms int8, 6.1 ms with float32 ff2, 9.6 ms float32; cosine to float32 median 0.992, lowest 0.949.
`--graph FILE`: a saved graph timed alongside (an older builder's, from the cache folder).

`--by-length`: CPU time of one call against the number of tokens. float32 (builder 4): a fixed
~3 ms and ~0.3 ms a token; int8 (builder 5): see bench/results/encoder_round6.md.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from hvac_agent.llm import minilm_onnx  # noqa: E402
from hvac_agent.llm.embeddings import MiniLmEmbedder, load_safetensors, model_dir  # noqa: E402


def _q(values: list[float]) -> str:
    qs = statistics.quantiles(values, n=100)
    return f"p50 {qs[49]:6.2f} ms  p99 {qs[98]:6.2f} ms"


def _load() -> str:
    load = os.getloadavg()
    return f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"


def _texts(folders: list[Path]) -> list[str]:
    texts = []
    for folder in folders:
        for name in ("openings.jsonl", "answers.jsonl"):
            with (folder / name).open() as f:
                texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts


def _alternate(texts: list[str], runners: dict[str, Callable[[str], Any]], repeat: int) -> None:
    """Every line through every runner in turn; times per call, lowest cosine to the first runner."""
    wall: dict[str, list[float]] = {k: [] for k in runners}
    cpu: dict[str, list[float]] = {k: [] for k in runners}
    cosines: dict[str, list[float]] = {k: [] for k in runners}
    for text in texts[:20]:
        for run in runners.values():
            run(text)  # warm-up
    names = list(runners)
    for _ in range(repeat):
        for k, text in enumerate(texts):
            # Each line runs A B B A, the next B A A B, and each runner's two times are averaged:
            # where a runner stands in the order moves its time by a few % (after the line's Python
            # work, or right after itself), as much as the graphs compared differ.
            spent: dict[str, list[tuple[float, float]]] = {k: [] for k in names}
            vectors = {}
            order = names if k % 2 == 0 else names[::-1]
            for name in order + order[::-1]:
                w0, c0 = time.perf_counter(), time.thread_time()
                vectors[name] = runners[name](text)
                spent[name].append((time.thread_time() - c0, time.perf_counter() - w0))
            for name, times in spent.items():
                cpu[name].append(500 * (times[0][0] + times[1][0]))  # mean of the two, in ms
                wall[name].append(500 * (times[0][1] + times[1][1]))
                cosines[name].append(float(vectors[names[0]] @ vectors[name]))
    first_name = next(iter(runners))
    print(f"{len(texts)} lines x {repeat} passes, one line per call, A B B A; cosine is to {first_name}")
    for name in runners:
        c = cosines[name]
        print(
            f"  {name:<26} wall {_q(wall[name])}   CPU {_q(cpu[name])}   "
            f"cosine median {statistics.median(c):.6f} lowest {min(c):.6f}"
        )


def _session(model: bytes | str) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()  # the settings OnnxEncoder uses
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _graph_runner(embedder: MiniLmEmbedder, model: bytes | str) -> Callable[[str], Any]:
    """One sentence through a graph, tokenised as the embedder does."""
    session = _session(model)
    tokenizer = embedder._tokenizer

    def run(text: str) -> Any:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        return session.run(["embedding"], feeds)[0][0]

    return run


def variants(texts: list[str], repeat: int, graphs: list[Path]) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = model_dir() / "model.safetensors"
    tensors = load_safetensors(weights)
    shipped = minilm_onnx.model_bytes(weights, tensors)
    float32 = minilm_onnx.model_bytes(weights, tensors, quantised=False)
    embedder = MiniLmEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        int8 = Path(tmp) / "int8.onnx"
        source = float32 if isinstance(float32, str) else str(Path(tmp) / "float32.onnx")
        if not isinstance(float32, str):
            Path(source).write_bytes(float32)
        from onnx import TensorProto

        quantize_dynamic(  # Attention becomes QAttention: all 24 products in int8
            source,
            str(int8),
            op_types_to_quantize=["MatMul", "Attention"],
            per_channel=True,
            reduce_range=True,  # weights in ±64 (builder 5: ±63)
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},  # the fused kernels' outputs
        )
        no_ff2 = minilm_onnx.build_graph(tensors, minilm_onnx.INT8_PRODUCTS - {"ff2"}).SerializeToString()
        runners = {
            f"shipped (builder {minilm_onnx.BUILDER_VERSION}, int8)": _graph_runner(embedder, shipped),
            "float32 (builder 4)": _graph_runner(embedder, float32),
            "int8, float32 ff2": _graph_runner(embedder, no_ff2),
            "quantize_dynamic, ±64": _graph_runner(embedder, str(int8)),
        }
        runners.update({path.name: _graph_runner(embedder, str(path)) for path in graphs})
        _alternate(texts, runners, repeat)


def by_length(repeat: int) -> None:
    embedder = MiniLmEmbedder()
    run = _graph_runner(
        embedder,
        minilm_onnx.model_bytes(model_dir() / "model.safetensors", load_safetensors(model_dir() / "model.safetensors")),
    )
    word = "furnace"  # one token; [CLS] and [SEP] make n + 2
    print("tokens  CPU median  CPU p10")
    for n in (1, 6, 14, 22, 30, 46):
        text = " ".join([word] * n)
        for _ in range(5):
            run(text)
        cpu = []
        for _ in range(max(repeat, 40)):
            c0 = time.thread_time()
            run(text)
            cpu.append((time.thread_time() - c0) * 1000)
        print(f"{n + 2:>6}  {statistics.median(cpu):7.2f} ms  {np.percentile(cpu, 10):5.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", type=Path, nargs="+", default=[Path("tests/nlu/heldout/batch_a")])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variants", action="store_true", help="the graphs measured for issue 10")
    parser.add_argument(
        "--graph",
        type=Path,
        nargs="*",
        default=[],
        help="with --variants: saved graph files to time too (an older builder's)",
    )
    parser.add_argument("--by-length", action="store_true", help="CPU time against the number of tokens")
    args = parser.parse_args()
    print(f"load average at start: {_load()}")
    if args.by_length:
        by_length(args.repeat)
    elif args.variants:
        variants(_texts(args.heldout), args.repeat, args.graph)
    else:
        runners = {"numpy": MiniLmEmbedder(runner="numpy"), "onnxruntime": MiniLmEmbedder(runner="onnx")}
        _alternate(_texts(args.heldout), {k: (lambda t, r=r: r.embed([t])[0]) for k, r in runners.items()}, args.repeat)
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
