"""Arranging sections to reserve from, and reading the ledger back, for the reservation tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories


async def on_sale_section(
    engine: AsyncEngine, tenant_id: uuid.UUID, total: int = 100, *, max_capacity: int = 5000, **values: Any
) -> dict[str, Any]:
    """A venue, an ON_SALE event and one section of `total` seats; returns the section row."""
    venue = await factories.venue(engine, tenant_id, max_capacity=max_capacity)
    event = await factories.event(engine, tenant_id, venue["id"], status="ON_SALE")
    return await factories.section(engine, tenant_id, event["id"], total_capacity=total, **values)


async def section_row(engine: AsyncEngine, capacity_id: uuid.UUID) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (
            (await conn.execute(text("SELECT * FROM event_capacity WHERE id = :id"), {"id": capacity_id}))
            .mappings()
            .one()
        )
    return dict(row)


async def event_status(engine: AsyncEngine, event_id: uuid.UUID) -> str:
    async with engine.connect() as conn:
        status = (await conn.execute(text("SELECT status FROM events WHERE id = :id"), {"id": event_id})).scalar_one()
    return str(status)


INVARIANTS = """
    SELECT c.id, c.reserved_capacity, c.sold_count, c.available_capacity,
           coalesce(sum(r.quantity) FILTER (WHERE r.status = 'ACTIVE'), 0) AS ledger_reserved,
           coalesce(sum(r.quantity) FILTER (WHERE r.status = 'CONFIRMED'), 0) AS ledger_sold
      FROM event_capacity c
      LEFT JOIN capacity_reservations r ON r.capacity_id = c.id
     WHERE c.tenant_id = :tenant_id
     GROUP BY c.id
"""


async def ledger_violations(engine: AsyncEngine, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    """Sections of the tenant whose counters disagree with the ledger or went negative (one snapshot)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(text(INVARIANTS), {"tenant_id": tenant_id})).mappings().all()
    return [
        dict(row)
        for row in rows
        if row["reserved_capacity"] != row["ledger_reserved"]
        or row["sold_count"] != row["ledger_sold"]
        or row["available_capacity"] < 0
        or row["reserved_capacity"] < 0
    ]
