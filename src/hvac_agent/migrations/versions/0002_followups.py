"""Follow-ups: the transactional outbox, its deliveries, SMS consent, and the call summary.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hvac_agent.booking.models import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("summary", sa.Text, nullable=True))

    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("call_sid", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("routed_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_events"),
        sa.UniqueConstraint("key", name="uq_outbox_events_key"),
    )
    op.create_index("ix_outbox_events_phone", "outbox_events", ["phone"])
    op.create_index("ix_outbox_events_routed_at_id", "outbox_events", ["routed_at", "id"])

    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("in_doubt", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("provider_ref", sa.String(100), nullable=True),
        sa.Column("delivered_by", sa.String(100), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_deliveries"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_deliveries_idempotency_key"),
        sa.UniqueConstraint("event_id", "channel", "target", name="uq_outbox_deliveries_event_id_channel_target"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name="fk_outbox_deliveries_event_id_outbox_events",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'skipped', 'dead')", name="ck_outbox_deliveries_status"
        ),
    )
    op.create_index("ix_outbox_deliveries_status_next_attempt_at", "outbox_deliveries", ["status", "next_attempt_at"])

    op.create_table(
        "sms_consent",
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("phone", name="pk_sms_consent"),
        sa.CheckConstraint("status IN ('opted_in', 'opted_out')", name="ck_sms_consent_status"),
    )


def downgrade() -> None:
    op.drop_table("sms_consent")
    op.drop_index("ix_outbox_deliveries_status_next_attempt_at", table_name="outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_index("ix_outbox_events_routed_at_id", table_name="outbox_events")
    op.drop_index("ix_outbox_events_phone", table_name="outbox_events")
    op.drop_table("outbox_events")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("summary")
