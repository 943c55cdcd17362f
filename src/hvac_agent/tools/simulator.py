"""A caller simulator: speaks scripted lines as synthesised audio over a real WebSocket to the real
server (as Twilio would relay them), listens to the agent, and answers in turn.

Twilio's side is played faithfully: the incoming-call webhook first (its `<Stream>` parameters carry
the call's token), then `connected`, `start` (echoing them as `customParameters`), 20 ms μ-law
`media` frames with sequence numbers, `dtmf`, `mark` echoes after the audio before them, `stop`.
"Played" means received here (the server paces at real time), so a run is as fast as the server's
clock allows: pair it with a `ScaledClock` on the server to go faster than real time.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from hvac_agent.voice.codec import FRAME_SAMPLES, b64decode, b64encode, frames, silence
from hvac_agent.voice.phrase_cache import ACK_PHRASES

Listener = Callable[[bytes], Awaitable[str]]


@dataclass
class AgentTurn:
    audio: bytes
    marks: list[str]
    text: str = ""
    closed: bool = False  # the server closed the stream after this turn (transfer / hang-up)


@dataclass
class Rule:
    """When the agent's words match `pattern`, answer `say` (speech) or `dtmf` (keypad)."""

    pattern: str
    say: str | None = None
    dtmf: str | None = None
    once: bool = True

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.I) is not None


@dataclass
class Transcript:
    turns: list[tuple[str, str]] = field(default_factory=list)  # (role, text)


