"""Structured logs (JSON lines or console) with `call_sid` bound per call and PII redacted.

Phone numbers, street addresses and names are personal data: unless `HVAC_LOG_PII=1` (local
debugging only), one redaction step sees every line — our own events, the standard library's
records (uvicorn's "Exception in ASGI application", SQLAlchemy, …) and every traceback:
- fields that hold personal data by name (`caller`, `text`, …) are masked whole;
- every other string loses phone numbers, street lines and the personal values this call has
  given (its caller ID, name, street, unit — `note_personal`), wherever they appear;
- exception messages (in tracebacks, chained causes and `error=` fields) also lose every quoted
  value, since that is where `repr` puts data; the stack itself is code and stays readable.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from contextvars import ContextVar
from types import TracebackType
from typing import Any

import structlog

from hvac_agent.caller_caches import caller_text_cache

PII_KEYS = frozenset(
    {
        "from",
        "from_number",
        "to",
        "caller",
        "caller_id",
        "phone",
        "name",
        "customer_name",
        "address",
        "street",
        "unit",
        "text",
        "say",
        "speech",
        "transcript",
        "message",
    }
)
# Twilio's identifiers ("CA" + 32 hex digits) are not personal data, and a run of ten decimal digits
# inside one looks like a phone number to the text scrubber: kept as they are, so every line of a
# call carries its real `call_sid`.
ID_KEYS = frozenset({"call_sid", "stream_sid", "account_sid", "message_sid", "sid", "parent_call_sid"})
# Fields that carry an exception's text: scrubbed like an exception message.
ERROR_KEYS = frozenset({"error", "reason", "detail", "exception", "exc"})
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Za-z]+\s){0,4}(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|"
    r"way|court|ct|circle|cir|place|pl|trail|trl|parkway|pkwy|highway|hwy)\b",
    re.IGNORECASE,
)
# A quoted value inside an exception message ('…' or "…", as repr writes them).
_QUOTED = re.compile(r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")
# PostgreSQL's DETAIL lines quote the row: "Key (phone)=(+15125550123)", "Failing row contains (…)".
_ROW_VALUES = re.compile(r"(\)=|row contains )\((?:[^()]|\([^()]*\))*\)")
_MIN_PERSONAL_CHARS = 3  # shorter words ("Al", "5B") would blank out ordinary text
# Words of a street line that are not personal on their own ("4410 Duval Street" → "duval").
_COMMON_WORDS = frozenset(
    "street st avenue ave road rd drive dr lane ln boulevard blvd way court ct circle cir place pl trail "
    "trl parkway pkwy highway hwy north south east west apartment apt unit suite ste the and".split()
)
_state = {"pii": False}
# The personal values of the call this context serves (a set shared with the tasks it starts).
_personal: ContextVar[set[str] | None] = ContextVar("hvac_personal_values", default=None)


def note_personal(*values: str | None) -> None:
    """Remember values this call has given (name, street, unit, numbers): from now on every log
    line of the call masks them, wherever they appear — an exception quoting them included."""
    known = _personal.get()
    if known is None:
        known = set()
        _personal.set(known)
    for value in values:
        if value:
            known.update(_personal_words(value))


@caller_text_cache  # callers' names, numbers, streets: emptied on "forget me"
@functools.lru_cache(maxsize=4096)  # a call's values are noted on each of its requests: worked out once
def _personal_words(value: str) -> frozenset[str]:
    """What a value masks: the whole value and its longer words, lower-cased, and a number's last 7 digits."""
    value = value.strip()
    parts = [value, *(word.strip(".,") for word in value.split())]
    words = {
        p.lower() for p in parts if len(p) >= _MIN_PERSONAL_CHARS and not p.isdigit() and p.lower() not in _COMMON_WORDS
    }
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:  # a phone number however it is written: matched on its last 7 digits
        words.add(digits[-7:])
    return frozenset(words)


def _mask_known(value: str) -> str:
    known = _personal.get()
    if not known:
        return value
    # Longest first, so "Dana Kim" goes whole before "Dana" alone; words whole ("Ann" spares
    # "channel"), digit runs anywhere (a number's last 7 digits inside any spelling of it).
    ordered = sorted(known, key=len, reverse=True)
    words = "|".join(re.escape(v) for v in ordered if not v.isdigit())
    digits = "|".join(v for v in ordered if v.isdigit())
    pattern = "|".join(p for p in (rf"\b(?:{words})\b" if words else "", digits) if p)
    return re.sub(pattern, "[redacted]", value, flags=re.IGNORECASE)


def redact_text(value: str) -> str:
    value = _PHONE.sub(lambda m: "[phone ..." + re.sub(r"\D", "", m.group())[-2:] + "]", value)
    value = _STREET.sub("[address]", value)
    return _mask_known(value)


