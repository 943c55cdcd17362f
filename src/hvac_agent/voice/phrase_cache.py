"""Synthesise a fixed phrase once per voice: greetings, reprompts, acknowledgements and the
dispatch-fee line repeat on every call, so after the first call they cost no TTS time at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable

from hvac_agent.voice.tts.base import TTSEngine

ACK_PHRASES = ("Okay.", "One moment.")


class PhraseCache:
    """LRU of μ-law audio keyed by (voice, text), bounded in bytes."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024, max_text_chars: int = 240) -> None:
        self.max_bytes = max_bytes
        self.max_text_chars = max_text_chars
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, voice: str, text: str) -> bytes | None:
        key = (voice, text.strip())
        audio = self._items.get(key)
        if audio is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return audio

    def put(self, voice: str, text: str, audio: bytes) -> None:
        if len(text) > self.max_text_chars or not audio or len(audio) > self.max_bytes:
            return
        key = (voice, text.strip())
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._items[key] = audio
        self._bytes += len(audio)
        while self._bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)


class CachedTTS(TTSEngine):
    """Wraps an engine: a cached sentence is yielded at once; a new one is recorded as it streams
    (and kept only if it streamed to the end, so a cancelled sentence is never cached cut)."""

    def __init__(self, engine: TTSEngine, cache: PhraseCache | None = None) -> None:
        self.engine = engine
        self.cache = cache if cache is not None else PhraseCache()  # an empty cache is falsy
        self.name = engine.name
        self.voice = f"{engine.name}:{engine.voice}"

    async def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:
        cached = self.cache.get(self.voice, text)
        if cached is not None:
            yield cached
            return
        parts: list[bytes] = []
        async for chunk in self.engine.synthesize(text):
            parts.append(chunk)
            yield chunk
        self.cache.put(self.voice, text, b"".join(parts))

    async def prewarm(self, texts: Iterable[str]) -> None:
        for text in texts:
            async for _ in self.synthesize(text):
                pass

    async def aclose(self) -> None:
        await self.engine.aclose()
