"""Bounded resources (issue 12, item 4), through real servers: metric labels, request bodies,
concurrent streams, and new calls per number."""

from __future__ import annotations

import asyncio
import re
import socket
import time
import uuid

import httpx
import pytest
import websockets

from hvac_agent.guard.call_limit import limit_message
from tests.guard.conftest import TOKEN, GuardServer, ServerFactory, fresh_number
from tests.support.twilio_sim import TwilioCall


# ---- metric labels ---------------------------------------------------------------------------
def _series(metrics: str) -> list[str]:
    """Each sample's name and labels, without its value."""
    return [line.rsplit(" ", 1)[0] for line in metrics.splitlines() if line and not line.startswith("#")]


def _junk(base_url: str, paths: list[str]) -> None:
    """Request every path, pipelined on one connection (the client costs next to nothing): forged
    webhooks under /twilio/, plain GETs elsewhere. All are refused or not found."""
    host, port = base_url.removeprefix("http://").split(":")
    requests = []
    for i, path in enumerate(paths):
        connection = b"close" if i == len(paths) - 1 else b"keep-alive"
        if path.startswith("/twilio/"):
            requests.append(
                b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: %s\r\nContent-Type: "
                b"application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\nCallSid=CAjunk"
                % (path.encode(), connection)
            )
        else:
            requests.append(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: %s\r\n\r\n" % (path.encode(), connection))
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(b"".join(requests))
        answers = b"".join(iter(lambda: sock.recv(65536), b""))
    statuses = re.findall(rb"HTTP/1.1 (\d{3})", answers)
    assert len(statuses) == len(paths) and set(statuses) <= {b"403", b"404"}, set(statuses)


def test_ten_thousand_junk_paths_leave_metrics_the_same_size(guard_server: ServerFactory) -> None:
    with guard_server() as server:
        kinds = ["/twilio/junk-{}", "/junk/{}", "/api/junk-{}", "/twilio/gather/{}"]
        _junk(server.base_url, [k.format("warm-up") for k in kinds])  # every label that will exist, exists
        before = server.metrics()
        _junk(server.base_url, [kinds[i % 4].format(uuid.uuid4().hex) for i in range(10_000)])
        after = server.metrics()
    assert _series(after) == _series(before)
    assert abs(len(after) - len(before)) < 100  # only the counts' digits grew
    assert 'hvac_webhook_rejected_total{path="unmatched"} 5002.0' in after  # labelled, never by raw path
    assert "junk" not in after


def test_a_rejected_route_is_labelled_by_its_template(guard_server: ServerFactory) -> None:
    with guard_server() as server:
        assert httpx.post(server.voice_url + "?x=1", data={"CallSid": "CA1"}).status_code == 403
        metrics = server.metrics()
    assert 'hvac_webhook_rejected_total{path="/twilio/voice"} 1.0' in metrics


# ---- request bodies --------------------------------------------------------------------------
@pytest.mark.parametrize("auth_token", [TOKEN, None], ids=["signed", "unsigned"])
def test_webhooks_take_form_bodies_only(guard_server: ServerFactory, auth_token: str | None) -> None:
    """A multipart or JSON body was checked as if it had no fields, then read by the handler: a
    signature for the bare URL let any fields through. Now it is refused before either."""
    with guard_server(twilio_auth_token=auth_token) as server, server.call(caller=fresh_number()) as call:
        url = server.voice_url
        bare_signature = call.sign(url, {}) if auth_token else ""
        fields = {"CallSid": call.call_sid, "From": call.caller}
        multipart = httpx.post(
            url, files={k: (None, v) for k, v in fields.items()}, headers={"X-Twilio-Signature": bare_signature}
        )
        as_json = httpx.post(url, json=fields, headers={"X-Twilio-Signature": bare_signature})
        for response in (multipart, as_json):
            assert response.status_code == 415, response.text
            assert "application/x-www-form-urlencoded" in response.json()["detail"]
        assert server.get(f"/api/calls/{call.call_sid}").status_code == 404  # nothing happened
        assert call.start().gather_action  # a form post with charset is fine
        assert 'hvac_requests_refused_total{reason="not_form"} 2.0' in server.metrics()


@pytest.mark.parametrize("auth_token", [TOKEN, None], ids=["signed", "unsigned"])
def test_oversize_bodies_get_413_whether_or_not_signatures_are_checked(
    guard_server: ServerFactory, auth_token: str | None
) -> None:
    with (
        guard_server(twilio_auth_token=auth_token, max_body_bytes=4096) as server,
        server.call(caller=fresh_number()) as call,
    ):
        big = {"CallSid": call.call_sid, "From": call.caller, "SpeechResult": "x" * 5000}
        declared = call.post_raw("/twilio/voice", big)
        assert declared.status_code == 413, declared.text

        def chunks() -> object:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"SpeechResult=" + b"y" * 1000 + b"&"

        chunked = httpx.post(
            server.voice_url,
            content=chunks(),  # type: ignore[arg-type]
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert chunked.status_code == 413
        assert server.get(f"/api/calls/{call.call_sid}").status_code == 404
        assert call.start().gather_action  # an ordinary webhook still works
        assert 'hvac_requests_refused_total{reason="body_too_large"} 2.0' in server.metrics()


def test_a_slow_body_times_out_without_holding_up_anyone(guard_server: ServerFactory) -> None:
    with guard_server(body_timeout_s=0.5) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(
                b"POST /twilio/voice HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nCallSid=CA"
            )
            started = time.monotonic()
            with server.call(caller=fresh_number()) as call:
                assert call.start().gather_action  # others are served meanwhile
            answer = slow.recv(4096)
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert 0.3 < waited < 5
        assert 'hvac_requests_refused_total{reason="body_timeout"} 1.0' in server.metrics()


# ---- concurrent streams ----------------------------------------------------------------------
async def test_streams_beyond_the_cap_are_refused_until_one_ends(guard_server: ServerFactory) -> None:
    with guard_server(voice_mode="stream", max_streams=2) as server:
        first, second = server.simulator(), server.simulator()
        async with first, second:
            assert (await first.listen(timeout_s=20)).audio and (await second.listen(timeout_s=20)).audio
            turned_away = server.simulator()
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                await turned_away.connect()
            assert refused.value.response.status_code == 403
            # Twilio then posts the <Connect> action: the call goes to a person, not into silence.
            with server.call(call_sid=turned_away.call_sid) as call:
                after = await asyncio.to_thread(call._post, "/twilio/stream-ended", {"CallStatus": "in-progress"})
            assert after.dial_numbers == ["+15125550100"] and "lines are busy" in after.text
            health = (await asyncio.to_thread(server.get, "/health")).json()
            assert health["metrics"]["streams"] == 2
        for _ in range(200):  # both hung up: their slots come free as the server sees the sockets close
            if (await asyncio.to_thread(server.get, "/health")).json()["metrics"]["streams"] == 0:
                break
            await asyncio.sleep(0.05)
        async with server.simulator() as third:
            assert (await third.listen(timeout_s=20)).audio
        metrics = await asyncio.to_thread(server.metrics)
        assert 'hvac_requests_refused_total{reason="stream_cap"} 1.0' in metrics


# ---- new calls per number --------------------------------------------------------------------
def _is_turned_away(server: GuardServer, call: TwilioCall) -> bool:
    answer = call.start()
    if answer.hangup and not answer.gather_action:
        assert answer.text == limit_message(server.services.profile)
        assert "911" in answer.text and "try again" in answer.text
        return True
    assert answer.gather_action or answer.stream_url, answer.xml
    return False


def test_new_calls_from_one_number_are_limited_with_a_polite_answer(guard_server: ServerFactory) -> None:
    number = fresh_number()
    with guard_server(calls_per_number=2) as server:
        calls = [server.call(caller=number) for _ in range(3)]
        assert [_is_turned_away(server, c) for c in calls] == [False, False, True]
        retried = calls[0].retry_last()  # Twilio retrying the first call's webhook: not a new call
        assert retried.status_code == 200 and "<Gather" in retried.text
        assert server.get(f"/api/calls/{calls[2].call_sid}").status_code == 404  # nothing started
        with server.call(caller=fresh_number()) as other:
            assert not _is_turned_away(server, other)  # other numbers are not affected
        server.clock.advance(server.settings.calls_per_number_window_s)
        with server.call(caller=number) as later:
            assert not _is_turned_away(server, later)  # the next window
        assert 'hvac_requests_refused_total{reason="call_limit"} 1.0' in server.metrics()
        for call in calls:
            call.close()


@pytest.mark.redis
def test_the_limit_holds_across_instances_sharing_redis(guard_server: ServerFactory, redis_url: str) -> None:
    number = fresh_number()
    with (
        guard_server(calls_per_number=3, redis_url=redis_url) as first,
        guard_server(calls_per_number=3, redis_url=redis_url) as second,
    ):
        servers = [first, second, first, second]
        turned_away = []
        for server in servers:
            with server.call(caller=number) as call:
                turned_away.append(_is_turned_away(server, call))
        assert turned_away == [False, False, False, True]


def test_stream_mode_answers_the_limit_with_the_same_polite_twiml(guard_server: ServerFactory) -> None:
    number = fresh_number()
    with guard_server(voice_mode="stream", calls_per_number=1) as server:
        with server.call(caller=number) as allowed, server.call(caller=number) as over:
            assert allowed.start().stream_url == server.ws_url
            assert _is_turned_away(server, over)
            assert not re.search(r"<Stream", over.last.xml if over.last else "")
