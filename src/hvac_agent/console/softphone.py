"""The browser softphone: a WebSocket carrying Twilio's media-stream events, served by the very
session and pipeline that serve `WS /twilio/stream`.

The browser speaks the Twilio protocol (μ-law 8 kHz `media` frames, `mark` echoes once played,
`dtmf`, `stop`); the server names the call — its SID and caller ID come from here, never from
the browser's `start` — so a console user cannot write into another call. Access is the
console's (session cookie, token or loopback), never the Twilio signature.
"""

from __future__ import annotations

import uuid
from collections.abc import Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, WebSocket

from hvac_agent.analytics.facts import SOFTPHONE_PREFIX
from hvac_agent.calls import caller_id_e164
from hvac_agent.console.access import check_access
from hvac_agent.observability.logging import get_logger
from hvac_agent.services import services
from hvac_agent.telephony.media_stream import MediaStreamSession, pump

log = get_logger("hvac_agent.console.softphone")
router = APIRouter()
SOFTPHONE_PATH = "/console/softphone/ws"


def own_start(data: str | bytes, call_sid: str, caller: str | None) -> str | bytes:
    """A `start` frame rewritten to name this server's call; every other frame as it came."""
    if b'"start"' not in (data.encode() if isinstance(data, str) else data):
        return data  # the hot path (media, 50 a second) is never parsed twice
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data
    if not isinstance(message, dict) or message.get("event") != "start":
        return data
    given = message.get("start")
    body: dict[str, Any] = given if isinstance(given, dict) else {}
    body["callSid"] = call_sid
    body["customParameters"] = {"caller": caller or "", "channel": "softphone"}
    message["start"] = body
    return orjson.dumps(message)


@router.websocket(SOFTPHONE_PATH)
async def softphone(websocket: WebSocket) -> None:
    try:
        check_access(websocket)
    except HTTPException as refused:
        log.warning("softphone_refused", status=refused.status_code)
        await websocket.close(code=1008)  # before accept: the upgrade is answered 403
        return
    await websocket.accept()
    wiring = services(websocket).stream
    try:
        voice = await wiring.voice.get()
    except Exception:
        log.exception("softphone_engines_unavailable")
        await websocket.close(code=1011)
        return
    call_sid = SOFTPHONE_PREFIX + uuid.uuid4().hex
    caller = caller_id_e164(websocket.query_params.get("caller"))
    await websocket.send_text(orjson.dumps({"event": "softphone", "callSid": call_sid}).decode())
    closed = False

    async def close_socket() -> None:
        nonlocal closed
        if not closed:
            closed = True
            await websocket.close(code=1000)

    session = MediaStreamSession(
        websocket.send_text,
        wiring.responder,
        voice,
        close_socket=close_socket,
        clock=wiring.clock,
        stats=wiring.stats,
        config=wiring.config,
    )

    def feed(data: str | bytes) -> Coroutine[Any, Any, None] | None:
        return session.feed(own_start(data, call_sid, caller))

    log.info("softphone_call", call_sid=call_sid)
    await pump(session, websocket.receive, feed)
