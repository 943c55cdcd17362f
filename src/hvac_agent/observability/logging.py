"""Structured logs (JSON lines or console) with `call_sid` bound per call and PII redacted.

Phone numbers, street addresses and names are personal data: a processor masks them in every
event unless `HVAC_LOG_PII=1` (local debugging only).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PII_KEYS = frozenset(
    {
        "from", "from_number", "to", "caller", "caller_id", "phone", "name", "customer_name",
        "address", "street", "unit", "text", "say", "speech", "transcript", "message",
    }
)
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Za-z]+\s){0,4}(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|"
    r"way|court|ct|circle|cir|place|pl|trail|trl|parkway|pkwy|highway|hwy)\b",
    re.IGNORECASE,
)
_state = {"pii": False}


def redact_text(value: str) -> str:
    value = _PHONE.sub(lambda m: "[phone ..." + re.sub(r"\D", "", m.group())[-2:] + "]", value)
    return _STREET.sub("[address]", value)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if _state["pii"]:
        return event
    for key, value in list(event.items()):
        if key in PII_KEYS and value is not None:
            event[key] = "[redacted]" if not isinstance(value, str) or not value else _mask(key, value)
        elif isinstance(value, str) and key not in ("event", "timestamp", "level"):
            event[key] = redact_text(value)
    if isinstance(event.get("event"), str):
        event["event"] = redact_text(event["event"])
    return event


def _mask(key: str, value: str) -> str:
    if key in {"from", "from_number", "to", "caller", "caller_id", "phone"}:
        digits = re.sub(r"\D", "", value)
        return f"[phone ...{digits[-2:]}]" if digits else "[redacted]"
    return f"[redacted {len(value)} chars]"


def configure_logging(*, json_lines: bool = True, level: str = "INFO", log_pii: bool = False) -> None:
    _state["pii"] = log_pii
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level.upper(), force=True)
    for noisy in ("alembic", "httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "hvac_agent") -> Any:
    return structlog.get_logger(name)


def bind_call(call_sid: str) -> None:
    """Every log line of this request/connection carries the call's SID from here on."""
    structlog.contextvars.bind_contextvars(call_sid=call_sid)
