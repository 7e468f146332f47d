"""Alembic environment: runs on the connection handed over by `db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from event_service.db.tables import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through db.migrate
    raise RuntimeError("run migrations with `event-service migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
