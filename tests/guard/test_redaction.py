"""Redaction everywhere (issue 12, item 6): personal data stays out of the logs even when it rides
in an exception's message, a chained cause, a traceback, or the standard library's own records."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from hvac_agent.dialogue.agent import RulesAgent
from hvac_agent.dialogue.context import DialogueContext
from hvac_agent.dialogue.state import CallState, Event, Reply
from hvac_agent.observability.logging import (
    bind_call,
    configure_logging,
    format_exception,
    get_logger,
    note_personal,
    scrub_message,
)
from tests.e2e.scripts import COOPERATIVE
from tests.guard.conftest import GuardServer, ServerFactory

# (Digits alone, like the house number, would also match call SIDs and timestamps by chance.)
PERSONAL = ("dana", "kim", "duval", "4410 d", "5125550123", "512-555-0123", "555-0123", "(512) ")


class LeakyAgent:
    """The rules agent until the caller has given a name and a street; then it fails the way real
    code does, with the caller's data in its message and in the cause it chains."""

    name = "rules"

    def __init__(self) -> None:
        self.inner = RulesAgent()

    async def respond(
        self, state: CallState, event: Event, ctx: DialogueContext, booking: Any
    ) -> tuple[CallState, Reply]:
        slots = state.slots
        if slots.name and slots.street:
            try:
                {}[f"({state.caller_id}) {slots.phone}"]
            except KeyError as cause:
                raise RuntimeError(
                    f"could not book {slots.name} at {slots.street} ({slots.zip}), call back 512-555-0123"
                ) from cause
        return await self.inner.respond(state, event, ctx, booking)


class LeakyRecords:
    """Call records whose lookup fails with the record's data in the message (an uncaught error)."""

    async def get_call(self, call_sid: str) -> dict[str, Any]:
        record = {"customer_name": "Dana Kim", "address": "4410 Duval Street", "from": "+15125550123"}
        raise LookupError(f"record for {call_sid} is inconsistent: {record!r}")


def _lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]


def _run_leaky_call(server: GuardServer) -> str:
    with server.call(caller="+15125550123") as call:
        call.start()
        answer = None
        for line in COOPERATIVE:
            answer = call.say(line)
            if answer.dial_numbers:
                break
        assert answer is not None and answer.dial_numbers == ["+15125550100"]  # handed to a person, no 5xx
    return call.call_sid


@pytest.mark.parametrize("log_pii", [False, True], ids=["default", "HVAC_LOG_PII=1"])
def test_exception_messages_and_tracebacks_are_redacted(
    guard_server: ServerFactory, capfd: pytest.CaptureFixture[str], log_pii: bool
) -> None:
    with guard_server(configure_logs=True, log_level="INFO", log_pii=log_pii) as server:
        server.services.calls.agent = LeakyAgent()
        call_sid = _run_leaky_call(server)
        # the API's records (the calls keep their own): a lookup that fails with data in its message
        server.app.state.services = dataclasses.replace(server.services, records=LeakyRecords())
        assert httpx.get(f"{server.base_url}/api/calls/{call_sid}", timeout=10).status_code == 500
    lines = _lines(capfd.readouterr().err)
    failed = [line for line in lines if line.get("event") == "turn_failed"]
    assert failed and failed[0]["call_sid"] == call_sid
    traceback_text = failed[0]["exception"]
    # the traceback is all there: both exceptions, the chain, the frames
    assert "Traceback (most recent call last)" in traceback_text and "LeakyAgent" not in traceback_text
    assert "KeyError" in traceback_text and "RuntimeError: could not book" in traceback_text
    assert "direct cause of the following exception" in traceback_text and "in respond" in traceback_text
    uncaught = [line for line in lines if line.get("logger") == "uvicorn.error" and "exception" in line]
    assert uncaught and "LookupError" in uncaught[0]["exception"]  # the standard library's record, as JSON
    everything = "\n".join(json.dumps(line) for line in lines).lower()
    if log_pii:
        assert "dana kim" in everything and "4410 duval street" in everything
    else:
        leaked = [secret for secret in PERSONAL if secret in everything]
        assert not leaked, leaked