def scrub_message(value: str) -> str:
    """An exception's text, fit for the logs: personal data and every quoted value masked."""
    value = _ROW_VALUES.sub(lambda m: m.group(1) + "(…)", value)
    return redact_text(_QUOTED.sub(lambda m: m.group()[0] + "…" + m.group()[0], value))


def format_exception(exc: BaseException) -> str:
    """A traceback like Python's — every frame, the whole chain of causes — with each message
    scrubbed (`scrub_message`). Source lines are our code, not data, and stay as they are."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            current = None
    lines: list[str] = []
    for error, link_after in reversed(chain):
        if error.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        kind = type(error)
        name = kind.__qualname__
        if kind.__module__ not in ("builtins", "__main__"):
            name = f"{kind.__module__}.{name}"
        message = scrub_message(str(error))
        lines.append(f"{name}: {message}\n" if message else f"{name}\n")
        lines.extend(f"{scrub_message(str(note))}\n" for note in getattr(error, "__notes__", ()) or ())
        if link_after:
            lines.append(f"\n{link_after}\n\n")
    return "".join(lines).rstrip("\n")


def _exc_info(value: Any) -> tuple[type[BaseException], BaseException, TracebackType | None] | None:
    if isinstance(value, BaseException):
        return type(value), value, value.__traceback__
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], BaseException):
        return value
    if value is True:
        info = sys.exc_info()
        return info if info[1] is not None else None
    return None


def _format_exc_info(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog's `format_exc_info`, with messages scrubbed unless `HVAC_LOG_PII=1`."""
    raw = event.pop("exc_info", None)
    info = _exc_info(raw)
    if info is not None:
        if _state["pii"]:
            event["exception"] = "".join(traceback.format_exception(*info)).rstrip("\n")
        else:
            event["exception"] = format_exception(info[1])
    return event


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if _state["pii"]:
        return event
    foreign = event.get("_from_structlog") is False  # a standard-library record: free text
    for key, value in list(event.items()):
        if key.startswith("_") or key in ("timestamp", "level", "logger", "exception") or key in ID_KEYS:
            continue
        if key in PII_KEYS and value is not None:
            event[key] = "[redacted]" if not isinstance(value, str) or not value else _mask(key, value)
        elif key in ERROR_KEYS or (foreign and key == "event"):
            event[key] = scrub_message(str(value)) if isinstance(value, str | BaseException) else value
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def _mask(key: str, value: str) -> str:
    if key in {"from", "from_number", "to", "caller", "caller_id", "phone"}:
        digits = re.sub(r"\D", "", value)
        return f"[phone ...{digits[-2:]}]" if digits else "[redacted]"
    return f"[redacted {len(value)} chars]"


def _add_logger_name(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if isinstance(record, logging.LogRecord):
        event.setdefault("logger", record.name)
    return event


class _CurrentStderr:
    """`sys.stderr` as it is when a line is written: whoever swaps it (a test's capture, an embedding
    host) never leaves the logs writing to a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(*, json_lines: bool = True, level: str = "INFO", log_pii: bool = False) -> None:
    """One pipeline for structlog events and standard-library records alike (uvicorn, SQLAlchemy,
    asyncio): the same fields, the same redaction, the same scrubbed tracebacks."""
    _state["pii"] = log_pii
    numeric_level = logging.getLevelName(level.upper())
    renderer: Any = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _add_logger_name],
            processors=[
                _format_exc_info,
                _redact,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for noisy in ("alembic", "httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, numeric_level))
    # uvicorn's own loggers print through our handler (its default config is off: log_config=None);
    # its access log stays as `serve` set it (off).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[*shared, _format_exc_info, _redact, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    _configured[0] += 1  # every `get_logger` logger binds afresh to this configuration


_configured = [0]  # how many times `configure_logging` has run


class _Logger:
    """What `get_logger` returns: structlog's logger for `name`, bound once per configuration.

    structlog's own lazy logger (without `cache_logger_on_first_use`) builds a bound logger and an
    output logger on every log call, a cost each turn paid several times over even for lines
    below the level; its cache, though, would keep the first configuration for good, and
    `configure_logging` runs again (each app, tests). This one binds again after each.
    """

    __slots__ = ("_bound", "_name", "_seen")

    def __init__(self, name: str) -> None:
        self._name = name
        self._bound: Any = None
        self._seen = -1

    def __getattr__(self, method: str) -> Any:
        if self._seen != _configured[0]:
            self._bound = structlog.get_logger(self._name).bind()
            self._seen = _configured[0]
        return getattr(self._bound, method)


def get_logger(name: str = "hvac_agent") -> Any:
    return _Logger(name)


def bind_call(call_sid: str) -> None:
    """Every log line of this request/connection carries the call's SID from here on (and masks
    the personal values noted for it from here on)."""
    structlog.contextvars.bind_contextvars(call_sid=call_sid)
    _personal.set(set())
