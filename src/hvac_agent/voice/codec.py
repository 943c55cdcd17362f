"""G.711 μ-law ⇄ PCM16, resampling and 20 ms framing — pure, vectorised (numpy tables, no loops).

`audioop` is gone from Python 3.13, and per-sample Python loops cost ~1 ms per frame, which is the
whole pacing budget of a busy process; table look-ups cost microseconds.
"""

from __future__ import annotations

import base64
import binascii

import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE_HZ = 8000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE_HZ * FRAME_MS // 1000  # 160 samples = 160 μ-law bytes
ULAW_SILENCE = 0xFF  # μ-law code of +0

_BIAS = 0x84
_CLIP = 32635

Pcm = NDArray[np.int16]


def _decode_table() -> NDArray[np.int16]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _encode_one(sample: NDArray[np.int32]) -> NDArray[np.uint8]:
    sign = np.where(sample < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(sample), _CLIP) + _BIAS
    # exponent = position of the highest set bit above bit 7 (0..7)
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    codes: NDArray[np.uint8] = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return codes


_DECODE = _decode_table()
# One entry per possible int16 value, indexed by the sample's uint16 bit pattern.
_ENCODE = _encode_one(np.arange(65536, dtype=np.int32).astype(np.uint16).astype(np.int16).astype(np.int32))


def ulaw_decode(data: bytes) -> Pcm:
    """μ-law bytes → int16 samples (any length, including 0)."""
    return _DECODE.take(np.frombuffer(data, dtype=np.uint8))


def ulaw_decode_table() -> Pcm:
    """The 256 int16 values of the μ-law codes (a copy), for per-code tables elsewhere."""
    return _DECODE.copy()


def ulaw_encode(pcm: NDArray[np.int16]) -> bytes:
    """int16 samples → μ-law bytes."""
    return _ENCODE[np.ascontiguousarray(pcm, dtype=np.int16).view(np.uint16)].tobytes()


def to_float(pcm: NDArray[np.int16]) -> NDArray[np.float32]:
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def to_int16(samples: NDArray[np.floating]) -> Pcm:
    pcm: Pcm = (np.clip(samples, -1.0, 1.0 - 1.0 / 32768) * 32768.0).astype(np.int16)
    return pcm


def resample(pcm: NDArray[np.int16], from_hz: int, to_hz: int) -> Pcm:
    """Band-limited resampling by linear interpolation after a windowed-sinc low-pass when shrinking.

    Good enough for speech between 8, 16 and 22.05 kHz; exact length `round(n * to / from)`.
    """
    if from_hz == to_hz or pcm.size == 0:
        return np.asarray(pcm, dtype=np.int16).copy()
    samples = pcm.astype(np.float32)
    if to_hz < from_hz:
        samples = _lowpass(samples, cutoff=0.45 * to_hz / from_hz)
    n_out = int(round(samples.size * to_hz / from_hz))
    positions = np.arange(n_out, dtype=np.float64) * (from_hz / to_hz)
    out = np.interp(positions, np.arange(samples.size, dtype=np.float64), samples)
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def _lowpass(samples: NDArray[np.float32], cutoff: float, taps: int = 31) -> NDArray[np.float32]:
    """FIR low-pass; `cutoff` as a fraction of the sample rate (0..0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel /= kernel.sum()
    start = (taps - 1) // 2  # "same" alignment, also for inputs shorter than the kernel
    return np.convolve(samples, kernel, mode="full")[start : start + samples.size].astype(np.float32)


def upsample_8k_to_16k(pcm: NDArray[np.int16]) -> Pcm:
    return resample(pcm, 8000, 16000)


def frames(data: bytes, frame_bytes: int = FRAME_SAMPLES, *, pad: bool = True) -> list[bytes]:
    """Cut μ-law audio into fixed frames; the last one is padded with silence (or dropped)."""
    out = [data[i : i + frame_bytes] for i in range(0, len(data), frame_bytes)]
    if out and len(out[-1]) < frame_bytes:
        if pad:
            out[-1] = out[-1] + bytes([ULAW_SILENCE]) * (frame_bytes - len(out[-1]))
        else:
            out.pop()
    return out


def silence(ms: int) -> bytes:
    return bytes([ULAW_SILENCE]) * (SAMPLE_RATE_HZ * ms // 1000)


def duration_ms(ulaw: bytes | int) -> float:
    n = ulaw if isinstance(ulaw, int) else len(ulaw)
    return n * 1000.0 / SAMPLE_RATE_HZ


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(payload: str) -> bytes | None:
    """Twilio payload → bytes, or None when it is not valid base64."""
    try:
        return binascii.a2b_base64(payload, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
