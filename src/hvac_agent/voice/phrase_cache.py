"""Synthesise a fixed phrase once per voice, for every call and every worker: greetings,
reprompts, acknowledgements and the dispatch-fee line repeat on every call, so after the first
call they cost no TTS time (and no provider money) at all.

Two levels: a small in-process LRU in front of a shared store — a directory on disk (the
default; workers on one machine share it) or Redis when `HVAC_REDIS_URL` is set (workers on
many machines share it). Keys are a hash of (voice, text). A store that fails is logged and
skipped: the cache is an optimisation, never a reason a call goes quiet.

Only fixed phrases are kept, never a caller's data: a text is cached (in memory or in the shared
store, read or written) only if every sentence of it is one of the fixed sentences the dialogue
declared for the current call (`dialogue.fixed_lines`, from `dialogue.scripts.fixed_sentences`: lines
built from constants and the business profile alone) or an acknowledgement. Anything else — a
read-back of a number, a returning caller's street, an LLM's own words — is spoken live and
forgotten. With nothing declared, nothing but the acknowledgements is cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from pathlib import Path
from typing import Protocol

from hvac_agent.dialogue.fixed_lines import allowed_phrases, sentences_of
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.tts.base import TtsChunk, TTSEngine, Utterance

log = get_logger("hvac_agent.voice.phrase_cache")

ACK_PHRASES = ("Okay.", "One moment.")


def is_fixed(text: str) -> bool:
    """Whether every sentence of `text` is one the call declared fixed (`dialogue.fixed_lines`) or
    an acknowledgement: nothing else is cached, so with nothing declared only the acknowledgements are."""
    sentences = sentences_of(text)
    allowed = allowed_phrases()
    return bool(sentences) and all(s in allowed or s in ACK_PHRASES for s in sentences)


def cache_key(voice: str, text: str) -> str:
    return hashlib.sha256(f"{voice}\x00{' '.join(text.split())}".encode()).hexdigest()


class SharedPhraseStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, audio: bytes) -> None: ...


class DiskPhraseStore:
    """One file per phrase under `root` (written atomically), at most `max_files` kept."""

    def __init__(self, root: str | Path, max_files: int = 5000) -> None:
        self.root = Path(root)
        self.max_files = max_files
        self._puts = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.ulaw"

    def _read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _write(self, key: str, audio: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(audio)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._puts += 1
        if self._puts % 100 == 0:
            self._prune()

    def _prune(self) -> None:
        files = sorted(self.root.glob("*/*.ulaw"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.max_files)]:
            with contextlib.suppress(OSError):
                old.unlink()

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, key)

    async def put(self, key: str, audio: bytes) -> None:
        await asyncio.to_thread(self._write, key, audio)


class RedisPhraseStore:
    """Phrases in Redis under `prefix`, expiring after `ttl_s` unused."""

    def __init__(self, url: str, prefix: str = "hvac:phrase:", ttl_s: int = 30 * 86400) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(url)
        self.prefix = prefix
        self.ttl_s = ttl_s

    async def get(self, key: str) -> bytes | None:
        from redis.exceptions import RedisError

        try:
            value = await self._redis.getex(self.prefix + key, ex=self.ttl_s)
        except RedisError as error:  # the cache speaks OSError, like the disk store
            raise OSError(repr(error)) from error
        return bytes(value) if isinstance(value, (bytes, bytearray)) else None

    async def put(self, key: str, audio: bytes) -> None:
        from redis.exceptions import RedisError

        try:
            await self._redis.set(self.prefix + key, audio, ex=self.ttl_s)
        except RedisError as error:
            raise OSError(repr(error)) from error

    async def aclose(self) -> None:
        await self._redis.aclose()


class PhraseCache:
    """LRU of μ-law audio keyed by (voice, text), bounded in bytes, over an optional shared store."""

    def __init__(
        self, max_bytes: int = 8 * 1024 * 1024, max_text_chars: int = 240, shared: SharedPhraseStore | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.max_text_chars = max_text_chars
        self.shared = shared
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def cacheable(self, text: str) -> bool:
        """Short, and fixed (never a caller's data: see the module docstring)."""
        return 0 < len(text.strip()) <= self.max_text_chars and is_fixed(text)

    async def get(self, voice: str, text: str) -> bytes | None:
        if not self.cacheable(text):
            return None
        key = cache_key(voice, text)
        audio = self._items.get(key)
        if audio is None and self.shared is not None:
            try:
                audio = await self.shared.get(key)
            except (OSError, TimeoutError) as error:
                log.warning("phrase_store_read_failed", error=repr(error))
                audio = None
            if audio is not None:
                self._remember(key, audio)
        if audio is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return audio

    async def put(self, voice: str, text: str, audio: bytes) -> None:
        if not self.cacheable(text) or not audio or len(audio) > self.max_bytes:
            return
        key = cache_key(voice, text)
        self._remember(key, audio)
        if self.shared is not None:
            try:
                await self.shared.put(key, audio)
            except (OSError, TimeoutError) as error:
                log.warning("phrase_store_write_failed", error=repr(error))

    def _remember(self, key: str, audio: bytes) -> None:
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

    async def aclose(self) -> None:
        closer = getattr(self.shared, "aclose", None)
        if closer is not None:
            await closer()


class CachedTTS(TTSEngine):
    """Wraps an engine. Pieces found in the cache are played from it; from the first piece that is
    not, the rest of the utterance goes live through one engine stream (one provider context per
    utterance). A live run of a single piece that streamed to the end is stored if it is a fixed
    phrase (a cancelled or failed one never is, so nothing is cached cut; one with a caller's data
    never is, so nothing personal outlives the call)."""

    def __init__(self, engine: TTSEngine, cache: PhraseCache | None = None) -> None:
        self.engine = engine
        self.cache = cache if cache is not None else PhraseCache()  # an empty cache is falsy
        self.name = engine.name
        self.voice = f"{engine.name}:{engine.voice}"

    async def _speak_impl(self, pieces: AsyncIterable[str]) -> AsyncIterator[TtsChunk]:
        utterance = Utterance()
        source = aiter(pieces)
        async for piece in source:
            if not piece.strip():
                continue
            start, end = utterance.add(piece)
            cached = await self.cache.get(self.voice, piece)
            if cached is not None:
                yield TtsChunk(cached, spoken_chars=end)
                continue
            live = _LiveRun(piece, source, utterance)
            audio: list[bytes] = []
            async for chunk in self.engine.speak(live.pieces()):
                audio.append(chunk.audio)
                spoken = None if chunk.spoken_chars is None else start + chunk.spoken_chars
                yield TtsChunk(chunk.audio, spoken_chars=spoken)
            if live.count == 1:
                await self.cache.put(self.voice, piece, b"".join(audio))
            return

    def _synthesize_impl(self, text: str) -> AsyncIterator[bytes]:  # pragma: no cover - speak() is overridden
        return self.engine.synthesize(text)

    async def probe(self) -> None:
        await self.engine.probe()

    async def prewarm(self, texts: Iterable[str]) -> None:
        for text in texts:
            async for _ in self.synthesize(text):
                pass

    async def aclose(self) -> None:
        await self.engine.aclose()
        await self.cache.aclose()


class _LiveRun:
    """The rest of an utterance, from its first uncached piece, as one stream of pieces."""

    def __init__(self, first: str, rest: AsyncIterator[str], utterance: Utterance) -> None:
        self.first, self.rest, self.utterance = first, rest, utterance
        self.count = 0

    async def pieces(self) -> AsyncIterator[str]:
        self.count = 1
        yield self.first
        async for piece in self.rest:
            if piece.strip():
                self.utterance.add(piece)
                self.count += 1
                yield piece
