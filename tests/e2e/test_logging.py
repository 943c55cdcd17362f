"""Logs from a real server process: JSON lines, `call_sid` on every line of a call, PII redacted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import AUTH_TOKEN
from tests.e2e.scripts import book_cooperatively
from tests.support.server import ServerProcess
from tests.support.twilio_sim import TwilioCall

pytestmark = pytest.mark.slow


def _run_call(tmp_path: Path, **env: str) -> tuple[str, list[dict[str, object]]]:
    log_path = tmp_path / "server.log"
    server = ServerProcess(
        {
            "HVAC_DATABASE_URL": f"sqlite:///{tmp_path / 'hvac.db'}",
            "HVAC_SESSION_DB": str(tmp_path / "sessions.db"),
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "HVAC_LOG_LEVEL": "INFO",
            **env,
        },
        log_path=str(log_path),
    )
    server.start()
    try:
        with TwilioCall(server.base_url, AUTH_TOKEN) as call:
            book_cooperatively(call)
            call.hang_up()
    finally:
        server.stop()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    return call.call_sid, lines


def test_call_logs_are_json_with_call_sid_and_no_personal_data(tmp_path: Path) -> None:
    call_sid, lines = _run_call(tmp_path)
    of_call = [line for line in lines if line.get("call_sid") == call_sid]
    assert len(of_call) >= 9  # start, every turn, end
    assert {line["event"] for line in of_call} >= {"call_started", "turn", "call_ended"}
    assert all(line.get("call_sid") == call_sid for line in lines if line["event"] == "turn")
    text = "\n".join(json.dumps(line) for line in lines).lower()
    text = re.sub(r"ca[0-9a-f]{32}|\d{4}-\d\d-\d\dt[\d:.]+z", "", text)  # SIDs and times may hold "4410" by chance
    for secret in ("5125550123", "555 0123", "dana", "kim", "duval", "4410"):
        assert secret not in text, secret


def test_log_pii_shows_personal_data_for_local_debugging(tmp_path: Path) -> None:
    _, lines = _run_call(tmp_path, HVAC_LOG_PII="1")
    text = "\n".join(json.dumps(line) for line in lines).lower()
    assert "dana kim" in text and "duval" in text
