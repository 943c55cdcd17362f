"""Initial schema: appointments, window capacity, call records.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hvac_agent.booking.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("unit", sa.String(50), nullable=True),
        sa.Column("zip", sa.String(10), nullable=False),
        sa.Column("issue", sa.Text, nullable=False),
        sa.Column("issue_category", sa.String(20), nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("window", sa.String(11), nullable=False, quote=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="booked"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("changed_by_call_sid", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_appointments"),
        sa.UniqueConstraint("call_sid", name="uq_appointments_call_sid"),
        sa.CheckConstraint("status IN ('booked', 'cancelled')", name="ck_appointments_status"),
    )
    op.create_index("ix_appointments_phone", "appointments", ["phone"])
    op.create_index("ix_appointments_date_window", "appointments", ["date", "window"])

    op.create_table(
        "window_capacity",
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("window", sa.String(11), nullable=False, quote=True),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booked", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("date", "window", name="pk_window_capacity"),
        sa.CheckConstraint("booked <= capacity", name="ck_window_capacity_not_overbooked"),
        sa.CheckConstraint("booked >= 0", name="ck_window_capacity_booked_non_negative"),
        sa.CheckConstraint("capacity >= 0", name="ck_window_capacity_capacity_non_negative"),
    )

    op.create_table(
        "calls",
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("from_number", sa.String(32), nullable=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False, server_default="in_progress"),
        sa.Column("urgency", sa.String(10), nullable=True),
        sa.Column("appointment_id", sa.Integer, nullable=True),
        sa.Column("duration_s", sa.Integer, nullable=True),
        sa.Column("turn_count", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("call_sid", name="pk_calls"),
    )

    op.create_table(
        "call_turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_turns"),
        sa.UniqueConstraint("call_sid", "seq", name="uq_call_turns_call_sid_seq"),
        sa.CheckConstraint("role IN ('caller', 'agent')", name="ck_call_turns_role"),
        sa.ForeignKeyConstraint(
            ["call_sid"], ["calls.call_sid"], name="fk_call_turns_call_sid_calls", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("call_turns")
    op.drop_table("calls")
    op.drop_table("window_capacity")
    op.drop_index("ix_appointments_date_window", table_name="appointments")
    op.drop_index("ix_appointments_phone", table_name="appointments")
    op.drop_table("appointments")
