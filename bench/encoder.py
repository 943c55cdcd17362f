"""The sentence encoder on one core: its runners side by side, the graphs measured against it, and
how its time grows with the sentence.

    taskset -c 1 python bench/encoder.py [--heldout DIR ...] [--repeat 3]
    taskset -c 1 python bench/encoder.py --variants [--heldout DIR ...] [--repeat 1]
    taskset -c 1 python bench/encoder.py --by-length

Default: each held-out line (openings and answers; default batch A) is embedded by the numpy
reference and the onnxruntime runner in turn, one line at a time (as a call does), so both see the
same machine load; per call on one core: wall time (what a caller waits, scheduling included) and
the thread's CPU time (what the code costs), p50/p99, and the lowest cosine between the two
runners' vectors (the heads' thresholds need ≥ 0.999).

`--variants`: the shipped graph against the alternatives measured for issue 10, the same way (one
line at a time, graphs alternating): the graph written with onnxruntime's fused `com.microsoft`
kernels (EmbedLayerNormalization, Attention with packed QKV, SkipLayerNormalization, BiasGelu) and
onnxruntime's dynamic int8 quantisation of the 24 weight products (per output channel). Each is
kept only with a cosine ≥ 0.999 to the shipped graph on every line.

`--by-length`: CPU time of one call against the number of tokens (the products are ~80% of it and
run near the core's float32 peak; a short sentence pays for reading ~42 MB of weights).
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
    worst = dict.fromkeys(runners, 1.0)
    for text in texts[:20]:
        for run in runners.values():
            run(text)  # warm-up
    for _ in range(repeat):
        for text in texts:
            vectors = {}
            for name, run in runners.items():
                w0, c0 = time.perf_counter(), time.thread_time()
                vectors[name] = run(text)
                cpu[name].append((time.thread_time() - c0) * 1000)
                wall[name].append((time.perf_counter() - w0) * 1000)
            first = next(iter(vectors.values()))
            for name, vector in vectors.items():
                worst[name] = min(worst[name], float(first @ vector))
    first_name = next(iter(runners))
    print(f"{len(texts)} lines x {repeat} passes, one line per call, alternating; cosine is to {first_name}")
    for name in runners:
        print(f"  {name:<22} wall {_q(wall[name])}   CPU {_q(cpu[name])}   lowest cosine {worst[name]:.6f}")


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


def contrib_graph(w: dict[str, Any]) -> Any:
    """The same model written with onnxruntime's fused CPU kernels: 7 nodes a layer where the
    shipped graph has 30 (onnxruntime's own pass fuses only BiasGelu and the scaled Q·K product)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    ms = "com.microsoft"

    def const(array: Any, name: str) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def op(kind: str, inputs: list[str], n_out: int = 1, domain: str = ms, **attrs: Any) -> str:
        out = f"{kind}_{len(nodes)}"
        nodes.append(
            helper.make_node(kind, inputs, [out] + [f"{out}_{k}" for k in range(1, n_out)], domain=domain, **attrs)
        )
        return out

    eps = minilm_onnx.LN_EPS
    ids, types, mask = (
        op("Cast", [n], domain="", to=TensorProto.INT32) for n in ("input_ids", "token_type_ids", "attention_mask")
    )
    e = "embeddings."
    tables = [e + n for n in ("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight")]
    norm = [e + "LayerNorm.weight", e + "LayerNorm.bias"]
    # Its second output, the real-token count per row, is Attention's mask (right padding).
    x = op(
        "EmbedLayerNormalization", [ids, types, *(const(w[n], n) for n in tables + norm), mask], n_out=2, epsilon=eps
    )
    lengths = f"{x}_1"
    for i in range(minilm_onnx.LAYERS):
        p = f"encoder.layer.{i}."
        s = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
        qkv_w = np.concatenate([w[n + ".weight"].T for n in s], axis=1)
        qkv_b = np.concatenate([w[n + ".bias"] for n in s])
        attended = op(
            "Attention", [x, const(qkv_w, p + "qkv.w"), const(qkv_b, p + "qkv.b"), lengths], num_heads=minilm_onnx.HEADS
        )

        def dense_skip_norm(h: str, residual: str, prefix: str) -> str:
            product = op("MatMul", [h, const(w[prefix + "dense.weight"].T, prefix + "w")], domain="")
            parts = [const(w[prefix + n], prefix + n) for n in ("LayerNorm.weight", "LayerNorm.bias", "dense.bias")]
            return op("SkipLayerNormalization", [product, residual, *parts], epsilon=eps)

        x = dense_skip_norm(attended, x, p + "attention.output.")
        inner = p + "intermediate.dense."
        product = op("MatMul", [x, const(w[inner + "weight"].T, inner + "w")], domain="")
        x = dense_skip_norm(op("BiasGelu", [product, const(w[inner + "bias"], inner + "b")]), x, p + "output.")
    mask_f = op("Cast", ["attention_mask"], domain="", to=TensorProto.FLOAT)
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes1")
    inits.append(axes)
    summed = op(
        "ReduceSum",
        [op("Mul", [x, op("Unsqueeze", [mask_f, "axes2"], domain="")], domain=""), "axes1"],
        domain="",
        keepdims=0,
    )
    inits.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "axes2"))
    pooled = op("Div", [summed, op("ReduceSum", [mask_f, "axes1"], domain="", keepdims=1)], domain="")
    nodes.append(helper.make_node("LpNormalization", [pooled], ["embedding"], axis=1, p=2))
    graph = helper.make_graph(
        nodes,
        "minilm_l6_contrib",
        [
            helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
            for n in ("input_ids", "attention_mask", "token_type_ids")
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 384])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid(ms, 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="hvac-agent-bench")


def variants(texts: list[str], repeat: int) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = model_dir() / "model.safetensors"
    tensors = load_safetensors(weights)
    shipped = minilm_onnx.model_bytes(weights, tensors)
    embedder = MiniLmEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        contrib = Path(tmp) / "contrib.onnx"
        contrib.write_bytes(contrib_graph(tensors).SerializeToString())
        int8 = Path(tmp) / "int8.onnx"
        source = shipped if isinstance(shipped, str) else str(Path(tmp) / "shipped.onnx")
        if not isinstance(shipped, str):
            Path(source).write_bytes(shipped)
        quantize_dynamic(
            source, str(int8), op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8
        )
        runners = {
            f"shipped (builder {minilm_onnx.BUILDER_VERSION})": _graph_runner(embedder, shipped),
            "contrib fused ops": _graph_runner(embedder, str(contrib)),
            "dynamic int8 products": _graph_runner(embedder, str(int8)),
        }
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
    parser.add_argument("--by-length", action="store_true", help="CPU time against the number of tokens")
    args = parser.parse_args()
    print(f"load average at start: {_load()}")
    if args.by_length:
        by_length(args.repeat)
    elif args.variants:
        variants(_texts(args.heldout), args.repeat)
    else:
        runners = {"numpy": MiniLmEmbedder(runner="numpy"), "onnxruntime": MiniLmEmbedder(runner="onnx")}
        _alternate(_texts(args.heldout), {k: (lambda t, r=r: r.embed([t])[0]) for k, r in runners.items()}, args.repeat)
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
