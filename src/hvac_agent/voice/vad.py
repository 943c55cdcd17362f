"""Voice activity detection on 20 ms frames of 8 kHz μ-law, as they come off the wire.

webrtcvad (a trained GMM in C, a few µs per frame, no GIL hold worth measuring) decides, behind an
energy gate so line hiss and μ-law idle noise never count as speech. The gate reads the μ-law
bytes without decoding them: two C calls (`bytes.translate`, `bytes.count`) count the samples
louder than the gate's amplitude. Most frames of a call are the caller listening, so most frames
stop at the gate and are never decoded — at a few hundred calls per process that is a tenth of a
core.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np

from hvac_agent.voice.codec import FRAME_SAMPLES, SAMPLE_RATE_HZ, ulaw_decode, ulaw_decode_table


class Vad(Protocol):
    def is_speech(self, ulaw: bytes) -> bool:
        """One 20 ms frame (160 μ-law bytes at 8 kHz) → voiced or not."""
        ...


def frame_dbfs(ulaw: bytes) -> float:
    """RMS level of a μ-law frame in dBFS (-120 for an empty one)."""
    if not ulaw:
        return -120.0
    rms = float(np.sqrt(np.mean(ulaw_decode(ulaw).astype(np.float32) ** 2)))
    return float(20.0 * np.log10(max(rms, 1e-3) / 32768.0))


class LoudnessGate:
    """Is a frame at least about `min_dbfs` loud? Counts samples above the amplitude of a signal
    at `min_dbfs` RMS: speech-like signals have about a quarter of their samples above their RMS,
    so at least `min_loud_fraction` of them above that amplitude means the frame's level is near
    or above `min_dbfs` (within ~3 dB), and a frame 6 dB quieter almost never passes."""

    def __init__(self, min_dbfs: float, min_loud_fraction: float = 0.1) -> None:
        amplitude = 32768.0 * 10 ** (min_dbfs / 20)
        table = np.abs(ulaw_decode_table().astype(np.int32)) >= amplitude
        self._loud = bytes(table.astype(np.uint8).tolist())
        self._min_loud = max(1, round(FRAME_SAMPLES * min_loud_fraction))

    def passes(self, ulaw: bytes) -> bool:
        return ulaw.translate(self._loud).count(1) >= self._min_loud


class WebRtcVad:
    """webrtcvad (aggressiveness 0–3) behind a loudness gate (dBFS).

    Measured on synthesized speech through μ-law: a two-word name at a quiet phone level (-38 to
    -42 dBFS RMS) loses its onset and end at aggressiveness 3 behind the old -45 dBFS gate, and is
    kept whole at 2 behind a -48 dBFS gate, while line hiss (-55 dBFS) and 60 Hz hum are never
    voiced (at -50 dBFS a few hiss frames are).

    webrtcvad adapts its noise model to the frames it is shown. Shown only the frames that pass
    the gate, it learns the quiet tail of a word as the background and then hears the next word
    of a quiet name ("Dana Kim" at -45 dBFS: "Kim") as noise. So around speech it is shown every
    frame — the gated ones of the last `BACKLOG_MS` when a frame passes the gate, and all of them
    for `AWAKE_MS` after — and only a caller who is long quiet skips it (no decoding then)."""

    BACKLOG_MS = 200
    AWAKE_MS = 1000

    def __init__(self, aggressiveness: int = 2, min_dbfs: float = -48.0) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self.min_dbfs = min_dbfs
        self._gate = LoudnessGate(min_dbfs)
        self._backlog: deque[bytes] = deque(maxlen=self.BACKLOG_MS // 20)
        self._awake = 0  # frames left to show webrtcvad whatever the gate says

    def _model(self, ulaw: bytes) -> bool:
        return bool(self._vad.is_speech(ulaw_decode(ulaw).tobytes(), SAMPLE_RATE_HZ))

    def is_speech(self, ulaw: bytes) -> bool:
        if len(ulaw) != FRAME_SAMPLES:
            return False
        if not self._gate.passes(ulaw):
            if self._awake:
                self._awake -= 1
                self._model(ulaw)  # keeps its background estimate true; still not speech
            else:
                self._backlog.append(ulaw)
            return False
        while self._backlog:
            self._model(self._backlog.popleft())
        self._awake = self.AWAKE_MS // 20
        return self._model(ulaw)


class EnergyVad:
    """Fallback/test VAD: energy only."""

    def __init__(self, min_dbfs: float = -35.0) -> None:
        self.min_dbfs = min_dbfs

    def is_speech(self, ulaw: bytes) -> bool:
        return len(ulaw) > 0 and frame_dbfs(ulaw) >= self.min_dbfs
