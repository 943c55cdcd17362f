"""Office console: appointments may be `completed`; per-call facts beside the call record.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hvac_agent.booking.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUS = "status IN ('booked', 'cancelled')"
_NEW_STATUS = "status IN ('booked', 'cancelled', 'completed')"


def _status_check(condition: str) -> None:
    # SQLite cannot alter a CHECK in place: batch mode copies the table (recreate); PostgreSQL alters it.
    with op.batch_alter_table("appointments", recreate="auto") as batch:
        batch.drop_constraint("ck_appointments_status", type_="check")
        batch.create_check_constraint("ck_appointments_status", sa.text(condition))


def upgrade() -> None:
    _status_check(_NEW_STATUS)
    op.create_table(
        "call_facts",
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False, server_default="gather"),
        sa.Column("experiment", sa.String(40), nullable=True),
        sa.Column("variant", sa.String(40), nullable=True),
        sa.Column("facts", sa.Text, nullable=False, server_default="{}"),
        sa.Column("transfer_unanswered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("fallback", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("handled_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("call_sid", name="pk_call_facts"),
    )
    op.create_index("ix_call_facts_experiment_variant", "call_facts", ["experiment", "variant"])


def downgrade() -> None:
    op.drop_index("ix_call_facts_experiment_variant", table_name="call_facts")
    op.drop_table("call_facts")
    op.execute("UPDATE appointments SET status = 'booked' WHERE status = 'completed'")
    _status_check(_OLD_STATUS)
