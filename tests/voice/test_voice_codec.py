"""μ-law codec against a scalar G.711 reference (Sun's g711.c algorithm), framing and base64."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from hvac_agent.voice import codec

BIAS, CLIP = 0x84, 32635
SEG_END = [0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF]


def ref_linear2ulaw(pcm: int) -> int:
    mask = 0xFF
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    pcm = min(pcm, CLIP) + BIAS
    seg = next(i for i, end in enumerate(SEG_END) if pcm <= end)
    return (((seg << 4) | ((pcm >> (seg + 3)) & 0xF)) ^ mask) & 0xFF


def ref_ulaw2linear(code: int) -> int:
    u = ~code & 0xFF
    t = (((u & 0x0F) << 3) + BIAS) << ((u & 0x70) >> 4)
    return BIAS - t if u & 0x80 else t - BIAS


def test_decode_matches_reference_for_every_code() -> None:
    decoded = codec.ulaw_decode(bytes(range(256)))
    assert [int(v) for v in decoded] == [ref_ulaw2linear(c) for c in range(256)]
    # fixed points of the G.711 table
    assert (decoded[0x00], decoded[0x80], decoded[0xFF], decoded[0x7F]) == (-32124, 32124, 0, 0)


def test_every_code_survives_decode_then_encode() -> None:
    codes = bytes(range(256))
    again = codec.ulaw_encode(codec.ulaw_decode(codes))
    # 0x7F is "-0": it decodes to 0, which encodes as +0 (0xFF); every other code is exact
    assert [a for a, b in zip(again, codes, strict=True) if a != b] == [0xFF]


@given(st.lists(st.integers(-32768, 32767), max_size=400))
def test_encode_matches_reference(samples: list[int]) -> None:
    encoded = codec.ulaw_encode(np.array(samples, dtype=np.int16))
    assert list(encoded) == [ref_linear2ulaw(s) for s in samples]


@given(st.integers(-32768, 32767))
def test_round_trip_error_is_within_one_quantisation_step(sample: int) -> None:
    back = int(codec.ulaw_decode(codec.ulaw_encode(np.array([sample], dtype=np.int16)))[0])
    magnitude = min(abs(sample), CLIP) + BIAS
    segment = max(0, magnitude.bit_length() - 8)
    step = 1 << (segment + 3)
    assert abs(back - max(-CLIP, min(CLIP, sample))) <= step
    assert back == 0 or (back > 0) == (sample > 0) or abs(sample) < 8


@given(st.binary(max_size=2000), st.integers(1, 400))
def test_framing_is_lossless_and_pads_with_silence(data: bytes, size: int) -> None:
    parts = codec.frames(data, size)
    assert all(len(p) == size for p in parts)
    joined = b"".join(parts)
    assert joined[: len(data)] == data
    assert set(joined[len(data) :]) <= {codec.ULAW_SILENCE}
    assert len(parts) == -(-len(data) // size)
    assert b"".join(codec.frames(data, size, pad=False)) == data[: len(data) - len(data) % size]


@given(st.binary(max_size=500))
def test_base64_round_trip_and_garbage(data: bytes) -> None:
    assert codec.b64decode(codec.b64encode(data)) == data
    assert codec.b64decode("not base64!!") is None


@given(st.integers(0, 4000), st.sampled_from([(8000, 16000), (16000, 8000), (22050, 8000), (8000, 8000)]))
def test_resample_length(n: int, rates: tuple[int, int]) -> None:
    src, dst = rates
    out = codec.resample(np.zeros(n, dtype=np.int16), src, dst)
    assert out.dtype == np.int16 and out.size == round(n * dst / src)


def test_resample_keeps_a_speech_band_tone() -> None:
    t = np.arange(8000) / 8000
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    up = codec.resample(tone, 8000, 16000)
    spectrum = np.abs(np.fft.rfft(up.astype(np.float64)))
    assert abs(np.argmax(spectrum) * 16000 / up.size - 440) < 2
    down = codec.resample(up, 16000, 8000)
    assert np.corrcoef(down[100:-100], tone[100:-100])[0, 1] > 0.99