class CallerSimulator:
    def __init__(
        self,
        ws_url: str,
        *,
        call_sid: str | None = None,
        caller: str = "+15125550123",
        headers: dict[str, str] | None = None,
        voice: Any = None,
        listener: Listener | None = None,
        trailing_silence_ms: int = 1500,
        quiet_s: float = 0.6,
        parameters: dict[str, str] | None = None,
        voice_url: str | None = None,
        auth_token: str | None = None,
        ssl_context: Any = None,  # for wss:// and https:// with a private CA
    ) -> None:
        self.ws_url = ws_url
        # The `start`'s customParameters: given, or read from the server's incoming-call answer at
        # `voice_url` (as Twilio does; they carry the call's stream token).
        self.parameters = parameters
        self.voice_url = voice_url
        self.auth_token = auth_token
        self.ssl_context = ssl_context
        self.call_sid = call_sid or f"CA{uuid.uuid4().hex}"
        self.stream_sid = f"MZ{uuid.uuid4().hex}"
        self.caller = caller
        self.headers = headers or {}
        self._voice = voice
        self.listener = listener
        self.trailing_silence_ms = trailing_silence_ms
        self.quiet_s = quiet_s
        self.ws: Any = None
        self.seq = 0
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.transcript = Transcript()
        self.closed = False
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.auto_echo_marks = True

    @property
    def voice(self) -> Any:
        if self._voice is None:
            from hvac_agent.voice.tts.espeak import EspeakTTS

            self._voice = EspeakTTS(rate_wpm=150)
        return self._voice

    # ---- connection -----------------------------------------------------------------------------
    async def connect(self, *, encoding: str = "audio/x-mulaw", sample_rate_hz: int = 8000) -> None:
        import websockets

        if self.parameters is None and self.voice_url:
            from hvac_agent.telephony.dial_in import dial_in

            invite = await dial_in(
                self.voice_url,
                call_sid=self.call_sid,
                caller=self.caller,
                auth_token=self.auth_token,
                verify=self.ssl_context or True,
            )
            self.parameters = invite.parameters
        extra = {"ssl": self.ssl_context} if self.ssl_context is not None else {}
        self.ws = await websockets.connect(self.ws_url, additional_headers=self.headers, max_size=None, **extra)
        self._reader = asyncio.create_task(self._read())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send(
            {
                "event": "start",
                "sequenceNumber": str(self._next_seq()),
                "streamSid": self.stream_sid,
                "start": {
                    "accountSid": "ACsimulator",
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": self.parameters if self.parameters is not None else {"caller": self.caller},
                    "mediaFormat": {"encoding": encoding, "sampleRate": sample_rate_hz, "channels": 1},
                },
            }
        )

    async def __aenter__(self) -> CallerSimulator:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.hang_up()

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def send(self, message: dict[str, Any] | str) -> None:
        if self.closed:
            return
        text = message if isinstance(message, str) else json.dumps(message)
        try:
            await self.ws.send(text)
        except (ConnectionClosed, OSError):
            self.closed = True
        if isinstance(message, dict):
            self.sent.append({"event": message.get("event")})

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self.received.append(msg)
                if msg.get("event") == "mark" and self.auto_echo_marks:
                    await self.send(
                        {
                            "event": "mark",
                            "streamSid": self.stream_sid,
                            "sequenceNumber": str(self._next_seq()),
                            "mark": msg.get("mark", {}),
                        }
                    )
                await self._inbox.put(msg)
        except (ConnectionClosed, OSError):  # closed by the server
            pass
        finally:
            self.closed = True
            await self._inbox.put(None)

    async def hang_up(self) -> None:
        if self.ws is None:
            return
        if not self.closed:
            await self.send(
                {
                    "event": "stop",
                    "sequenceNumber": str(self._next_seq()),
                    "streamSid": self.stream_sid,
                    "stop": {"accountSid": "ACsimulator", "callSid": self.call_sid},
                }
            )
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait({self._reader}, timeout=5)
        self.closed = True

    # ---- audio out ------------------------------------------------------------------------------
    async def send_audio(self, ulaw: bytes, *, realtime: float = 0.0) -> None:
        """Send μ-law audio in 20 ms frames; `realtime` = 1.0 paces like a phone, 0 = flat out."""
        start = time.monotonic()
        for i, frame in enumerate(frames(ulaw, FRAME_SAMPLES)):
            await self.send(
                {
                    "event": "media",
                    "sequenceNumber": str(self._next_seq()),
                    "streamSid": self.stream_sid,
                    "media": {
                        "track": "inbound",
                        "chunk": str(self.seq),
                        "timestamp": str(i * 20),
                        "payload": b64encode(frame),
                    },
                }
            )
            if realtime > 0:
                delay = start + (i + 1) * 0.02 / realtime - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif i % 25 == 24:
                await asyncio.sleep(0)

    async def say(self, text: str, *, realtime: float = 0.0) -> None:
        audio = await asyncio.to_thread(self.voice.render, text)
        self.transcript.turns.append(("caller", text))
        await self.send_audio(silence(200) + audio + silence(self.trailing_silence_ms), realtime=realtime)

    async def press(self, digits: str) -> None:
        self.transcript.turns.append(("caller", f"<dtmf {digits}>"))
        for digit in digits:
            await self.send(
                {
                    "event": "dtmf",
                    "streamSid": self.stream_sid,
                    "sequenceNumber": str(self._next_seq()),
                    "dtmf": {"track": "inbound_track", "digit": digit},
                }
            )

    # ---- audio in -------------------------------------------------------------------------------
    async def listen(self, timeout_s: float = 30.0) -> AgentTurn:
        """Collect agent audio until an utterance's end mark came back and the line stays quiet,
        and make out what was said."""
        audio = bytearray()
        marks: list[str] = []
        closed = await self._collect(audio, marks, time.monotonic() + timeout_s, timeout_s)
        text = ""
        if self.listener is not None and audio:
            text = await self.listener(bytes(audio))
            if is_acknowledgement(text):
                text = ""  # the agent's filler while it works on the answer
        turn = AgentTurn(bytes(audio), marks, text=text, closed=closed)
        if turn.text or self.listener is None:  # an acknowledgement alone is not a turn
            self.transcript.turns.append(("agent", turn.text))
        return turn

    async def next_turn(self, timeout_s: float = 30.0) -> AgentTurn:
        """The agent's next turn with words (fillers alone are skipped), heard to its end: if the
        agent went on speaking while its words were being made out, it is let finish first."""
        turn = await self.listen(timeout_s)
        while not turn.text and not turn.closed:  # only an acknowledgement so far: keep listening
            turn = await self.listen(timeout_s)
        if not turn.closed and await self.wait_until_quiet(timeout_s):
            turn.closed = True
        return turn

    async def wait_until_quiet(self, timeout_s: float = 30.0) -> bool:
        """Before answering: if the agent went on speaking while its words were being made out
        (an "Okay." followed by the answer), let it finish — callers do not talk over a question.
        True if the server closed the stream meanwhile."""
        if self._inbox.empty():
            return False
        return await self._collect(bytearray(), [], time.monotonic() + timeout_s, timeout_s)

    async def _collect(self, audio: bytearray, marks: list[str], deadline: float, timeout_s: float) -> bool:
        """Add agent audio and marks until an end mark plus `quiet_s` of nothing; True if the
        server closed the stream."""
        ended = False
        while True:
            wait = self.quiet_s if ended else max(0.0, deadline - time.monotonic())
            try:
                msg = await asyncio.wait_for(self._inbox.get(), timeout=wait)
            except TimeoutError:
                if ended:
                    return False
                raise TimeoutError(f"agent said nothing within {timeout_s} s") from None
            if msg is None:
                return True
            if msg.get("event") == "media":
                payload = b64decode(msg.get("media", {}).get("payload", "")) or b""
                audio += payload
                ended = False
            elif msg.get("event") == "mark":
                name = str(msg.get("mark", {}).get("name", ""))
                marks.append(name)
                ended = name.endswith(":end")
            elif msg.get("event") == "clear":
                audio.clear()

    # ---- a whole conversation -------------------------------------------------------------------
    async def converse(self, rules: Sequence[Rule], *, max_turns: int = 30, realtime: float = 0.0) -> Transcript:
        """Listen, answer by the first matching rule, until the server ends the call."""
        used: set[int] = set()
        for _ in range(max_turns):
            turn = await self.next_turn()
            if turn.closed:
                break
            for i, rule in enumerate(rules):
                if (i in used and rule.once) or not rule.matches(turn.text):
                    continue
                used.add(i)
                if rule.dtmf:
                    await self.press(rule.dtmf)
                else:
                    await self.say(rule.say or "", realtime=realtime)
                break
            else:
                raise AssertionError(f"no scripted answer for: {turn.text!r}")
        return self.transcript


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", text.lower()))


