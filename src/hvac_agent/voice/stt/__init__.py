"""Streaming speech-to-text engines: caller audio in, partial and final transcripts out."""

from hvac_agent.voice.stt.base import STTEngine, SttResult, SttStream

__all__ = ["STTEngine", "SttResult", "SttStream"]
