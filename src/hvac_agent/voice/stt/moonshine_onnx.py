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
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from hvac_agent.voice.errors import EngineUnavailable

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
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._encoder = ort.InferenceSession(paths[0], options, providers=["CPUExecutionProvider"])
            self._decoder = ort.InferenceSession(paths[1], options, providers=["CPUExecutionProvider"])
            with open(paths[2], "rb") as handle:
                self.vocab = read_tokenizer(handle.read())
        except Exception as error:  # onnxruntime raises its own exception types
            raise EngineUnavailable("moonshine", f"model failed to load: {error!r}") from error
        self._cache = self._cache_names()

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
