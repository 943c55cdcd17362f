"""VAD on synthesised speech vs silence and noise; endpointing on audio time."""

from __future__ import annotations

import numpy as np
import pytest

from hvac_agent.voice.codec import FRAME_SAMPLES, silence, ulaw_decode, ulaw_encode
from hvac_agent.voice.endpointing import END_SILENCE_MS, Endpointer, EndpointEvent, EndpointPolicy
from hvac_agent.voice.tts.espeak import EspeakTTS
from hvac_agent.voice.vad import LoudnessGate, WebRtcVad, frame_dbfs


def _frames(pcm: np.ndarray) -> list[bytes]:
    """20 ms μ-law frames, as the VAD gets them off the wire."""
    ulaw = ulaw_encode(pcm)
    return [ulaw[i : i + FRAME_SAMPLES] for i in range(0, len(ulaw) - FRAME_SAMPLES + 1, FRAME_SAMPLES)]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return ulaw_decode(EspeakTTS().render("My furnace stopped working and there is no heat in the house."))


def test_vad_hears_synthesised_speech(speech: np.ndarray) -> None:
    vad = WebRtcVad()
    voiced = [vad.is_speech(f) for f in _frames(speech)]
    assert sum(voiced) / len(voiced) > 0.6


def test_vad_ignores_silence_line_noise_and_hum() -> None:
    vad = WebRtcVad()
    rng = np.random.default_rng(1)
    idle = ulaw_decode(silence(2000))
    hiss = (rng.normal(0, 60, 16000)).astype(np.int16)  # about -55 dBFS line noise
    hum = (np.sin(2 * np.pi * 60 * np.arange(16000) / 8000) * 200).astype(np.int16)
    for pcm in (idle, hiss, hum):
        assert not any(vad.is_speech(f) for f in _frames(pcm))


@pytest.mark.parametrize("shape", ["gaussian", "laplacian"])
def test_loudness_gate_reads_the_level_off_ulaw_bytes(shape: str) -> None:
    """The gate (no decoding) agrees with the frame's real RMS level away from its threshold."""
    gate = LoudnessGate(min_dbfs=-45.0)
    rng = np.random.default_rng(7)

    def frames_at(dbfs: float) -> list[bytes]:
        rms = 32768.0 * 10 ** (dbfs / 20)
        noise = rng.normal(0, rms, 16000) if shape == "gaussian" else rng.laplace(0, rms / np.sqrt(2), 16000)
        return _frames(np.clip(noise, -32768, 32767).astype(np.int16))

    loud, quiet = frames_at(-39.0), frames_at(-52.0)
    assert all(abs(frame_dbfs(f) + 39.0) < 2.5 for f in loud)  # the frames are what they claim
    assert sum(map(gate.passes, loud)) / len(loud) > 0.98
    assert sum(map(gate.passes, quiet)) / len(quiet) < 0.02
    assert not gate.passes(silence(20))


def test_vad_rejects_wrong_frame_sizes() -> None:
    assert WebRtcVad().is_speech(silence(20)[:100]) is False


def _run(endpointer: Endpointer, pattern: list[tuple[bool, int]]) -> list[tuple[int, EndpointEvent]]:
    events: list[tuple[int, EndpointEvent]] = []
    for voiced, ms in pattern:
        for _ in range(ms // 20):
            events += [(endpointer.now_ms, e) for e in endpointer.feed(voiced)]
    return events


def test_turn_starts_after_a_voiced_run_and_clicks_do_not_count() -> None:
    ep = Endpointer(EndpointPolicy(start_speech_ms=60))
    assert _run(ep, [(True, 40), (False, 200)]) == []  # a 40 ms click
    events = _run(ep, [(True, 100)])
    assert events == [(300, EndpointEvent.SPEECH_START)]
    assert ep.turn_started_ms == 240


@pytest.mark.parametrize("expect", ["yes_no", "confirm", "phone", "address", "zip", "name", None])
def test_end_of_turn_silence_adapts_to_the_question(expect: str | None) -> None:
    ep = Endpointer(expect=expect)  # type: ignore[arg-type]
    events = _run(ep, [(True, 500), (False, 3000)])
    kinds = [e for _, e in events if e is not EndpointEvent.LIKELY_END]
    assert kinds == [EndpointEvent.SPEECH_START, EndpointEvent.PAUSE, EndpointEvent.END_OF_TURN]
    end_at = events[-1][0]
    assert end_at - 500 == ep.policy.end_silence_for(expect)  # type: ignore[arg-type]


def test_short_answers_end_sooner_than_numbers_and_addresses() -> None:
    assert END_SILENCE_MS["yes_no"] < END_SILENCE_MS["name"] < END_SILENCE_MS["zip"] < END_SILENCE_MS["phone"]
    assert END_SILENCE_MS["confirm"] < END_SILENCE_MS["address"]


def test_pauses_inside_a_phone_number_do_not_end_the_turn() -> None:
    ep = Endpointer(expect="phone")
    # "five one two" … 700 ms … "five five five" … 700 ms … "oh one two three"
    events = _run(ep, [(True, 600), (False, 700), (True, 600), (False, 700), (True, 800), (False, 1500)])
    kinds = [e for _, e in events]
    assert kinds.count(EndpointEvent.END_OF_TURN) == 1 and kinds[-1] is EndpointEvent.END_OF_TURN
    assert kinds.count(EndpointEvent.PAUSE) == 3 and kinds.count(EndpointEvent.RESUME) == 2
    # the same pauses after a yes/no question would have ended the turn at the first gap
    ep2 = Endpointer(expect="yes_no")
    kinds2 = [e for _, e in _run(ep2, [(True, 600), (False, 700), (True, 600)])]
    assert kinds2[:3] == [EndpointEvent.SPEECH_START, EndpointEvent.PAUSE, EndpointEvent.END_OF_TURN]


def test_a_caller_who_never_pauses_is_cut_at_max_turn() -> None:
    ep = Endpointer(EndpointPolicy(max_turn_ms=2000))
    events = _run(ep, [(True, 3000)])
    # cut at 2 s; the speech that goes on opens the next turn
    assert [e for _, e in events] == [EndpointEvent.SPEECH_START, EndpointEvent.END_OF_TURN, EndpointEvent.SPEECH_START]
    assert events[1][0] == 2000


def test_end_now_closes_an_open_turn_once() -> None:
    ep = Endpointer()
    _run(ep, [(True, 200), (False, 200)])
    assert ep.end_now() is EndpointEvent.END_OF_TURN
    assert ep.end_now() is None


def test_likely_end_comes_before_a_long_end_of_turn_and_again_after_the_caller_goes_on() -> None:
    ep = Endpointer(EndpointPolicy(), expect="address")  # 1000 ms end-of-turn silence
    events = _run(ep, [(True, 400), (False, 500), (True, 300), (False, 1100)])
    likely = [at for at, e in events if e is EndpointEvent.LIKELY_END]
    assert likely == [400 + 300, 1200 + 300]  # 300 ms into each silence
    assert [e for _, e in events].count(EndpointEvent.END_OF_TURN) == 1


def test_no_likely_end_when_the_turn_ends_soon_anyway() -> None:
    ep = Endpointer(EndpointPolicy(), expect="yes_no")  # 400 ms: an "Okay." first would only delay it
    events = _run(ep, [(True, 300), (False, 600)])
    assert EndpointEvent.LIKELY_END not in [e for _, e in events]
    assert EndpointEvent.END_OF_TURN in [e for _, e in events]
