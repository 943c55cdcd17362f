"""Two real instances behind a real nginx terminating TLS, on PostgreSQL and Redis (issue 12,
item 7): signed gather calls alternate between the instances, a media stream goes through the
proxy, and nothing that comes through the proxy counts as local."""

from __future__ import annotations

import asyncio
import re
import ssl
from pathlib import Path

import httpx
import pytest
import trustme
from twilio.request_validator import RequestValidator

from hvac_agent.tools.simulator import CallerSimulator
from tests.deploy.nginx import Nginx
from tests.e2e.scripts import COOPERATIVE, book_cooperatively
from tests.guard.conftest import fresh_number
from tests.support.server import ServerProcess, free_port
from tests.support.twilio_sim import TwilioCall

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
AUTH_TOKEN = "nginx-test-auth-token-0123456789ab"


def _turns_served(instance: ServerProcess) -> float:
    """Caller turns this instance handled (its own /metrics, asked directly)."""
    metrics = httpx.get(instance.base_url + "/metrics", timeout=10).text
    return sum(float(v) for v in re.findall(r"^hvac_turns_total\{[^}]*\} (\S+)$", metrics, re.M))


def _direct(instance: ServerProcess, path: str, **params: str) -> httpx.Response:
    """The office reading an instance straight from this host (loopback, no proxy)."""
    return httpx.get(instance.base_url + path, params=params, timeout=10)


def test_two_instances_behind_nginx_share_calls_and_carry_a_stream(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    for extra in issued.cert_chain_pems[1:]:
        extra.write_to_path(str(cert), append=True)
    issued.private_key_pem.write_to_path(str(key))
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)

    port = free_port()
    public = f"https://127.0.0.1:{port}"  # what Twilio calls and signs: nginx
    env = {
        "HVAC_DATABASE_URL": pg_url,
        "HVAC_REDIS_URL": redis_url,
        "HVAC_PUBLIC_URL": public,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HVAC_TRUSTED_PROXIES": "127.0.0.1",  # nginx, as deploy/compose.yaml names it
        "HVAC_STT_ENGINES": "fake",
        "HVAC_TTS_ENGINES": "fake",
        "HVAC_FAKE_TRANSCRIPT": "I want to talk to a representative",
        "HVAC_LOG_LEVEL": "WARNING",
    }
    instances = [ServerProcess(env, log_path=str(tmp_path / f"app{i}.log")) for i in (1, 2)]
    nginx = Nginx(
        tmp_path / "nginx", port=port, upstreams=[f"127.0.0.1:{i.port}" for i in instances], cert=cert, key=key
    )
    try:
        for instance in instances:
            instance.launch()
        for instance in instances:
            instance.wait()
        nginx.start(trusting)

        # Signed gather calls through nginx: round robin sends turn after turn to the other instance.
        before = [_turns_served(i) for i in instances]
        call_sids = []
        for caller in (fresh_number(), fresh_number()):
            with TwilioCall(public, AUTH_TOKEN, caller=caller, verify=trusting) as call:
                assert "You're all set" in book_cooperatively(call).text
                assert call.hang_up().status_code == 200
                call_sids.append(call.call_sid)
        served = [_turns_served(i) - b for i, b in zip(instances, before, strict=True)]
        assert sum(served) == 2 * (len(COOPERATIVE) + 1)
        assert min(served) >= len(COOPERATIVE) - 1, served  # both took turns of both calls
        for call_sid in call_sids:
            [booked] = _direct(instances[0], "/api/appointments", call_sid=call_sid).json()
            assert booked["customer_name"] == "Dana Kim" and booked["status"] == "booked"
            record = _direct(instances[1], f"/api/calls/{call_sid}").json()  # any instance sees every call
            assert record["outcome"] == "booked" and record["ended_at"] is not None
            assert [t["text"] for t in record["turns"] if t["role"] == "caller"] == [*COOPERATIVE, "yes"]

        # Through the proxy nobody is local, whatever they claim; forged webhooks are refused.
        with httpx.Client(base_url=public, verify=trusting, timeout=10) as outside:
            for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}, {"X-Real-IP": "127.0.0.1"}):
                assert outside.get("/api/appointments", headers=headers).status_code == 403
            assert outside.get("/health").json()["status"] == "ok"
            forged = outside.post(
                "/twilio/voice",
                data={"CallSid": "CAforged", "From": "+15125550123"},
                headers={"X-Twilio-Signature": "forged"},
            )
            assert forged.status_code == 403
            huge = outside.post(
                "/twilio/voice",
                content=b"a=" + b"x" * 100_000,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert huge.status_code == 413

        # A media stream through the proxy: wss upgrade signed on the public URL, the call's token
        # issued by whichever instance answered the webhook, checked by whichever carries the stream.
        with TwilioCall(public, AUTH_TOKEN, caller=fresh_number(), verify=trusting) as call:
            invite = call._post("/twilio/voice?mode=stream", {"CallStatus": "ringing"})
            assert invite.stream_url == f"wss://127.0.0.1:{port}/twilio/stream"
            assert invite.connect_action == f"{public}/twilio/stream-ended"
            signature = RequestValidator(AUTH_TOKEN).compute_signature(invite.stream_url, {})
            sim = CallerSimulator(
                invite.stream_url,
                call_sid=call.call_sid,
                caller=call.caller,
                headers={"X-Twilio-Signature": signature},
                parameters=invite.stream_parameters,
                ssl_context=trusting,
                quiet_s=0.3,
            )

            async def converse() -> None:
                async with sim:
                    assert (await sim.listen(timeout_s=30)).audio  # the greeting, over TLS
                    await sim.say("hello there")  # the fake recogniser hears a request for a person
                    while not (await sim.listen(timeout_s=30)).closed:
                        pass  # the server closes the stream to transfer

            asyncio.run(converse())
            after = call._post(invite.connect_action, {"CallStatus": "in-progress"})
            assert after.dial_numbers == ["+15125550100"]
        record = _direct(instances[0], f"/api/calls/{call.call_sid}").json()
        assert record["outcome"] == "transferred" and record["ended_at"] is not None
        assert record["turns"][1]["text"] == "I want to talk to a representative"
        access = (tmp_path / "nginx" / "access.log").read_text()
        assert '"GET /twilio/stream HTTP/1.1" 101' in access  # the upgrade went through nginx
    finally:
        nginx.stop()
        for instance in instances:
            instance.stop()
