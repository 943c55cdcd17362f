"""Moonshine base-en run directly on PyPI `onnxruntime`: encoder, merged decoder, greedy search.

The model files come from PyPI `moonshine_cpp` (no download), but its `libmoonshine.so` is built
for AVX-512 and dies of SIGILL on CPUs without it (AMD EPYC with AVX2 only, where CI runs). The
same `.ort` files run on any x86-64 through the `onnxruntime` wheel, so this is the only path:
one runtime everywhere, nothing native of our own to crash the process.

Decoding follows the exported graph's contract (read from the sessions' inputs/outputs): the
encoder maps float32 16 kHz samples to hidden states; the merged decoder takes one new token, the
hidden states and the key/value cache (`past_key_values.N.{decoder,encoder}.{key,value}`) and
returns logits and the updated cache (`present.*`). The first step runs the no-cache branch,
which also computes the cross-attention (encoder) cache; later steps reuse that and grow only the
self-attention (decoder) cache.

Speed: the `.ort` files keep their weights 8-bit and dequantize them inside the graph on every run
(profiled here: Cast/Mul/Add/Transpose of the 32768×416 token embedding took ~60% of each decoder
step), and ORT-format models are not re-optimized when loaded. So at load time each file is
written back out as ONNX by onnxruntime itself (`ort_export`) and loaded again with constant
folding on: the dequantization is done once, and a decoder step is ~5x faster (measured here:
~170 → ~30 ms; bench/moonshine_cpu.py), for ~350 MB more memory (float weights). The folded model
is cached on disk, so only the first start pays the seconds it takes. If that conversion fails the
`.ort` files are run as they are.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.errors import EngineUnavailable
from hvac_agent.voice.stt.ort_export import ort_to_onnx

log = get_logger("hvac_agent.voice.stt.moonshine")

START_TOKEN = 1  # "<s>"
END_TOKEN = 2  # "</s>"
_SPECIAL_TOKENS = 3  # <unk>, <s>, </s>: never spoken
_SPACE_MARK = "\u2581"  # SentencePiece's word-start marker "▁"

# Moonshine's own reference decoder allows ~6 tokens per second of audio; a few more cover very
# short turns. A decoder stuck in a loop ("one one one …") stops here instead of running on.
MAX_TOKENS_PER_S = 6.0
_MIN_TOKENS = 4


def read_tokenizer(data: bytes) -> list[bytes]:
    """`tokenizer.bin`: each token is one length byte then its bytes, in id order (byte-fallback
    tokens are the raw byte itself, so joining token bytes then decoding UTF-8 is exact)."""
    tokens: list[bytes] = []
    at = 0
    while at < len(data):
        size = data[at]
        if size >= 0x80:  # not seen in base-en (longest token: 48 bytes); refuse rather than guess
            raise ValueError(f"token {len(tokens)}: unsupported length byte {size:#x}")
        if at + 1 + size > len(data):
            raise ValueError(f"token {len(tokens)}: truncated")
        tokens.append(data[at + 1 : at + 1 + size])
        at += 1 + size
    return tokens


def detokenize(ids: list[int], vocab: list[bytes]) -> str:
    """Token ids → text: special and out-of-vocabulary ids dropped, "▁" made a space."""
    raw = b"".join(vocab[i] for i in ids if _SPECIAL_TOKENS <= i < len(vocab))
    return raw.decode("utf-8", "replace").replace(_SPACE_MARK, " ").strip()


def max_tokens(n_samples_16k: int) -> int:
    return _MIN_TOKENS + int(n_samples_16k / 16000 * MAX_TOKENS_PER_S)


def packaged_model_dir() -> str:
    """base-en's directory inside the installed `moonshine_cpp` package (found without importing
    it: its import loads nothing native, but the model is all we need)."""
    from importlib.util import find_spec

    spec = find_spec("moonshine_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("moonshine", "moonshine_cpp (the model files) is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "models", "base-en")


_PROVIDERS = ["CPUExecutionProvider"]


def _one_core(ort: Any) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return options


def _session(ort: Any, ort_path: str) -> tuple[Any, bool]:
    """A session on the model with its weights dequantized once (see the module doc), or on the
    `.ort` file as it is when that can't be done here; and whether they were folded."""
    cached = _cache_path(ort, ort_path)
    if cached is not None and os.path.exists(cached):
        try:  # folded already: nothing left to optimize
            return ort.InferenceSession(
                cached, _folded_options(ort, ort.GraphOptimizationLevel.ORT_DISABLE_ALL), providers=_PROVIDERS
            ), True
        except Exception as error:  # noqa: BLE001 - a damaged cache file is folded again
            log.warning("moonshine_cache_unreadable", model=os.path.basename(ort_path), error=repr(error))
    try:
        options = _folded_options(ort, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
        partial = f"{cached}.{os.getpid()}.part" if cached is not None else None
        if partial is not None:
            options.optimized_model_filepath = partial
        session = ort.InferenceSession(ort_to_onnx(ort, ort_path), options, providers=_PROVIDERS)
        if cached is not None and partial is not None and os.path.exists(partial):
            os.replace(partial, cached)  # whole or not at all, even with another process folding too
        return session, True
    except Exception as error:  # noqa: BLE001 - onnxruntime raises its own types; the .ort file still runs
        log.warning("moonshine_weights_not_folded", model=os.path.basename(ort_path), error=repr(error))
        return ort.InferenceSession(ort_path, _one_core(ort), providers=_PROVIDERS), False


def _folded_options(ort: Any, level: Any) -> Any:
    options = _one_core(ort)
    options.graph_optimization_level = level
    # Measured here: no slower without MLAS's pre-packed weight copies (decoding multiplies one row
    # at a time), and ~40 MB smaller.
    options.add_session_config_entry("session.disable_prepacking", "1")
    return options


def _cache_path(ort: Any, ort_path: str) -> str | None:
    """Where the folded model is kept between runs (`$XDG_CACHE_HOME` or ~/.cache, ~355 MB for
    base-en): folding takes seconds, loading the result ~1 s. Keyed by the model file and the
    onnxruntime version; None when no cache directory can be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "hvac-agent", "moonshine")
    try:
        stat = os.stat(ort_path)
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    identity = f"{ort.__version__}|{os.path.abspath(ort_path)}|{stat.st_size}|{stat.st_mtime_ns}"
    key = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return os.path.join(folder, f"{os.path.basename(ort_path)}.{key}.onnx")


def _return_freed_heap() -> None:
    """Give the load's transient copies (ONNX protobuf, serialized bytes: ~280 MB measured) back to
    the OS instead of leaving them in glibc's free lists; a no-op elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True)
class _CacheNames:
    decoder: list[str]  # self-attention cache inputs: grow by one position per step
    encoder: list[str]  # cross-attention cache inputs: computed on the first step, then fixed
    heads: int
    head_dim: int


class MoonshineOnnx:
    """The model on one core (`intra_op_num_threads=1`): calls are expected on a worker thread
    (onnxruntime releases the GIL while it runs), one at a time."""

    def __init__(self, model_dir: str | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise EngineUnavailable("moonshine", f"onnxruntime unavailable: {error!r}") from error
        model_dir = model_dir or packaged_model_dir()
        paths = [os.path.join(model_dir, f) for f in ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            raise EngineUnavailable("moonshine", f"model files missing: {', '.join(missing)}")
        try:
            self._encoder, encoder_folded = _session(ort, paths[0])
            self._decoder, decoder_folded = _session(ort, paths[1])
            self.folded = encoder_folded and decoder_folded
            with open(paths[2], "rb") as handle:
                self.vocab = read_tokenizer(handle.read())
        except Exception as error:  # onnxruntime raises its own exception types
            raise EngineUnavailable("moonshine", f"model failed to load: {error!r}") from error
        self._cache = self._cache_names()
        _return_freed_heap()

    def _cache_names(self) -> _CacheNames:
        inputs = {i.name: i.shape for i in self._decoder.get_inputs()}
        needed = {"input_ids", "encoder_hidden_states", "use_cache_branch"}
        past = sorted(n for n in inputs if n.startswith("past_key_values."))
        if not needed <= inputs.keys() or not past:
            raise EngineUnavailable("moonshine", f"unexpected decoder inputs: {sorted(inputs)}")
        shape = inputs[past[0]]  # [batch, heads, sequence, head_dim]
        if not (isinstance(shape[1], int) and isinstance(shape[3], int)):
            raise EngineUnavailable("moonshine", f"unexpected cache shape {shape}")
        outputs = [o.name for o in self._decoder.get_outputs()]
        if outputs[0] != "logits" or sorted(outputs[1:]) != [n.replace("past_key_values.", "present.") for n in past]:
            raise EngineUnavailable("moonshine", f"unexpected decoder outputs: {outputs}")
        return _CacheNames(
            decoder=[n for n in past if ".decoder." in n],
            encoder=[n for n in past if ".encoder." in n],
            heads=shape[1],
            head_dim=shape[3],
        )

    def transcribe(self, pcm_16k: NDArray[np.float32]) -> str:
        """Float samples in [-1, 1] at 16 kHz → text (greedy, capped at `max_tokens`)."""
        return detokenize(self.generate(pcm_16k), self.vocab)

    def generate(self, pcm_16k: NDArray[np.float32]) -> list[int]:
        audio = np.ascontiguousarray(pcm_16k, dtype=np.float32)[np.newaxis, :]
        hidden = self._encoder.run(None, {"input_values": audio})[0]
        empty = np.zeros((1, self._cache.heads, 0, self._cache.head_dim), dtype=np.float32)
        cache = {name: empty for name in self._cache.decoder + self._cache.encoder}
        present = [o.name for o in self._decoder.get_outputs()][1:]
        tokens: list[int] = []
        last = START_TOKEN
        for step in range(max_tokens(audio.shape[1])):
            logits, *updated = self._decoder.run(
                None,
                {
                    "input_ids": np.array([[last]], dtype=np.int64),
                    "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([step > 0]),
                    **cache,
                },
            )
            for name, value in zip(present, updated, strict=True):
                past = name.replace("present.", "past_key_values.")
                if step == 0 or past in self._cache.decoder:
                    cache[past] = value
            last = int(np.argmax(logits[0, -1]))
            if last == END_TOKEN:
                break
            tokens.append(last)
        return tokens
