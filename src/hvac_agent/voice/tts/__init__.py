"""Streaming text-to-speech engines: text in, μ-law 8 kHz audio chunks out, cancellable."""

from hvac_agent.voice.tts.base import TTSEngine, split_sentences

__all__ = ["TTSEngine", "split_sentences"]
