"""Tables of the follow-up machinery, on the booking layer's `metadata` (one schema, one migration chain).

`outbox_events` is written in the same transaction as the change that caused the event (a booking,
a cancellation, an emergency…); the dispatcher later routes each event into `outbox_deliveries`,
one row per channel and recipient, which carry their own retry state. `sms_consent` remembers who
may be texted and why.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from hvac_agent.booking.models import UTCDateTime, metadata

EVENT_KINDS = (
    "booked",
    "rescheduled",
    "cancelled",
    "emergency",
    "message",
    "transfer_unanswered",
    "call_ended",
    "digest",
)
DELIVERY_STATUSES = ("pending", "sending", "delivered", "skipped", "dead")

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Unique per event: a repeated write (a retried finish, a re-posted webhook) adds nothing.
    Column("key", String(120), nullable=False, unique=True),
    Column("kind", String(30), nullable=False),
    # Whose data this is, so "forget this caller" can find it (E.164, or null).
    Column("phone", String(20), nullable=True, index=True),
    Column("call_sid", String(64), nullable=True),
    Column("payload", Text, nullable=False),  # JSON
    Column("created_at", UTCDateTime, nullable=False),
    Column("routed_at", UTCDateTime, nullable=True),
    Index(None, "routed_at", "id"),
)

outbox_deliveries = Table(
    "outbox_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("outbox_events.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(30), nullable=False),
    Column("target", String(300), nullable=False),  # a phone number, a URL, an email address
    # Stable across every attempt: the receiver's de-duplication key (`webhook-id`, Message-ID).
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    # The last attempt may have reached the provider without us hearing back: check before resending.
    Column("in_doubt", Boolean, nullable=False, server_default="0"),
    Column("last_error", String(300), nullable=True),
    Column("provider_ref", String(100), nullable=True),  # e.g. the Twilio message SID
    Column("delivered_by", String(100), nullable=True),  # host:pid of the process that delivered it
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_id", "channel", "target"),
    CheckConstraint("status IN ('pending', 'sending', 'delivered', 'skipped', 'dead')", name="status"),
    Index(None, "status", "next_attempt_at"),
)

sms_consent = Table(
    "sms_consent",
    metadata,
    Column("phone", String(20), primary_key=True),
    Column("status", String(10), nullable=False),
    Column("source", String(100), nullable=False),  # "booking:CA…", "sms:STOP", "sms:START"
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('opted_in', 'opted_out')", name="status"),
)