def test_a_call_sid_with_a_phone_shaped_run_of_digits_is_logged_whole(capsys: pytest.CaptureFixture[str]) -> None:
    """Twilio SIDs are "CA" + 32 hex digits: ten decimal digits in a row happen by chance, and the
    scrubber once took them for a phone number, so the call's lines lost their `call_sid`."""
    configure_logging(json_lines=True, level="INFO", log_pii=False)
    call_sid = "CAab5125550123cdef0123456789abcdef"[:34]
    bind_call(call_sid)
    try:
        get_logger("test").info("turn", say="call 512 555 0123", stream_sid="MZ9c5125550199aa")
    finally:
        import structlog

        structlog.contextvars.clear_contextvars()
    [line] = [entry for entry in _lines(capsys.readouterr().err) if entry.get("event") == "turn"]
    assert line["call_sid"] == call_sid and line["stream_sid"] == "MZ9c5125550199aa"
    assert "5125550123" not in line["say"]  # what was said is still scrubbed


def test_a_traceback_keeps_its_code_and_loses_its_data() -> None:
    def lookup(key: str) -> None:
        raise ValueError(f"no customer {key!r} at 4410 Duval Street")

    try:
        try:
            lookup("Dana Kim")
        except ValueError as error:
            raise ConnectionError("booking failed for +1 512 555 0123") from error
    except ConnectionError as error:
        text = format_exception(error)
    assert 'lookup("Dana Kim")' in text  # a source line: our code, shown as written
    assert "ValueError: no customer '…' at [address]" in text
    assert "ConnectionError: booking failed for [phone ...23]" in text
    assert text.index("ValueError") < text.index("ConnectionError")  # Python's order: cause first
    assert scrub_message('KeyError: "Dana"') == 'KeyError: "…"'


async def test_what_the_caller_gave_is_masked_wherever_it_appears_in_their_call(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Values a call has given are masked even unquoted, in any field of its later lines — whole
    words only, so ordinary words survive."""
    configure_logging(json_lines=True, level="INFO", log_pii=False)
    bind_call("CAmask")
    note_personal("Dana Kim", "4410 Duval Street", "+15125550123")
    get_logger("test").warning(
        "lookup_failed", error="Dana failed", detail="kim at duval, 5550123", note="the channel for ann is fine"
    )
    [line] = _lines(capfd.readouterr().err)
    assert line["error"] == "[redacted] failed"
    assert line["detail"] == "[redacted] at [redacted], [redacted]"
    assert line["note"] == "the channel for ann is fine" and line["call_sid"] == "CAmask"


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_database_errors_carry_no_customer_values(
    tmp_path: Any, database: str, request: pytest.FixtureRequest
) -> None:
    """SQLAlchemy puts a failed statement's parameters in its message, PostgreSQL the row's values
    in its DETAIL: our engines hide the first, and the log scrubbing removes the second."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from hvac_agent.booking.db import create_engine

    url = request.getfixturevalue("pg_url") if database == "postgres" else f"sqlite:///{tmp_path / 'x.db'}"
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("create table people (name varchar(40) unique, phone varchar(20))"))
            await conn.execute(
                text("insert into people values (:name, :phone)"), {"name": "Dana Kim", "phone": "+15125550123"}
            )
            with pytest.raises(IntegrityError) as failed:
                await conn.execute(
                    text("insert into people values (:name, :phone)"), {"name": "Dana Kim", "phone": "+15125550123"}
                )
    finally:
        await engine.dispose()
    logged = format_exception(failed.value).lower()
    assert "integrityerror" in logged and "insert into people" in logged
    assert "dana" not in logged and "5550123" not in logged
