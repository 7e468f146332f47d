"""A checksum of every row a tenant owns, to show a refused request changed nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from event_service.db import tables

# Every table with a tenant_id column, read from the schema so new tables are included.
TENANT_TABLES = sorted(name for name, table in tables.metadata.tables.items() if "tenant_id" in table.c)
# The outbox relay works on these in the background: it numbers outbox rows and
# fans them out to webhook deliveries. Outbox rows are written with each change,
# so their count is compared; the relay's own bookkeeping tables are left out.
# Webhooks carry the relay's delivery state (failures, last error), so only their count is compared too.
RELAY_TABLES = {"outbox", "webhooks"}
RELAY_ONLY_TABLES = {"outbox_sequences", "webhook_deliveries"}


async def tenant_checksum(engine: Any, tenant_id: uuid.UUID) -> dict[str, tuple[int, str]]:
    """(row count, md5 of all rows) per tenant table; a relay-maintained table counts rows only."""
    state: dict[str, tuple[int, str]] = {}
    async with engine.connect() as conn:
        for name in TENANT_TABLES:
            if name in RELAY_ONLY_TABLES:
                continue
            row = (
                await conn.execute(
                    text(
                        f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                        f'FROM "{name}" t WHERE tenant_id = :tenant'
                    ),
                    {"tenant": tenant_id},
                )
            ).one()
            state[name] = (int(row[0]), "" if name in RELAY_TABLES else str(row[1]))
    return state


async def total_rows(engine: Any) -> int:
    async with engine.connect() as conn:
        total = 0
        for name in TENANT_TABLES:
            total += int((await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one())
    return total
