"""Streaming MP3 → μ-law 8 kHz with one persistent PyAV decoder per stream.

HTTP chunks cut MP3 frames anywhere: the codec's parser reassembles whole frames across chunks,
the decoder keeps its state (bit reservoir) from frame to frame, and the resampler keeps its
filter history — so the audio is the same as decoding the file at once, with no process and no
container probe per chunk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hvac_agent.voice.codec import ulaw_encode
from hvac_agent.voice.errors import EngineUnavailable


class Mp3ToUlaw:
    def __init__(self, engine: str = "mp3") -> None:
        try:
            import av
        except ImportError as error:
            raise EngineUnavailable(engine, "PyAV is not installed (pip install 'hvac-agent[elevenlabs]')") from error
        self._av: Any = av
        self._codec = av.CodecContext.create("mp3", "r")
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        self._head = b""  # the stream's first bytes, until we know whether an ID3 tag leads
        self._skip = 0  # tag bytes still to drop
        self._started = False

    def _strip_tag(self, data: bytes) -> bytes:
        """Drop a leading ID3v2 tag (metadata, not audio: the decoder refuses it)."""
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            return data[dropped:]
        if self._started:
            return data
        self._head += data
        if len(self._head) < 10:
            return b""
        head, self._head, self._started = self._head, b"", True
        if head.startswith(b"ID3"):
            size = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
            self._skip = max(0, size - len(head))
            return head[size:]
        return head

    def feed(self, data: bytes) -> bytes:
        """Some MP3 bytes in (any cut) → the μ-law audio they completed."""
        data = self._strip_tag(data)
        out: list[bytes] = []
        for packet in self._codec.parse(data):
            for frame in self._codec.decode(packet):
                out.append(self._convert(frame))
        return b"".join(out)

    def flush(self) -> bytes:
        """End of stream: what the parser and decoder still hold."""
        out: list[bytes] = []
        for packet in self._codec.parse(b""):
            for frame in self._codec.decode(packet):
                out.append(self._convert(frame))
        for frame in self._codec.decode(None):
            out.append(self._convert(frame))
        for resampled in self._resampler.resample(None):
            out.append(ulaw_encode(resampled.to_ndarray().reshape(-1).astype(np.int16)))
        return b"".join(out)

    def _convert(self, frame: Any) -> bytes:
        pcm = [r.to_ndarray().reshape(-1) for r in self._resampler.resample(frame)]
        if not pcm:
            return b""
        return ulaw_encode(np.concatenate(pcm).astype(np.int16))
