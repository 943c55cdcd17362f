"""Build the process's speech engines from Settings, once (the app calls it in its lifespan).

`HVAC_STT_ENGINES` / `HVAC_TTS_ENGINES` name engines in failover order. Unset: the cloud engines
whose keys are present, in the README's order, then the offline ones, which always work. `fake`
gives instant engines for load tests (`HVAC_FAKE_TRANSCRIPT`). An engine that cannot be built here
(no key, no SDK) is skipped with a warning; with several engines they sit behind a failover engine
with a breaker each, and every engine's circuit shows in `/health`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hvac_agent.clock import SYSTEM_CLOCK, Clock
from hvac_agent.config import Settings
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.errors import EngineError, EngineUnavailable
from hvac_agent.voice.failover import FailoverSTT, FailoverTTS
from hvac_agent.voice.limits import ProviderLimits
from hvac_agent.voice.phrase_cache import (
    ACK_PHRASES,
    CachedTTS,
    DiskPhraseStore,
    PhraseCache,
    RedisPhraseStore,
    SharedPhraseStore,
)
from hvac_agent.voice.pipeline import VoiceEngines
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.tts.base import TTSEngine
from hvac_agent.voice.vad import EnergyVad, Vad, WebRtcVad

log = get_logger("hvac_agent.voice.factory")

OFFLINE_STT = ("offline",)
OFFLINE_TTS = ("espeak",)
# Cloud engines chosen by the keys present, in this order.
CLOUD_STT = {"deepgram": "deepgram_api_key", "openai": "openai_speech_key"}
CLOUD_TTS = {"elevenlabs": "elevenlabs_api_key", "openai": "openai_speech_key", "polly": "aws_access_key_id"}
ALIASES = {"aws": "polly", "eleven": "elevenlabs", "elevenlabs-ws": "elevenlabs"}

T = TypeVar("T", STTEngine, TTSEngine)


def _names(value: str | None) -> list[str]:
    names = [n.strip().lower() for n in (value or "").split(",") if n.strip()]
    return [ALIASES.get(n, n) for n in names]


def stt_names(settings: Settings) -> list[str]:
    names = _names(settings.stt_engines)
    if names:
        return names
    return [n for n, key in CLOUD_STT.items() if getattr(settings, key, None)] + list(OFFLINE_STT)


def tts_names(settings: Settings) -> list[str]:
    names = _names(settings.tts_engines)
    if names:
        return names
    return [n for n, key in CLOUD_TTS.items() if getattr(settings, key, None)] + list(OFFLINE_TTS)


def speech_engine_labels(settings: Settings) -> list[str]:
    """The configured engines as "stt:name" / "tts:name", in failover order (for call facts)."""
    return [f"stt:{n}" for n in stt_names(settings)] + [f"tts:{n}" for n in tts_names(settings)]


def _key(settings: Settings, field: str, engine: str) -> str:
    value = getattr(settings, field, None)
    if not value:
        raise EngineUnavailable(engine, f"no key ({field.upper()})")
    return str(value)


def make_stt(name: str, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> STTEngine:
    if name == "fake":
        from hvac_agent.voice.stt.fake import FakeSTT

        return FakeSTT(settings.fake_transcript)
    if name == "deepgram":
        from hvac_agent.voice.stt.deepgram import DeepgramSTT

        return DeepgramSTT(
            _key(settings, "deepgram_api_key", name),
            model=settings.deepgram_model,
            base_url=settings.deepgram_url,
            clock=clock,
        )
    if name == "openai":
        from hvac_agent.voice.stt.openai import OpenAISTT

        return OpenAISTT(
            _key(settings, "openai_speech_key", name),
            base_url=settings.openai_base_url,
            limits=ProviderLimits(name, clock=clock),
        )
    if name == "moonshine":
        from hvac_agent.voice.stt.moonshine import MoonshineSTT

        return MoonshineSTT()
    if name == "pocketsphinx":
        from hvac_agent.voice.stt.pocketsphinx import PocketsphinxSTT

        return PocketsphinxSTT()
    if name == "offline":
        from hvac_agent.voice.stt.moonshine import MoonshineSTT
        from hvac_agent.voice.stt.offline import OfflineSTT
        from hvac_agent.voice.stt.pocketsphinx import PocketsphinxSTT

        general: MoonshineSTT | None
        try:
            general = MoonshineSTT()
        except EngineError as error:
            log.warning("moonshine_unavailable", fallback="pocketsphinx grammars only", error=str(error))
            general = None
        return OfflineSTT(general, PocketsphinxSTT())
    raise EngineUnavailable(name, "no such STT engine")


def make_tts(name: str, settings: Settings, clock: Clock = SYSTEM_CLOCK) -> TTSEngine:
    if name == "fake":
        from hvac_agent.voice.tts.fake import FakeTTS

        return FakeTTS()
    if name == "elevenlabs":
        from hvac_agent.voice.tts.elevenlabs import ElevenLabsTTS

        return ElevenLabsTTS(
            _key(settings, "elevenlabs_api_key", name),
            voice=settings.elevenlabs_voice,
            model=settings.elevenlabs_model,
            base_url=settings.elevenlabs_url,
            clock=clock,
        )
    if name == "elevenlabs-rest":
        from hvac_agent.voice.tts.elevenlabs_rest import ElevenLabsRestTTS

        return ElevenLabsRestTTS(
            _key(settings, "elevenlabs_api_key", name),
            voice=settings.elevenlabs_voice,
            model=settings.elevenlabs_model,
            base_url=settings.elevenlabs_url,
            limits=ProviderLimits(name, clock=clock),
        )
    if name == "openai":
        from hvac_agent.voice.tts.openai import OpenAITTS

        return OpenAITTS(
            _key(settings, "openai_speech_key", name),
            base_url=settings.openai_base_url,
            limits=ProviderLimits(name, clock=clock),
        )
    if name == "polly":
        from hvac_agent.voice.tts.polly import PollyTTS

        return PollyTTS(
            voice=settings.polly_voice,
            region=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url_polly,
            aws_access_key_id=settings.aws_access_key_id,
            aws_secret_access_key=settings.aws_secret_access_key,
            limits=ProviderLimits(name, clock=clock),
        )
    if name in ("espeak", "offline"):
        from hvac_agent.voice.tts.espeak import EspeakTTS

        return EspeakTTS()
    raise EngineUnavailable(name, "no such TTS engine")


def _build(names: list[str], make: Callable[[str], T], fallback: tuple[str, ...]) -> list[T]:
    engines: list[T] = []
    for name in names:
        try:
            engines.append(make(name))
        except EngineError as error:
            log.warning("speech_engine_skipped", engine=name, error=str(error))
    if not engines:
        for name in fallback:
            engines.append(make(name))
    return engines


def vad_factory() -> Callable[[], Vad]:
    try:
        import webrtcvad  # noqa: F401
    except ImportError:  # pragma: no cover - a hard dependency
        return EnergyVad
    return WebRtcVad


def phrase_store(settings: Settings) -> SharedPhraseStore:
    """Redis when the deployment has it (every machine shares), else a directory (every worker here)."""
    if settings.redis_url:
        return RedisPhraseStore(settings.redis_url)
    return DiskPhraseStore(settings.phrase_cache_dir)


def build_voice(settings: Settings, *, cache: PhraseCache | None = None, clock: Clock = SYSTEM_CLOCK) -> VoiceEngines:
    """The speech engines, all on `clock` (breakers, rate limits, keep-alives, timeouts)."""
    stts = _build(stt_names(settings), lambda n: make_stt(n, settings, clock), OFFLINE_STT)
    ttss = _build(tts_names(settings), lambda n: make_tts(n, settings, clock), OFFLINE_TTS)
    stt: STTEngine = stts[0] if len(stts) == 1 else FailoverSTT(stts, clock=clock)
    tts: TTSEngine = ttss[0] if len(ttss) == 1 else FailoverTTS(ttss, clock=clock)
    if cache is None:
        cache = PhraseCache(shared=phrase_store(settings))
    return VoiceEngines(stt=stt, tts=CachedTTS(tts, cache), vad_factory=vad_factory(), ack_phrases=ACK_PHRASES[:1])


def engine_circuits(voice: VoiceEngines | None) -> dict[str, dict[str, object]]:
    """Every speech engine's circuit, `{"tts:elevenlabs": {"state": "closed", ...}}` (for /health)."""
    out: dict[str, dict[str, object]] = {}
    if voice is None:
        return out
    for kind, engine in (("stt", voice.stt), ("tts", voice.tts)):
        inner = engine.engine if isinstance(engine, CachedTTS) else engine
        if isinstance(inner, (FailoverSTT, FailoverTTS)):
            out.update(inner.circuits())
        else:
            out[f"{kind}:{inner.name}"] = {
                "state": "closed",
                "consecutive_failures": 0,
                "total_failures": 0,
                "total_successes": 0,
                "retry_in_s": None,
            }
    return out
