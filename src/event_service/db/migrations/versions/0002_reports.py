"""reports: indexes behind the sales reports and the customer profile (docs/reports.md)

Revision ID: 0002_reports
Revises: 0002_capacity (chained after the current head: migrate.current() expects one head)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_reports"
down_revision: str | None = "0002_capacity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_capacity_reservations_confirmed",
        "capacity_reservations",
        ["tenant_id", "status", "confirmed_at"],
    )
    op.create_index(
        "ix_capacity_reservations_customer",
        "capacity_reservations",
        ["tenant_id", "user_id", "confirmed_at"],
        postgresql_where=sa.text("status = 'CONFIRMED'"),
    )


def downgrade() -> None:
    op.drop_index("ix_capacity_reservations_customer", table_name="capacity_reservations")
    op.drop_index("ix_capacity_reservations_confirmed", table_name="capacity_reservations")
