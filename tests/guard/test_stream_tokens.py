"""Per-call stream tokens (issue 12, item 2): a `start` must belong to its call.

The upgrade signature is the same for every call, so a captured one must not let anyone open a
stream as another call or another caller: the `<Stream>` parameters carry the call SID, the caller
and an HMAC token, and a `start` that does not match them is closed before any dialogue runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import pytest
import websockets
from hypothesis import given
from hypothesis import strategies as st

from hvac_agent.telephony.dial_in import dial_in
from hvac_agent.telephony.stream_token import TOKEN_TTL_S, start_refusal, stream_parameters
from tests.guard.conftest import NOW, GuardServer, ServerFactory

SECRET = b"unit-test-secret"


# ---- the pure check --------------------------------------------------------------------------
def test_a_start_with_its_own_parameters_is_admitted_and_any_change_is_refused() -> None:
    issued = stream_parameters(SECRET, "CAone", "+15125550123", NOW)
    assert start_refusal(SECRET, "CAone", issued, NOW) is None
    assert start_refusal(SECRET, "CAtwo", issued, NOW) == "call_sid_mismatch"
    assert start_refusal(SECRET, "CAtwo", {**issued, "call_sid": "CAtwo"}, NOW) == "token_mismatch"
    assert start_refusal(SECRET, "CAone", {**issued, "caller": "+15125559999"}, NOW) == "token_mismatch"
    assert start_refusal(SECRET, "CAone", {**issued, "token": ""}, NOW) == "no_token"
    assert start_refusal(SECRET, "CAone", {"caller": "+15125550123"}, NOW) == "call_sid_mismatch"
    assert start_refusal(b"another-secret", "CAone", issued, NOW) == "token_mismatch"
    later = NOW + dt.timedelta(seconds=TOKEN_TTL_S + 1)
    assert start_refusal(SECRET, "CAone", issued, later) == "token_expired"
    expires, _, mac = issued["token"].partition(".")
    extended = {**issued, "token": f"{int(expires) + 3600}.{mac}"}  # pushing the expiry breaks the MAC
    assert start_refusal(SECRET, "CAone", extended, NOW) == "token_mismatch"


@given(caller=st.text(max_size=40), call_sid=st.text(min_size=1, max_size=40))
def test_any_caller_text_round_trips_through_twiml_cleaning(caller: str, call_sid: str) -> None:
    """The caller is signed as the TwiML carries it, so Twilio's echo always verifies."""
    issued = stream_parameters(SECRET, call_sid, caller, NOW)
    assert start_refusal(SECRET, call_sid, issued, NOW) is None


