"""Held offers (windows held for a call while it decides) and job sizes on appointments.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hvac_agent.booking.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_offers",
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("window", sa.String(11), nullable=False, quote=True),
        sa.Column("job_type", sa.String(40), nullable=False, server_default="service_call"),
        sa.Column("units", sa.Integer, nullable=False, server_default="1"),
        sa.Column("chosen", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("call_sid", "date", "window", name="pk_held_offers"),
        sa.CheckConstraint("units >= 1", name="ck_held_offers_units_positive"),
    )
    op.create_index("ix_held_offers_date_window", "held_offers", ["date", "window"])
    with op.batch_alter_table("appointments", recreate="auto") as batch:
        batch.add_column(sa.Column("job_type", sa.String(40), nullable=False, server_default="service_call"))
        batch.add_column(sa.Column("units", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("appointments", recreate="auto") as batch:
        batch.drop_column("units")
        batch.drop_column("job_type")
    op.drop_index("ix_held_offers_date_window", table_name="held_offers")
    op.drop_table("held_offers")