_ACKNOWLEDGEMENTS = {_words(phrase) for phrase in ACK_PHRASES} | {"ok", "okay okay"}


def is_acknowledgement(text: str) -> bool:
    """Is `text` (as heard) only one of the agent's fillers ("Okay.", "One moment.")?"""
    return _words(text) in _ACKNOWLEDGEMENTS


def moonshine_listener() -> Listener:
    """Hear the agent with the offline recogniser (for CLI runs without access to the API)."""
    from hvac_agent.voice.codec import ulaw_decode
    from hvac_agent.voice.stt.moonshine import MoonshineSTT

    engine = MoonshineSTT()

    async def listen(audio: bytes) -> str:
        return await engine.transcribe(ulaw_decode(audio))

    return listen


def record_listener(base_url: str, call_sid: str, *, api_token: str | None = None) -> Listener:
    """Hear the agent by reading its new turns from the server's call record (`/api/calls/…`), for
    machines where the offline recogniser can't run. Words are the agent's own, not as heard."""
    import httpx

    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
    seen = 0

    async def listen(_audio: bytes) -> str:
        nonlocal seen
        async with httpx.AsyncClient(timeout=10.0, headers=headers) as client:
            response = await client.get(f"{base_url}/api/calls/{call_sid}")
        if response.status_code != 200:
            return ""
        said = [turn["text"] for turn in response.json().get("turns", []) if turn.get("role") == "agent"]
        new, seen = said[seen:], len(said)
        return " ".join(text for text in new if not is_acknowledgement(text))

    return listen


def choose_listener(
    stream_url: str, call_sid: str, *, api_token: str | None = None, note: Callable[[str], None] | None = None
) -> Listener:
    """The offline recogniser when it runs here, else the call record of the server called."""
    from hvac_agent.voice.errors import EngineUnavailable

    try:
        return moonshine_listener()
    except EngineUnavailable as error:
        message = f"offline recogniser unavailable ({error}): the agent's words are read from the call record"
        (note or (lambda text: print(text, file=sys.stderr)))(message)
    from hvac_agent.telephony.dial_in import voice_url_for

    base_url = voice_url_for(stream_url).split("/twilio/", 1)[0]
    return record_listener(base_url, call_sid, api_token=api_token)


async def run_script(
    url: str,
    lines: Sequence[str],
    *,
    auth_token: str | None = None,
    caller: str = "+15125550123",
    echo: Callable[[str], None] = print,
    api_token: str | None = None,
) -> list[tuple[str, str]]:
    """Call the server at `url` (ws:// or wss://) and say `lines` in turn, each after the agent has
    spoken; `dtmf:123` presses keys. The upgrade is signed like Twilio's when `auth_token` is given."""
    headers: dict[str, str] = {}
    if auth_token:
        from twilio.request_validator import RequestValidator

        headers["X-Twilio-Signature"] = RequestValidator(auth_token).compute_signature(url, {})
    transcript: list[tuple[str, str]] = []
    from hvac_agent.telephony.dial_in import voice_url_for

    call_sid = f"CA{uuid.uuid4().hex}"
    listener = choose_listener(url, call_sid, api_token=api_token)
    sim = CallerSimulator(
        url,
        caller=caller,
        headers=headers,
        listener=listener,
        quiet_s=1.0,
        voice_url=voice_url_for(url),
        auth_token=auth_token,
        call_sid=call_sid,
    )
    async with sim:
        for line in [*lines, None]:
            turn = await sim.next_turn(timeout_s=60)
            echo(f"agent: {turn.text}")
            transcript.append(("agent", turn.text))
            if turn.closed or line is None:
                break
            echo(f"caller: {line}")
            transcript.append(("caller", line))
            if line.startswith("dtmf:"):
                await sim.press(line[5:])
            else:
                await sim.say(line, realtime=1.0)
    return transcript


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m hvac_agent.tools.simulator ws://127.0.0.1:8000/twilio/stream "line one" "line two"`"""
    import sys

    args = list(argv if argv is not None else sys.argv[1:])
    if not args:
        print(main.__doc__)
        raise SystemExit(2)
    asyncio.run(run_script(args[0], args[1:]))


if __name__ == "__main__":
    main()
