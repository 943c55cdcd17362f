"""Voice activity detection on 20 ms frames of 8 kHz PCM16: webrtcvad (a trained GMM in C, ~10 µs
per frame, no GIL hold worth measuring) gated by frame energy, so line hiss and μ-law idle noise
never count as speech.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from hvac_agent.voice.codec import FRAME_SAMPLES, SAMPLE_RATE_HZ


class Vad(Protocol):
    def is_speech(self, frame: NDArray[np.int16]) -> bool:
        """One 20 ms frame (160 samples at 8 kHz) → voiced or not."""
        ...


def frame_dbfs(frame: NDArray[np.int16]) -> float:
    if frame.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2)))
    return float(20.0 * np.log10(max(rms, 1e-3) / 32768.0))


class WebRtcVad:
    """webrtcvad (aggressiveness 0–3) AND an energy floor (dBFS)."""

    def __init__(self, aggressiveness: int = 3, min_dbfs: float = -45.0) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self.min_dbfs = min_dbfs
        # the energy floor as a sum of squares over one frame: no log, no float array per frame
        self._min_energy = int(FRAME_SAMPLES * (32768.0 * 10 ** (min_dbfs / 20)) ** 2)

    def is_speech(self, frame: NDArray[np.int16]) -> bool:
        if frame.size != FRAME_SAMPLES:
            return False
        wide = frame.astype(np.int64)
        if int(np.dot(wide, wide)) < self._min_energy:
            return False
        return bool(self._vad.is_speech(frame.tobytes(), SAMPLE_RATE_HZ))


class EnergyVad:
    """Fallback/test VAD: energy only."""

    def __init__(self, min_dbfs: float = -35.0) -> None:
        self.min_dbfs = min_dbfs

    def is_speech(self, frame: NDArray[np.int16]) -> bool:
        return frame.size > 0 and frame_dbfs(frame) >= self.min_dbfs