# ---- through the real server -----------------------------------------------------------------
async def _open(server: GuardServer, call_sid: str, parameters: dict[str, str]) -> Any:
    """A signed upgrade (as captured from any call), then `connected` and a `start`."""
    ws = await websockets.connect(server.ws_url, additional_headers=server.signed_upgrade())
    stream_sid = f"MZ{uuid.uuid4().hex}"
    await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    await ws.send(
        json.dumps(
            {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": stream_sid,
                "start": {
                    "streamSid": stream_sid,
                    "callSid": call_sid,
                    "customParameters": parameters,
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )
    )
    return ws


async def _first_reply(ws: Any) -> dict[str, Any] | int:
    """The server's first frame (admitted: the greeting's audio), or its close code (refused)."""
    try:
        return json.loads(await asyncio.wait_for(ws.recv(), timeout=20))  # type: ignore[no-any-return]
    except websockets.exceptions.ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code
    finally:
        await ws.close()


async def _invite(server: GuardServer, call_sid: str, caller: str = "+15125550123") -> dict[str, str]:
    """What Twilio gets from `/twilio/voice` for this call: the `<Stream>`'s parameters."""
    invite = await dial_in(
        server.voice_url, call_sid=call_sid, caller=caller, auth_token=server.settings.twilio_auth_token
    )
    assert invite.url == server.ws_url
    return invite.parameters


def _status(server: GuardServer, call_sid: str) -> int:
    return server.get(f"/api/calls/{call_sid}").status_code


async def test_a_replayed_start_for_another_call_or_caller_is_refused(guard_server: ServerFactory) -> None:
    with guard_server(voice_mode="stream") as server:
        victim, attacker = f"CA{uuid.uuid4().hex}", f"CA{uuid.uuid4().hex}"
        captured = await _invite(server, victim)
        assert set(captured) == {"call_sid", "caller", "token"} and captured["caller"] == "+15125550123"

        replayed_for_another_call = await _open(server, attacker, captured)
        assert await _first_reply(replayed_for_another_call) == 1008
        forged_caller = await _open(server, victim, {**captured, "caller": "+15125559876"})
        assert await _first_reply(forged_caller) == 1008
        no_token = await _open(server, attacker, {"caller": "+15125559876"})
        assert await _first_reply(no_token) == 1008
        # nothing reached the dialogue: no call record, no greeting, no call counted
        assert _status(server, attacker) == 404 and _status(server, victim) == 404
        metrics = server.metrics()
        assert 'hvac_requests_refused_total{reason="stream_token"} 3.0' in metrics
        assert 'hvac_calls_total{mode="stream"}' not in metrics

        genuine = await _open(server, victim, captured)
        first = await _first_reply(genuine)
        assert isinstance(first, dict) and first["event"] == "media"  # the greeting plays
        await asyncio.sleep(0.3)
        assert _status(server, victim) == 200


async def test_an_expired_token_is_refused(guard_server: ServerFactory) -> None:
    with guard_server(voice_mode="stream") as server:
        call_sid = f"CA{uuid.uuid4().hex}"
        parameters = await _invite(server, call_sid)
        server.clock.advance(TOKEN_TTL_S + 1)
        assert await _first_reply(await _open(server, call_sid, parameters)) == 1008
        assert _status(server, call_sid) == 404


async def test_instances_with_one_auth_token_agree_on_tokens_without_sharing_a_store(
    guard_server: ServerFactory, tmp_path: Any
) -> None:
    """Derived from TWILIO_AUTH_TOKEN: any instance verifies any other's token."""
    with (
        guard_server(voice_mode="stream", session_db_path=str(tmp_path / "a.db")) as first,
        guard_server(voice_mode="stream", session_db_path=str(tmp_path / "b.db")) as second,
    ):
        call_sid = f"CA{uuid.uuid4().hex}"
        parameters = await _invite(first, call_sid)
        reply = await _first_reply(await _open(second, call_sid, parameters))
        assert isinstance(reply, dict) and reply["event"] == "media"
    with guard_server(voice_mode="stream", twilio_auth_token="another-account-token-0123456789") as other:
        call_sid = f"CA{uuid.uuid4().hex}"
        foreign = stream_parameters(b"not-this-servers-secret", call_sid, "+15125550123", NOW)
        assert await _first_reply(await _open(other, call_sid, foreign)) == 1008


@pytest.mark.parametrize("shared_store", ["embedded", "redis"])
async def test_without_an_auth_token_the_secret_is_kept_in_the_shared_store(
    guard_server: ServerFactory, shared_store: str, request: pytest.FixtureRequest
) -> None:
    """No configured secret to derive from: the first instance generates one in the session store
    every worker shares, and the others use it."""
    extra: dict[str, object] = {"voice_mode": "stream", "twilio_auth_token": None}
    if shared_store == "redis":
        extra["redis_url"] = request.getfixturevalue("redis_url")
    with guard_server(**extra) as first, guard_server(**extra) as second:
        call_sid = f"CA{uuid.uuid4().hex}"
        parameters = await _invite(first, call_sid)
        reply = await _first_reply(await _open(second, call_sid, parameters))
        assert isinstance(reply, dict) and reply["event"] == "media"
        other_sid = f"CA{uuid.uuid4().hex}"
        assert await _first_reply(await _open(second, other_sid, {**parameters, "call_sid": other_sid})) == 1008
