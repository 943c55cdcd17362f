"""Twilio Media Streams messages: parse inbound JSON into small typed frames, build outbound JSON.

Pure and defensive: anything malformed parses to `None` (the edge logs and ignores it).
Inbound JSON is read with orjson: at 50 messages a second per call, `json.loads` alone was a
tenth of a busy process's time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from hvac_agent.voice.codec import b64decode, b64encode


@dataclass(frozen=True)
class Connected:
    protocol: str = ""


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    custom: dict[str, str] = field(default_factory=dict)
    encoding: str = "audio/x-mulaw"
    sample_rate_hz: int = 8000
    channels: int = 1


@dataclass(slots=True)
class Media:
    payload: bytes
    sequence: int | None
    timestamp_ms: int | None
    track: str = "inbound"


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Stop:
    call_sid: str = ""


Inbound = Connected | Start | Media | Mark | Dtmf | Stop


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def parse(text: str | bytes) -> Inbound | None:
    try:
        msg = orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        return None
    if not isinstance(msg, dict):
        return None
    event = msg.get("event")
    body = msg.get(event) if isinstance(event, str) else None
    body = body if isinstance(body, dict) else {}
    if event == "connected":
        return Connected(str(msg.get("protocol", "")))
    if event == "start":
        stream_sid = msg.get("streamSid") or body.get("streamSid")
        call_sid = body.get("callSid")
        if not isinstance(stream_sid, str) or not isinstance(call_sid, str) or not call_sid:
            return None
        fmt_raw, custom_raw = body.get("mediaFormat"), body.get("customParameters")
        fmt: dict[str, Any] = fmt_raw if isinstance(fmt_raw, dict) else {}
        custom: dict[str, Any] = custom_raw if isinstance(custom_raw, dict) else {}
        return Start(
            stream_sid=stream_sid,
            call_sid=call_sid,
            custom={str(k): str(v) for k, v in custom.items()},
            encoding=str(fmt.get("encoding", "audio/x-mulaw")),
            sample_rate_hz=_int(fmt.get("sampleRate")) or 8000,
            channels=_int(fmt.get("channels")) or 1,
        )
    if event == "media":  # the hot path: 50 a second per call
        payload = body.get("payload")
        if not isinstance(payload, str):
            return None
        data = b64decode(payload)
        if data is None:
            return None
        seq = msg.get("sequenceNumber")
        track = body.get("track", "inbound")
        return Media(data, _int(seq) if seq is not None else None, None, track if isinstance(track, str) else "inbound")
    if event == "mark":
        name = body.get("name")
        return Mark(name) if isinstance(name, str) else None
    if event == "dtmf":
        digit = body.get("digit")
        return Dtmf(digit) if isinstance(digit, str) and len(digit) == 1 and digit in "0123456789*#" else None
    if event == "stop":
        return Stop(str(body.get("callSid", "")))
    return None


def media_message(stream_sid: str, ulaw: bytes) -> str:
    # Hand-built: this runs 50 times a second per call, json.dumps of a dict is 3x slower.
    return f'{{"event":"media","streamSid":{json.dumps(stream_sid)},"media":{{"payload":"{b64encode(ulaw)}"}}}}'


def mark_message(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
