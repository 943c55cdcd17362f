"""Visible failures (issue 16 item 5): an expected outage is logged by its class and counted; a bug
is logged with its traceback and counted as unexpected; the caller is never dropped either way."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hvac_agent.booking.errors import BookingUnavailable
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.state import CallState, Event, Reply
from tests.guard.conftest import ServerFactory


class BuggyAgent:
    name = "rules"

    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: Any
    ) -> tuple[CallState, Reply]:
        if event.kind != "call_started":
            raise TypeError("respond() got an unexpected keyword argument 'slots'")
        return state, Reply(say="Hello, I'm a virtual assistant. How can I help?")


class FailingRecords:
    """The real call records, except that a whole turn's write fails with `error`."""

    def __init__(self, inner: Any, error: Exception) -> None:
        self.inner = inner
        self.error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def record_turn(self, call_sid: str, **_: Any) -> None:
        raise self.error


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _events(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def test_a_bug_in_the_dialogue_is_logged_with_its_traceback_and_counted(
    guard_server: ServerFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    with guard_server(configure_logs=True, log_level="INFO") as server:
        server.services.calls.agent = BuggyAgent()
        with server.call() as call:
            call.start()
            answer = call.say("my heater is broken")
        assert answer.dial_numbers == ["+15125550100"]  # handed to a person, no 5xx
        metrics = server.metrics()
    assert _metric(metrics, 'hvac_unexpected_errors_total{where="webhook"}') == 1
    failed = [e for e in _events(capfd.readouterr().err) if e.get("event") == "turn_failed"]
    assert failed and "TypeError" in failed[0]["exception"] and "Traceback" in failed[0]["exception"]


@pytest.mark.parametrize(
    ("error", "unexpected", "database_errors"),
    # Two whole-turn writes fail: the greeting's (written with the call's start) and the caller's turn.
    [(TypeError("bad argument"), 2, 0), (BookingUnavailable("record_turn: database unavailable"), 0, 2)],
    ids=["bug", "outage"],
)
def test_a_failed_record_write_never_breaks_the_call_and_shows(
    guard_server: ServerFactory,
    capfd: pytest.CaptureFixture[str],
    error: Exception,
    unexpected: int,
    database_errors: int,
) -> None:
    with guard_server(configure_logs=True, log_level="INFO") as server:
        calls = server.services.calls
        calls.records = FailingRecords(calls.records, error)
        with server.call() as call:
            call.start()
            answer = call.say("my heater is broken")
            assert answer.gather_action is not None and not answer.dial_numbers  # the call goes on
        metrics = server.metrics()
    assert _metric(metrics, 'hvac_unexpected_errors_total{where="call_record"}') == unexpected
    assert _metric(metrics, 'hvac_provider_errors_total{provider="database"}') == database_errors
    events = _events(capfd.readouterr().err)
    bugs = [e for e in events if e.get("event") == "call_record_write_bug"]
    outages = [e for e in events if e.get("event") == "call_record_write_failed"]
    if unexpected:
        assert bugs and "TypeError: bad argument" in bugs[0]["exception"] and not outages
    else:
        assert outages and outages[0]["error"] == "BookingUnavailable" and not bugs
        assert "exception" not in outages[0]  # an expected outage is no stack trace


def test_a_record_batch_that_fails_behind_the_turn_is_logged_and_counted(
    guard_server: ServerFactory, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The real records, their table broken under the running server: the grouped write that holds
    the caller's turn fails, the call goes on, and the failure shows in the log and the metrics."""
    with guard_server(configure_logs=True, log_level="INFO") as server:
        with server.call() as call:
            call.start()
            with sqlite3.connect(tmp_path / "hvac.db") as db:
                db.execute("ALTER TABLE call_turns RENAME TO call_turns_gone")
            answer = call.say("my heater is broken")
            assert answer.gather_action is not None and not answer.dial_numbers  # the call goes on
        metrics = server.metrics()
    failed = _metric(metrics, 'hvac_unexpected_errors_total{where="call_record"}') + _metric(
        metrics, 'hvac_provider_errors_total{provider="database"}'
    )
    assert failed >= 1
    assert "call records not written" in capfd.readouterr().err
