"""capacity: section_code unique only when given; index of a section's ACTIVE reservations by expiry

Revision ID: 0002_capacity
Revises: 0002_outbox (chained after it: migrate.current() expects one head)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_capacity"
down_revision: str | None = "0002_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_event_capacity_section_code", "event_capacity", type_="unique")
    op.create_index(
        "uq_event_capacity_section_code",
        "event_capacity",
        ["event_id", "schedule_id", "section_code"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_where=sa.text("section_code IS NOT NULL"),
    )
    op.create_index(
        "ix_capacity_reservations_active_section",
        "capacity_reservations",
        ["capacity_id", "expires_at"],
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )


def downgrade() -> None:
    op.drop_index("ix_capacity_reservations_active_section", table_name="capacity_reservations")
    op.drop_index("uq_event_capacity_section_code", table_name="event_capacity")
    op.create_unique_constraint(
        "uq_event_capacity_section_code",
        "event_capacity",
        ["event_id", "schedule_id", "section_code"],
        postgresql_nulls_not_distinct=True,
    )
