"""The call pipeline with fake engines and a scripted dialogue: turns, marks, barge-in, keypad,
acknowledgements, transfer, silence, failures, clean-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from voice_fakes import ScriptedResponder, Wire, feed, until

from hvac_agent.clock import ScaledClock
from hvac_agent.dialogue.state import CallerSaid, DigitsPressed, Reply, Silence
from hvac_agent.voice.codec import silence
from hvac_agent.voice.failover import FailoverSTT
from hvac_agent.voice.phrase_cache import CachedTTS
from hvac_agent.voice.pipeline import CallPipeline, PipelineConfig, VoiceEngines, answer_complete
from hvac_agent.voice.sink import PacedSink
from hvac_agent.voice.stats import VoiceStats
from hvac_agent.voice.stt.fake import FakeSTT
from hvac_agent.voice.tts.base import split_sentences
from hvac_agent.voice.tts.espeak import EspeakTTS
from hvac_agent.voice.tts.fake import FakeTTS
from hvac_agent.voice.vad import WebRtcVad

LONG = (
    "Thanks for calling Comfort Zone Heating and Air. I'm the virtual assistant. If you smell gas, "
    "leave the house now and call the gas company from outside. How can I help you today?"
)


@pytest.fixture(scope="module")
def speech() -> bytes:
    return EspeakTTS().render("my furnace stopped working")


class Call:
    def __init__(
        self,
        responder: ScriptedResponder,
        *,
        stt: FakeSTT | FailoverSTT | None = None,
        tts: FakeTTS | None = None,
        config: PipelineConfig | None = None,
        speed: float = 10.0,
    ) -> None:
        self.wire = Wire()
        self.responder = responder
        self.tts = tts or FakeTTS()
        self.clock = ScaledClock(speed)
        self.stats = VoiceStats()
        self.engines = VoiceEngines(
            stt=stt or FakeSTT("my furnace stopped working"), tts=CachedTTS(self.tts), vad_factory=WebRtcVad
        )
        self.sink = PacedSink(self.wire.send, "MZtest", clock=self.clock, stats=self.stats)
        self.finished: list[str] = []
        self.pipeline = CallPipeline(
            "CAtest",
            "+15125550123",
            responder,
            self.engines,
            self.sink,
            clock=self.clock,
            config=config or PipelineConfig(),
            stats=self.stats,
            on_finished=self._finished,
        )
        self.wire.pipeline = self.pipeline

    async def _finished(self, action: str) -> None:
        self.finished.append(action)


@pytest.fixture
async def call_factory() -> AsyncIterator[list[Call]]:
    calls: list[Call] = []
    yield calls
    for call in calls:
        await call.pipeline.close()
        assert call.pipeline.open_tasks == 0  # every task has an owner and is gone after the call


def make(calls: list[Call], *args: object, **kwargs: object) -> Call:
    call = Call(*args, **kwargs)  # type: ignore[arg-type]
    calls.append(call)
    return call


async def test_greeting_is_paced_in_20ms_frames_with_marks_and_recorded_as_it_starts(call_factory: list[Call]) -> None:
    call = make(call_factory, ScriptedResponder(Reply(say=LONG, expect="intent")))
    frames_when_recorded: list[int] = []
    record = call.responder.record_agent_turn

    async def recording(call_sid: str, text: str) -> int | None:
        frames_when_recorded.append(len(call.wire.events("media")))
        return await record(call_sid, text)

    call.responder.record_agent_turn = recording  # type: ignore[method-assign]
    await call.pipeline.begin()
    await until(lambda: call.responder.recorded == [LONG])
    assert frames_when_recorded[0] <= 10  # in the record as soon as it is being said (its lead went out)
    await until(lambda: any(m["mark"]["name"] == "1:end" for m in call.wire.events("mark")))
    assert call.responder.recorded == [LONG] and call.responder.amended == []
    media = call.wire.events("media")
    assert all(len(m["media"]["payload"]) == 216 for m in media)  # 160 μ-law bytes each
    expected = sum(len(sentence) * 70 // 20 * 160 for sentence in split_sentences(LONG))
    assert call.wire.audio_bytes() == expected  # the whole utterance went out, sentence by sentence
    marks = [m["mark"]["name"] for m in call.wire.events("mark")]
    assert marks[-1] == "1:end" and len(marks) > 5  # a mark about every second, and per sentence
    assert call.pipeline.expect == "intent"


async def test_a_caller_turn_reaches_the_dialogue_and_the_reply_is_spoken(
    call_factory: list[Call], speech: bytes
) -> None:
    responder = ScriptedResponder(
        Reply(say="Hi.", expect="intent"), [Reply(say="May I have your name?", expect="name")]
    )
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech, trailing_ms=1500)
    await until(lambda: responder.recorded == ["Hi.", "May I have your name?"])
    assert responder.events == [CallerSaid(text="my furnace stopped working")]
    assert call.pipeline.expect == "name" and call.pipeline.endpointer.end_silence_ms == 640
    [(from_speech_ms, from_turn_ms)] = call.pipeline.response_ms
    assert from_turn_ms < 200 and from_speech_ms >= from_turn_ms


async def test_barge_in_clears_at_once_and_records_only_what_was_heard(call_factory: list[Call], speech: bytes) -> None:
    responder = ScriptedResponder(Reply(say=LONG, expect="intent"), [Reply(say="Sorry to hear that.", expect="name")])
    call = make(call_factory, responder, speed=1.0)  # real time: the caller talks 1.5 s into the greeting
    await call.pipeline.begin()
    await until(lambda: any(m["mark"]["name"].split(":")[1] not in ("end",) for m in call.wire.events("mark")))
    await asyncio.sleep(1.5)
    sent_before = len(call.wire.sent)
    await feed(call.pipeline, speech[: 8 * 400])  # 400 ms of the caller talking over the agent
    await until(lambda: call.wire.events("clear"))
    clear_at = next(i for i, m in enumerate(call.wire.sent) if m["event"] == "clear")
    assert clear_at >= sent_before
    heard = responder.recorded[0]
    assert heard and len(heard) < len(LONG) // 2 and LONG.startswith(heard)
    # no more greeting audio after the clear; the caller's turn is answered normally
    await feed(call.pipeline, speech[8 * 400 :], trailing_ms=1500)
    await until(lambda: responder.recorded[-1] == "Sorry to hear that.")
    assert responder.events == [CallerSaid(text="my furnace stopped working", cut_in=True)]  # it began over the agent


async def test_a_cough_does_not_interrupt_the_agent(call_factory: list[Call], speech: bytes) -> None:
    responder = ScriptedResponder(Reply(say=LONG, expect="intent"))
    call = make(call_factory, responder, speed=5.0)
    await call.pipeline.begin()
    await asyncio.sleep(0.05)
    await feed(call.pipeline, speech[: 8 * 100] + silence(400))  # 100 ms of voice
    await until(lambda: responder.recorded == [LONG], timeout_s=10)
    assert call.wire.events("clear") == []


async def test_slow_dialogue_gets_an_acknowledgement_that_is_not_recorded(
    call_factory: list[Call], speech: bytes
) -> None:
    responder = ScriptedResponder(
        Reply(say="Hi.", expect="intent"), [Reply(say="Let me look.", expect="name")], delay_s=0.3
    )
    call = make(call_factory, responder, config=PipelineConfig(ack_after_ms=100), speed=1.0)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech, trailing_ms=1000)
    await until(lambda: responder.recorded == ["Hi.", "Let me look."], timeout_s=10)
    assert call.tts.calls == ["Hi.", "Okay.", "Let me look."]


async def test_keypad_digits_make_one_turn(call_factory: list[Call]) -> None:
    responder = ScriptedResponder(
        Reply(say="What's the ZIP code?", expect="zip"), [Reply(say="Thanks.", expect="unit")]
    )
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["What's the ZIP code?"])
    for digit in "78701":
        call.pipeline.on_dtmf(digit)
    await until(lambda: responder.recorded[-1] == "Thanks.")
    assert responder.events == [DigitsPressed(digits="78701")]


async def test_hash_after_a_zip_already_sent_does_not_cut_off_the_next_question(call_factory: list[Call]) -> None:
    # A ZIP goes at its fifth digit; the caller's habitual "#" comes while the next question plays.
    responder = ScriptedResponder(Reply(say="What's the ZIP code?", expect="zip"), [Reply(say=LONG, expect="unit")])
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["What's the ZIP code?"] and not call.pipeline.speaking)
    for digit in "78701":
        call.pipeline.on_dtmf(digit)
    await until(lambda: call.pipeline.speaking)
    call.pipeline.on_dtmf("#")
    await until(lambda: responder.recorded[-1] == LONG and not call.pipeline.speaking, timeout_s=10)
    assert call.wire.events("clear") == []
    assert responder.events == [DigitsPressed(digits="78701")]


async def test_keypad_gap_ends_entry_and_hash_ends_it_at_once(call_factory: list[Call]) -> None:
    responder = ScriptedResponder(Reply(say="Number?", expect="phone"), [Reply(say="Got it.", expect="confirm")])
    call = make(call_factory, responder, config=PipelineConfig(dtmf_gap_ms=1000))
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Number?"])
    for digit in "512#":
        call.pipeline.on_dtmf(digit)
    await until(lambda: len(responder.events) == 1)
    for digit in "99":
        call.pipeline.on_dtmf(digit)
    await until(lambda: len(responder.events) == 2)  # after the 1 s gap (0.1 s at 10x)
    assert responder.events == [DigitsPressed(digits="512"), DigitsPressed(digits="99")]


async def test_transfer_plays_the_last_words_then_asks_to_close_and_ignores_barge_in(
    call_factory: list[Call], speech: bytes
) -> None:
    responder = ScriptedResponder(
        Reply(say="Hi.", expect="intent"),
        [Reply(say="Connecting you to a person now. Please hold.", action="transfer")],
    )
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech, trailing_ms=1000)
    await until(lambda: call.pipeline.finishing)
    await feed(call.pipeline, speech)  # talking over the goodbye does not cut it
    await until(lambda: call.finished == ["transfer"])
    assert responder.recorded[-1] == "Connecting you to a person now. Please hold."
    assert call.wire.events("clear") == [] and len(responder.events) == 1


async def test_transfer_closes_even_if_the_last_mark_never_comes_back(call_factory: list[Call], speech: bytes) -> None:
    responder = ScriptedResponder(Reply(say="Goodbye.", action="hangup"))
    call = make(call_factory, responder, config=PipelineConfig(final_mark_grace_ms=500))
    call.wire.echo_marks = False
    await call.pipeline.begin()
    await until(lambda: call.finished == ["hangup"])


async def test_silence_after_a_question_becomes_a_silence_turn(call_factory: list[Call]) -> None:
    responder = ScriptedResponder(Reply(say="Are you there?", expect="intent"), [Reply(say="Hello?", expect="intent")])
    call = make(call_factory, responder, config=PipelineConfig(no_input_ms=2000), speed=20.0)
    await call.pipeline.begin()
    await feed(call.pipeline, silence(3000))
    await until(lambda: responder.events[:1] == [Silence()])


async def test_stt_failover_answers_with_the_next_engine(call_factory: list[Call], speech: bytes) -> None:
    responder = ScriptedResponder(Reply(say="Hi.", expect="intent"))
    stt = FailoverSTT([FakeSTT(fail=True), FakeSTT("I need a repair")], failure_threshold=1)
    call = make(call_factory, responder, stt=stt)
    await call.pipeline.begin()
    await feed(call.pipeline, speech, trailing_ms=1500)
    await until(lambda: len(responder.events) == 1)
    assert [(e.kind, getattr(e, "text", None)) for e in responder.events] == [("caller_said", "I need a repair")]
    assert stt.states() == {"fake#0": "open", "fake#1": "closed"}


async def test_a_failing_dialogue_still_answers_the_caller(call_factory: list[Call], speech: bytes) -> None:
    responder = ScriptedResponder(Reply(say="Hi.", expect="intent"), fail=True)
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await feed(call.pipeline, speech, trailing_ms=1500)
    await until(lambda: len(responder.recorded) == 2)
    assert "say it again" in responder.recorded[1]


async def test_hanging_up_mid_reply_records_the_heard_part_and_finalises(speech: bytes) -> None:
    responder = ScriptedResponder(Reply(say=LONG, expect="intent"))
    call = Call(responder, speed=1.0)
    await call.pipeline.begin()
    await until(lambda: any(m["mark"]["name"] != "1:end" for m in call.wire.events("mark")))
    await asyncio.sleep(1.2)
    await call.pipeline.close()
    assert responder.ended == ["CAtest"]
    assert len(responder.recorded) == 1 and LONG.startswith(responder.recorded[0])
    assert 0 < len(responder.recorded[0]) < len(LONG)
    assert call.pipeline.open_tasks == 0
    await call.pipeline.close()  # idempotent
    assert responder.ended == ["CAtest"]


async def test_garbage_and_ragged_audio_never_break_the_call(call_factory: list[Call], speech: bytes) -> None:
    import numpy as np

    responder = ScriptedResponder(Reply(say="Hi.", expect="intent"))
    call = make(call_factory, responder)
    await call.pipeline.begin()
    rng = np.random.default_rng(7)
    for size in (1, 7, 159, 161, 333, 0, 1000):
        call.pipeline.on_media(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
    await feed(call.pipeline, speech, trailing_ms=1500)
    await until(lambda: len(responder.events) >= 1)
    # (the caller may have begun over "Hi.": only the words matter here)
    assert "my furnace stopped working" in [e.text for e in responder.events if isinstance(e, CallerSaid)]


@pytest.mark.parametrize(
    ("expect", "text", "complete"),
    [
        ("confirm", "Yes.", True),
        ("confirm", "", False),
        ("zip", "7 8 7 0 1", True),
        ("zip", "seven eight", False),
        ("phone", "five one two five five five zero one two three", True),
        ("name", "My name is", False),
        ("name", "My name is Robert Brown.", True),
        ("address", "100 Main Street.", False),
    ],
)
def test_semantic_endpointing(expect: str, text: str, complete: bool) -> None:
    assert answer_complete(expect, text) is complete  # type: ignore[arg-type]


async def test_a_streamed_reply_starts_speaking_with_its_first_sentence(
    call_factory: list[Call], speech: bytes
) -> None:
    """An LLM writing sentence by sentence: the first is heard while the rest is still being written,
    the whole reply is one agent turn, and no sentence is said twice."""
    reply = Reply(say="Sorry to hear that. Let me check our schedule. May I have your name?", expect="name")
    responder = ScriptedResponder(Reply(say="Hi.", expect="intent"), [reply], stream_gap_s=0.4)
    call = make(call_factory, responder, config=PipelineConfig(ack_at_likely_end=False))
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech, trailing_ms=1500)
    await until(lambda: "Sorry to hear that." in call.tts.calls)
    assert responder.handed_over == ["Sorry to hear that."]  # the rest is not written yet
    assert responder.recorded[-1] == "Sorry to hear that."  # in the record as it starts
    await until(lambda: not call.pipeline.speaking and call.pipeline.expect == "name", timeout_s=10)
    assert call.tts.calls.count("Sorry to hear that.") == 1
    assert call.tts.calls[-3:] == ["Sorry to hear that.", "Let me check our schedule.", "May I have your name?"]
    assert responder.recorded == ["Hi.", reply.say]  # one agent turn, grown to the whole reply
    assert "Okay." not in call.tts.calls  # the first sentence came in time: no filler


async def test_a_grouped_answer_is_acknowledged_at_its_likely_end_before_the_turn_ends(
    call_factory: list[Call], speech: bytes
) -> None:
    """An address comes in groups with pauses: the turn waits 1 s of silence, and "Okay." goes out
    at ~300 ms so the caller is never left in silence."""
    responder = ScriptedResponder(Reply(say="Hi.", expect="address"), [Reply(say="And the ZIP?", expect="zip")])
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech + silence(400))  # quiet for longer than the likely end, short of the end
    await until(lambda: "Okay." in call.tts.calls)
    assert responder.events == []  # acknowledged, not answered: the turn is still open
    assert call.pipeline.endpointer.in_turn
    await feed(call.pipeline, silence(1000))
    await until(lambda: responder.recorded == ["Hi.", "And the ZIP?"])
    assert responder.events == [CallerSaid(text="my furnace stopped working")]
    assert call.tts.calls.count("Okay.") == 1  # no second filler at the end of the turn


async def test_a_complete_open_answer_gets_the_reply_at_its_likely_end_not_a_filler(
    call_factory: list[Call], speech: bytes
) -> None:
    """Issue 11 item 5: the words decide too. "my furnace stopped working" answers "how can I
    help": the reply itself starts at the likely end (~300 ms), not an "Okay." and a wait."""
    responder = ScriptedResponder(Reply(say="Hi.", expect="intent"), [Reply(say="Sorry to hear.", expect="name")])
    call = make(call_factory, responder)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech + silence(400))  # well short of the 700 ms end-of-turn silence
    await until(lambda: responder.recorded == ["Hi.", "Sorry to hear."])
    assert "Okay." not in call.tts.calls
    [(from_speech_ms, _)] = call.pipeline.reply_ms
    assert from_speech_ms < 700  # answered before the silence alone would have ended the turn


async def test_a_caller_who_goes_on_after_the_acknowledgement_keeps_one_turn(
    call_factory: list[Call], speech: bytes
) -> None:
    responder = ScriptedResponder(Reply(say="Hi.", expect="address"), [Reply(say="Thanks.", expect="zip")])
    call = make(call_factory, responder, speed=1.0)
    await call.pipeline.begin()
    await until(lambda: responder.recorded == ["Hi."] and not call.pipeline.speaking)
    await feed(call.pipeline, speech + silence(400))  # "4410 Duval..." and a pause
    await until(lambda: call.wire.events("media") and "Okay." in call.tts.calls)
    await feed(call.pipeline, speech, trailing_ms=1500)  # "...Street, 78751": talks over the "Okay."
    await until(lambda: responder.recorded == ["Hi.", "Thanks."], timeout_s=10)
    assert call.wire.events("clear")  # the backchannel was cut as soon as they went on
    assert len(responder.events) == 1  # one turn for the whole answer
