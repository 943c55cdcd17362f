"""Proxy-aware, spoof-proof edges (issue 12, item 3), through real servers.

`/api/*` and `/console` without a token answer loopback clients only, judged on the socket's real
peer — never on forwarded headers, whoever sends them; forwarded headers are believed only from
`HVAC_TRUSTED_PROXIES`. (A server bound beyond loopback without a token refuses them outright:
tests/deploy/test_container.py runs the image's command, bound to 0.0.0.0, and checks it.)
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from hvac_agent.guard.access import NOT_LOCAL
from tests.conftest import IN_CI
from tests.guard.conftest import ServerFactory

FORGED_LOCAL = [
    {"X-Forwarded-For": "127.0.0.1"},
    {"X-Forwarded-For": "127.0.0.1, 127.0.0.1"},
    {"Forwarded": "for=127.0.0.1;proto=https"},
    {"X-Real-IP": "127.0.0.1"},
]


def outside_address() -> str:
    """An address of this machine that is not loopback: connecting to it, our peer is not local."""
    candidates = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for target in ("192.0.2.1", "10.255.255.255", "198.51.100.1"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))  # picks the route; sends nothing
                candidates.add(probe.getsockname()[0])
        except OSError:
            continue
    usable = sorted(a for a in candidates if not a.startswith("127.") and a != "0.0.0.0")
    if not usable:
        message = "this machine has no non-loopback IPv4 address to test an outside client with"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return usable[0]


def _detail(response: httpx.Response) -> str:
    return str(response.json()["detail"])


def test_a_forwarded_127_0_0_1_from_outside_gets_no_data(guard_server: ServerFactory) -> None:
    address = outside_address()
    with guard_server(host=address) as server:
        with server.call(caller="+15125550123") as call:  # there is data to steal
            call.start()
        assert server.base_url.startswith(f"http://{address}:")
        for headers in [{}, *FORGED_LOCAL]:
            for path in ("/api/appointments", f"/api/calls/{call.call_sid}", "/console"):
                response = server.get(path, headers=headers)
                assert response.status_code == 403, (path, headers, response.text)
                assert _detail(response) == NOT_LOCAL
                assert call.call_sid not in response.text
    # The outside peer declared a trusted proxy: still, a forwarded header never makes a request local.
    with guard_server(host=address, trusted_proxies=address) as server:
        for headers in FORGED_LOCAL:
            assert server.get("/api/appointments", headers=headers).status_code == 403


def test_a_proxy_on_this_host_does_not_make_its_clients_local(guard_server: ServerFactory) -> None:
    with guard_server(trusted_proxies="127.0.0.1") as server:
        assert server.get("/api/appointments").json() == []  # a local operator, straight to the socket
        for headers in [*FORGED_LOCAL, {"X-Forwarded-For": "203.0.113.9"}]:
            response = server.get("/api/appointments", headers=headers)
            assert response.status_code == 403 and _detail(response) == NOT_LOCAL, headers
        assert server.get("/health").status_code == 200  # health and webhooks are not office data


def test_forwarded_clients_are_believed_from_trusted_proxies_only(
    guard_server: ServerFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    """The client a log line names: the forwarded one from a trusted proxy (the rightmost address
    it did not add itself), the socket's peer from anyone else."""
    forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Twilio-Signature": "forged"}
    form = {"CallSid": "CAforged", "From": "+15125550123"}
    with guard_server(trusted_proxies="127.0.0.1", configure_logs=True) as server:
        assert httpx.post(server.voice_url, data=form, headers=forged).status_code == 403
    with guard_server(configure_logs=True) as server:
        assert httpx.post(server.voice_url, data=form, headers=forged).status_code == 403
    rejected = [
        json.loads(line)
        for line in capfd.readouterr().err.splitlines()
        if line.startswith("{") and "twilio_signature_rejected" in line
    ]
    assert [line["client"] for line in rejected] == ["203.0.113.9", "127.0.0.1"]
