"""Stream mode end to end: the real app on uvicorn (loopback), Twilio's side played by the caller
simulator over a real WebSocket, signed like Twilio."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from hvac_agent.clock import FixedClock, ScaledClock
from hvac_agent.telephony.dial_in import dial_in
from hvac_agent.tools.simulator import Rule, is_acknowledgement, record_listener
from hvac_agent.voice.codec import b64encode, silence
from hvac_agent.voice.pipeline import PipelineConfig
from tests.support.server import AppServer, app_server, stream_settings

TOKEN = "stream-test-token-0123456789abcdef"
# Wednesday 2 December 2026, 09:00 in Austin: the first open window is today 12:00-16:00.
NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


@dataclass
class StreamServer(AppServer):
    def record(self, call_sid: str) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/api/calls/{call_sid}", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def appointments(self, call_sid: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base_url}/api/appointments", params={"call_sid": call_sid}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def health(self) -> int:
        return httpx.get(f"{self.base_url}/health", timeout=10).status_code


def _serve(
    tmp_path: Path, *, stt: str, tts: str, speed: float, config: PipelineConfig | None = None
) -> Iterator[StreamServer]:
    settings = functools.partial(
        stream_settings,
        tmp_path,
        token=TOKEN,
        stt_engines=stt,
        tts_engines=tts,
        fake_transcript="I want to talk to a representative",
    )
    with app_server(
        settings, clock=FixedClock(NOW), voice_clock=ScaledClock(speed), voice_config=config, configure_logs=False
    ) as server:
        yield server.as_(StreamServer)


@pytest.fixture
def fake_server(tmp_path: Path) -> Iterator[StreamServer]:
    yield from _serve(tmp_path, stt="fake", tts="fake", speed=10.0)


@pytest.fixture
def realtime_server(tmp_path: Path) -> Iterator[StreamServer]:
    yield from _serve(tmp_path, stt="fake", tts="fake", speed=1.0)


@pytest.fixture
def offline_server(tmp_path: Path) -> Iterator[StreamServer]:
    # 5x faster than real time: pacing, timers; endpointing runs on audio time anyway
    yield from _serve(tmp_path, stt="offline", tts="espeak", speed=5.0)


BOOKING_RULES = [
    Rule(r"shall i book", "yes", once=False),  # first: the read-back mentions name, ZIP…
    Rule(r"how can I help", "my furnace stopped working and there's no heat"),
    Rule(r"your (first and last )?name", "my name is Robert Brown", once=False),
    Rule(r"best number", "yes"),
    # Moonshine hears "200 Main Street" in espeak's voice at every cut tried (lead 0–200 ms, tail
    # 0–1400 ms); "200 Park Avenue" became "power cam anew" or "Paracamon" at 12 of 90 cuts.
    Rule(r"street address", "I live at 200 Main Street", once=False),
    Rule(r"zip", dtmf="78701#", once=False),
    Rule(r"apartment or unit", "no unit", once=False),
    Rule(r"at risk", "no", once=False),
    Rule(r"which works best", "the earliest", once=False),
]


@pytest.mark.slow
async def test_simulator_books_a_visit_on_offline_engines(offline_server: StreamServer) -> None:
    sim = offline_server.simulator()
    # The simulator hears the agent through the call record (the CLI's `--api-token` fallback): each
    # new agent turn as recorded from the marks, so the test doesn't depend on a recogniser's ear.
    sim.listener = record_listener(offline_server.base_url, sim.call_sid)
    async with sim:
        transcript = await sim.converse(BOOKING_RULES, max_turns=20)
    assert sim.closed
    said = [text for role, text in transcript.turns if role == "agent"]
    assert "You're all set" in said[-1]

    [appointment] = offline_server.appointments(sim.call_sid)
    assert appointment["customer_name"] == "Robert Brown"
    assert appointment["phone"] == "+15125550123"  # the caller ID, confirmed with a spoken "yes"
    assert appointment["address"] == "200 Main Street"
    assert appointment["unit"] is None
    assert appointment["zip"] == "78701"  # keyed in on the keypad
    assert appointment["issue_category"] == "no_heat"
    assert appointment["urgency"] == "routine"
    assert (appointment["date"], appointment["window"]) == ("2026-12-02", "12:00-16:00")
    assert appointment["status"] == "booked"

    record = offline_server.record(sim.call_sid)
    assert record["outcome"] == "booked" and record["ended_at"] is not None
    assert record["appointment_id"] == appointment["id"]
    agent_turns = [t["text"] for t in record["turns"] if t["role"] == "agent" and not is_acknowledgement(t["text"])]
    assert agent_turns == said  # recorded as heard, each one in full
    assert offline_server.health() == 200


async def test_barge_in_sends_clear_and_keeps_only_the_heard_words(realtime_server: StreamServer) -> None:
    fake_server = realtime_server
    sim = fake_server.simulator(quiet_s=0.3)
    async with sim:
        await asyncio.sleep(1.6)  # the greeting plays for 1.6 s, marks come back as it plays
        assert not any(m["event"] == "clear" for m in sim.received)
        live = fake_server.record(sim.call_sid)["turns"]  # recorded as it started, whole for now
        assert live[0]["role"] == "agent" and live[0]["text"].endswith("How can I help?")
        await sim.say("wait, I need to talk to someone", realtime=1.0)
        for _ in range(50):  # sent as the caller starts speaking; a busy machine may deliver it late
            if any(m["event"] == "clear" for m in sim.received):
                break
            await asyncio.sleep(0.1)
        assert any(m["event"] == "clear" for m in sim.received)
        turn = await sim.listen(timeout_s=20)  # the reply to the interruption
        assert turn.closed  # fake STT asks for a representative: transfer → the server closes
    record = fake_server.record(sim.call_sid)
    greeting_heard = record["turns"][0]
    assert greeting_heard["role"] == "agent"
    assert greeting_heard["text"].startswith("Comfort Zone")
    assert "How can I help" not in greeting_heard["text"]  # the end was never played
    assert 15 < len(greeting_heard["text"]) < 70  # about 1.6 s of speech at ~14 chars/s
    assert record["turns"][1] == {**record["turns"][1], "role": "caller", "text": "I want to talk to a representative"}
    assert record["outcome"] == "transferred" and record["ended_at"] is not None


async def test_garbage_out_of_order_and_truncated_frames_leave_the_call_and_server_healthy(
    fake_server: StreamServer,
) -> None:
    sim = fake_server.simulator(quiet_s=0.3)
    invite = await dial_in(fake_server.voice_url, call_sid=sim.call_sid, caller=sim.caller, auth_token=TOKEN)
    sim.ws = await websockets.connect(sim.ws_url, additional_headers=sim.headers)
    garbage: list[str | bytes] = [
        "not json",
        "[1, 2, 3]",
        "{}",
        '{"event": "media"}',
        '{"event": "nonsense"}',
        json.dumps({"event": "media", "media": {"payload": b64encode(silence(20))}}),  # before start
        b"\x00\xff binary junk",
    ]
    for frame in garbage:
        await sim.ws.send(frame)
    sim._reader = asyncio.create_task(sim._read())
    await sim.send(
        {
            "event": "start",
            "streamSid": sim.stream_sid,
            "start": {
                "streamSid": sim.stream_sid,
                "callSid": sim.call_sid,
                "customParameters": invite.parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
    )
    more: list[dict[str, Any]] = [
        {"event": "media", "sequenceNumber": "50", "media": {"payload": "!!not base64!!"}},
        {"event": "media", "sequenceNumber": "51", "media": {"payload": b64encode(b"\x7f" * 37)}},  # truncated
        {"event": "media", "sequenceNumber": "10", "media": {"payload": b64encode(silence(20))}},  # late
        {"event": "media", "sequenceNumber": "51", "media": {"payload": b64encode(silence(20))}},  # duplicate
        {"event": "media", "sequenceNumber": "abc", "media": {"payload": 42}},
        {"event": "dtmf", "dtmf": {"digit": "x"}},
        {"event": "mark", "mark": {"name": "999:end"}},
        {"event": "mark", "mark": {"name": "garbage"}},
        {"event": "start", "start": {"callSid": "CAother", "streamSid": "MZother"}},  # a second start
    ]
    for message in more:
        await sim.send(message)
    sim.seq = 100
    turn = await sim.listen(timeout_s=30)  # the greeting still plays
    assert turn.audio and not turn.closed
    # the caller hangs up in the middle of the next reply: the socket just drops
    await sim.say("hello there", realtime=0)
    await asyncio.sleep(0.5)
    await sim.ws.close()
    await asyncio.sleep(0.5)
    record = fake_server.record(sim.call_sid)
    assert record["ended_at"] is not None
    assert fake_server.health() == 200
    health = (await asyncio.to_thread(httpx.get, f"{fake_server.base_url}/health", timeout=10)).json()
    assert health["status"] == "ok"
    assert health["metrics"]["voice"]["frames"] > 0  # paced frames went out and are measured
    # and the next call is served normally
    async with fake_server.simulator(quiet_s=0.3) as again:
        assert (await again.listen(timeout_s=30)).audio


async def test_wrong_codec_keeps_the_call_on_the_keypad(fake_server: StreamServer) -> None:
    sim = fake_server.simulator(quiet_s=0.3)
    await sim.connect(encoding="audio/x-l16", sample_rate_hz=16000)
    turn = await sim.listen(timeout_s=30)
    assert turn.audio  # the greeting is sent anyway
    await sim.send_audio(silence(500) + b"\x00" * 4000)  # its audio is ignored, not misread
    await sim.hang_up()
    await asyncio.sleep(0.3)
    record = fake_server.record(sim.call_sid)
    assert record["ended_at"] is not None
    assert [t["role"] for t in record["turns"]] == ["agent"]


async def test_unsigned_stream_upgrade_is_refused(fake_server: StreamServer) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(fake_server.ws_url)
    assert refused.value.response.status_code == 403


async def test_voice_webhook_connects_the_stream_and_its_action_dials_the_office(fake_server: StreamServer) -> None:
    """The stream-mode call from Twilio's side: `/twilio/voice` → `<Connect><Stream>`, the media
    stream (caller asks for a person, the server closes it), then the `<Connect>` action → `<Dial>`."""
    from tests.support.twilio_sim import TwilioCall

    with TwilioCall(fake_server.base_url, TOKEN) as call:
        twiml = await asyncio.to_thread(call.start)
        assert twiml.stream_url == fake_server.ws_url
        assert twiml.connect_action == f"{fake_server.base_url}/twilio/stream-ended"
        assert '<Parameter name="caller" value="+15125550123"' in twiml.xml
        assert twiml.gather_action is None and not twiml.says
        async with fake_server.simulator(
            quiet_s=0.3, call_sid=call.call_sid, parameters=twiml.stream_parameters
        ) as sim:
            assert (await sim.listen(timeout_s=30)).audio  # the greeting
            await sim.say("hello there", realtime=0)  # heard as "I want to talk to a representative"
            assert (await sim.listen(timeout_s=30)).closed  # the server ends the stream to transfer
        action = twiml.connect_action
        assert action is not None
        after = await asyncio.to_thread(call._post, action, {"CallStatus": "in-progress"})
        assert after.dial_numbers == ["+15125550100"] and after.dial_action
    record = fake_server.record(call.call_sid)
    assert record["outcome"] == "transferred" and record["ended_at"] is not None
    with TwilioCall(fake_server.base_url, TOKEN) as unknown:  # a stream that never reached the dialogue
        ended = await asyncio.to_thread(unknown._post, "/twilio/stream-ended", {"CallStatus": "in-progress"})
        assert ended.dial_numbers == ["+15125550100"] and "lines are busy" in ended.text  # a person takes it


@pytest.mark.parametrize(
    ("heard", "filler"),
    [("Okay.", True), ("ok", True), ("One moment.", True), ("Okay. May I have your name?", False), ("", False)],
)
def test_the_simulator_keeps_listening_through_the_agents_fillers(heard: str, filler: bool) -> None:
    assert is_acknowledgement(heard) is filler


async def test_a_complete_open_answer_is_answered_at_once_and_the_record_keeps_only_words(
    realtime_server: StreamServer,
) -> None:
    """Over the real socket: the caller's open answer is complete in its words, so the answer
    itself starts at the likely end — no "Okay." and a wait; the call record holds the words.
    (Real time: on a 10x clock the 300 ms "answer is late" filler would be 30 ms of dialogue.)"""
    sim = realtime_server.simulator(quiet_s=0.3)
    async with sim:
        await sim.listen()  # the greeting asks an open question
        before = len(sim.received)
        # at the pace of a phone line: the words at the pause are in before the likely end
        await sim.say("I want to talk to a representative", realtime=1.0)
        while not (await sim.listen(timeout_s=20)).closed:
            pass
    after = sim.received[before:]
    spoken = [
        int(m["mark"]["name"].split(":")[0])
        for m in after
        if m["event"] == "mark" and m["mark"]["name"].endswith(":end")
    ]
    assert len(spoken) == 1  # one utterance: the answer itself, no filler before it
    record = realtime_server.record(sim.call_sid)
    agent = [t["text"] for t in record["turns"] if t["role"] == "agent"]
    assert len(agent) == 2 and "Okay." not in agent  # greeting and the transfer line, no filler
    assert record["outcome"] == "transferred"
