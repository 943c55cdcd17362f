"""Tables (SQLAlchemy Core). The schema itself is created by the Alembic migrations; these objects
are what queries are written against, and a test checks the two agree.

Capacity lives in the database: `window_capacity.booked` is bumped with a conditional UPDATE in the
same transaction as the appointment insert, and CHECK constraints forbid overbooking outright.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones: store naive UTC there)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        utc: dt.datetime = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # One appointment per call: a retried or duplicated booking finds this row (idempotency).
    Column("call_sid", String(64), nullable=False, unique=True),
    Column("customer_name", String(200), nullable=False),
    Column("phone", String(20), nullable=False, index=True),
    Column("address", String(300), nullable=False),
    Column("unit", String(50), nullable=True),
    Column("zip", String(10), nullable=False),
    Column("issue", Text, nullable=False),
    Column("issue_category", String(20), nullable=False),
    Column("urgency", String(10), nullable=False),
    Column("date", Date, nullable=False),
    Column("window", String(11), nullable=False, quote=True),
    Column("status", String(10), nullable=False, server_default="booked"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The call that last cancelled or rescheduled it (audit trail).
    Column("changed_by_call_sid", String(64), nullable=True),
    # What kind of visit and how many capacity units of its window it takes (business/jobs.py).
    Column("job_type", String(40), nullable=False, server_default="service_call"),
    Column("units", Integer, nullable=False, server_default="1"),
    # `completed`: the visit happened (set from the office console); it keeps its window's place.
    CheckConstraint("status IN ('booked', 'cancelled', 'completed')", name="status"),
    # Covers the capacity sum (holds.usage: booked units per window and job type over a few dates)
    # so it reads the index alone, already in its GROUP BY order, never the rows; its first two
    # columns serve every lookup by day and window as before.
    Index(None, "date", "window", "job_type", "status", "units"),
)

window_capacity = Table(
    "window_capacity",
    metadata,
    Column("date", Date, primary_key=True),
    Column("window", String(11), primary_key=True, quote=True),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, server_default="0"),
    CheckConstraint("booked <= capacity", name="not_overbooked"),
    CheckConstraint("booked >= 0", name="booked_non_negative"),
    CheckConstraint("capacity >= 0", name="capacity_non_negative"),
)

calls = Table(
    "calls",
    metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("from_number", String(32), nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("outcome", String(20), nullable=False, server_default="in_progress"),
    Column("urgency", String(10), nullable=True),
    Column("appointment_id", Integer, nullable=True),
    Column("duration_s", Integer, nullable=True),
    # Turns recorded so far; bumped under the row lock to hand out `call_turns.seq` race-free.
    Column("turn_count", Integer, nullable=False, server_default="0"),
    # What was asked, what was decided, what the technician should know (written after the call).
    Column("summary", Text, nullable=True),
)

call_turns = Table(
    "call_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), ForeignKey("calls.call_sid", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("role", String(10), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("call_sid", "seq"),
    CheckConstraint("role IN ('caller', 'agent')", name="role"),
)

# Windows held for a call while it decides (offered, then chosen and read back): they count
# against capacity for everyone else until booked, released (the call ended) or expired.
held_offers = Table(
    "held_offers",
    metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("window", String(11), primary_key=True, quote=True),
    Column("job_type", String(40), nullable=False, server_default="service_call"),
    Column("units", Integer, nullable=False, server_default="1"),
    # Offered (one of the windows heard) or chosen (read back): see booking/holds.py.
    Column("chosen", Boolean, nullable=False, server_default=false()),
    Column("expires_at", UTCDateTime, nullable=False),
    CheckConstraint("units >= 1", name="units_positive"),
    Index(None, "date", "window"),
)

# Per-call facts (analytics/facts.py) beside the call record: one row per call, written when the
# call starts (channel, A/B variant) and when it ends; `handled_at` is the office's "dealt with".
call_facts = Table(
    "call_facts",
    metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("channel", String(12), nullable=False, server_default="gather"),
    Column("experiment", String(40), nullable=True),
    Column("variant", String(40), nullable=True),
    Column("facts", Text, nullable=False, server_default="{}"),
    Column("transfer_unanswered", Boolean, nullable=False, server_default=false()),
    Column("fallback", Boolean, nullable=False, server_default=false()),
    Column("handled_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "experiment", "variant"),
)
# The follow-up tables (outbox, deliveries, SMS consent) share this metadata; importing them here
# makes `metadata` complete wherever it is used (migrations, the schema-agreement test).
from hvac_agent.followups import models as _followup_models  # noqa: E402, F401
