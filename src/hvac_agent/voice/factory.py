"""Build the process's speech engines from Settings, once (the app calls it in its lifespan).

`HVAC_STT_ENGINES` / `HVAC_TTS_ENGINES` name engines in failover order. Unset: the cloud engines
whose keys are present (none are built in yet: a later issue), then the offline ones, which
always work. `fake` gives instant engines for load tests (`HVAC_FAKE_TRANSCRIPT`).
"""

from __future__ import annotations

from collections.abc import Callable

from hvac_agent.config import Settings
from hvac_agent.observability.logging import get_logger
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.failover import FailoverSTT, FailoverTTS
from hvac_agent.voice.phrase_cache import ACK_PHRASES, CachedTTS, PhraseCache
from hvac_agent.voice.pipeline import VoiceEngines
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.tts.base import TTSEngine
from hvac_agent.voice.vad import EnergyVad, Vad, WebRtcVad

log = get_logger("hvac_agent.voice.factory")

OFFLINE_STT = ("offline",)
OFFLINE_TTS = ("espeak",)
CLOUD_STT = {"deepgram": "deepgram_api_key", "aws": "aws_access_key_id"}
CLOUD_TTS = {"elevenlabs": "elevenlabs_api_key", "aws": "aws_access_key_id"}


def _names(value: str | None) -> list[str]:
    return [n.strip().lower() for n in (value or "").split(",") if n.strip()]


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


def make_stt(name: str, settings: Settings) -> STTEngine:
    if name == "fake":
        from hvac_agent.voice.stt.fake import FakeSTT

        return FakeSTT(settings.fake_transcript)
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
    raise EngineError(name, "no such STT engine here (cloud engines come with their provider extras)",
                      retryable=False)


def make_tts(name: str, settings: Settings) -> TTSEngine:
    if name == "fake":
        from hvac_agent.voice.tts.fake import FakeTTS

        return FakeTTS()
    if name in ("espeak", "offline"):
        from hvac_agent.voice.tts.espeak import EspeakTTS

        return EspeakTTS()
    raise EngineError(name, "no such TTS engine here (cloud engines come with their provider extras)",
                      retryable=False)


def _build(names: list[str], make: Callable[[str], object], fallback: tuple[str, ...]) -> list[object]:
    engines: list[object] = []
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


def build_voice(settings: Settings, *, cache: PhraseCache | None = None) -> VoiceEngines:
    stts = _build(stt_names(settings), lambda n: make_stt(n, settings), OFFLINE_STT)
    ttss = _build(tts_names(settings), lambda n: make_tts(n, settings), OFFLINE_TTS)
    stt: STTEngine = stts[0] if len(stts) == 1 else FailoverSTT(stts)  # type: ignore[assignment,arg-type]
    tts: TTSEngine = ttss[0] if len(ttss) == 1 else FailoverTTS(ttss)  # type: ignore[assignment,arg-type]
    return VoiceEngines(stt=stt, tts=CachedTTS(tts, cache), vad_factory=vad_factory(),
                        ack_phrases=ACK_PHRASES[:1])
