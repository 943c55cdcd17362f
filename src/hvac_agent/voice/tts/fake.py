"""Instant fake TTS for load tests: audio of a realistic length at once, no CPU spent on speech."""

from __future__ import annotations

from collections.abc import AsyncIterator

from hvac_agent.voice.tts.base import TTSEngine

# ~14 characters per second is a normal speaking rate.
MS_PER_CHAR = 70
_TONE = bytes([0x9C, 0xA5, 0xB3, 0xA5, 0x9C, 0x1C, 0x25, 0x33, 0x25, 0x1C]) * 16  # 160 bytes, 20 ms


class FakeTTS(TTSEngine):
    """`fake` engine: yields `len(text) * 70 ms` of a quiet tone immediately (no await in between)."""

    name = "fake"

    def __init__(self, *, ms_per_char: int = MS_PER_CHAR, fail: bool = False) -> None:
        self.ms_per_char = ms_per_char
        self.fail = fail
        self.calls: list[str] = []

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        self.calls.append(text)
        if self.fail:
            raise RuntimeError("scripted fake TTS failure")
        n_frames = max(1, len(text) * self.ms_per_char // 20)
        yield _TONE * n_frames
