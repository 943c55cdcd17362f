"""The booking layer's one error: the database cannot be reached or failed mid-operation.

Callers (webhooks, API, CLI) catch only this and answer politely; they never see driver errors.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError


class BookingUnavailable(RuntimeError):
    """The booking database is down, locked too long, or failed; the operation had no effect."""


_log = logging.getLogger("hvac_agent.booking")


@asynccontextmanager
async def database_errors(operation: str) -> AsyncIterator[None]:
    """Translate driver/pool errors (plain `sqlite3` ones too) into `BookingUnavailable`.

    Only the error class is logged and carried: SQLAlchemy's message includes bound parameters,
    which are names, phone numbers and addresses.
    """
    try:
        yield
    except (SQLAlchemyError, OSError, sqlite3.Error) as error:  # sqlite3: the plain SQLite writer
        cause = getattr(error, "orig", None) or error
        _log.warning("booking database error in %s: %s", operation, type(cause).__name__)
        raise BookingUnavailable(f"{operation}: database unavailable ({type(cause).__name__})") from error
