"""Twilio's side of a stream-mode call's first step, for the caller simulator and tests.

When a call comes in, Twilio posts the signed incoming-call webhook, reads the `<Connect><Stream>`
we answer, and opens the stream with that `<Stream>`'s parameters echoed in `start` — the call's
token among them. A synthetic caller must do the same, or its `start` is (rightly) refused.
"""

from __future__ import annotations

import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx
from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class StreamInvite:
    """What the server's TwiML told Twilio to open: the stream URL and its parameters."""

    url: str
    parameters: dict[str, str] = field(default_factory=dict)


def voice_url_for(stream_url: str) -> str:
    """`wss://host/twilio/stream` → `https://host/twilio/voice?mode=stream`: the same server's
    incoming-call webhook, answering with a stream whatever its default mode."""
    scheme, sep, rest = stream_url.partition("://")
    http = {"wss": "https", "ws": "http"}.get(scheme, scheme)
    host, _, _ = rest.partition("/")
    return f"{http}{sep}{host}/twilio/voice?mode=stream"


def parse_stream(twiml: str) -> StreamInvite | None:
    """The `<Stream>` of a TwiML answer, or None when it has none (a gather-mode server)."""
    root = ET.fromstring(twiml)
    stream = root.find(".//Stream")
    if stream is None:
        return None
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    return StreamInvite(stream.get("url", ""), parameters)


async def dial_in(
    voice_url: str,
    *,
    call_sid: str,
    caller: str,
    auth_token: str | None = None,
    to: str = "+15125550199",
    verify: bool | str | ssl.SSLContext = True,
) -> StreamInvite:
    """Post the incoming-call webhook as Twilio does (signed when `auth_token` is given) and
    return the stream it answers with. Raises `ValueError` when it answers something else."""
    params = {
        "CallSid": call_sid,
        "From": caller,
        "To": to,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "AccountSid": "AC" + "0" * 32,
    }
    headers = {}
    if auth_token:
        headers["X-Twilio-Signature"] = RequestValidator(auth_token).compute_signature(voice_url, params)
    async with httpx.AsyncClient(timeout=20, verify=verify) as client:
        response = await client.post(voice_url, data=params, headers=headers)
    response.raise_for_status()
    invite = parse_stream(response.text)
    if invite is None:
        raise ValueError(f"{voice_url} answered without a <Stream> (is HVAC_VOICE_MODE=stream?): {response.text}")
    return invite
