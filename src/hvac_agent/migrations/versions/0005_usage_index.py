"""The appointments' day-and-window index also covers the capacity sum (job type, status, units).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "ix_appointments_date_window"
_NEW = "ix_appointments_date_window_job_type_status_units"


def upgrade() -> None:
    # Every offer, hold and booking sums the booked units of the days it looks at (holds.usage):
    # with the index covering the columns it reads, that sum never visits the table's rows.
    op.create_index(_NEW, "appointments", ["date", "window", "job_type", "status", "units"])
    op.drop_index(_OLD, table_name="appointments")


def downgrade() -> None:
    op.create_index(_OLD, "appointments", ["date", "window"])
    op.drop_index(_NEW, table_name="appointments")
