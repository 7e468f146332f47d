"""Rows inserted directly, for arranging tests of other domains quickly.

Tests of a domain's own behaviour go through its HTTP API; these factories are
for the rows a test needs around it (a venue, an event, a section) and for
large fixtures. Each returns the inserted row as a dict.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db import tables


async def _insert(engine: AsyncEngine, table: Any, values: dict[str, Any]) -> dict[str, Any]:
    async with engine.begin() as conn:
        row = (await conn.execute(insert(table).values(**values).returning(table))).mappings().one()
    return dict(row)


async def venue(engine: AsyncEngine, tenant_id: uuid.UUID, max_capacity: int = 5000, **values: Any) -> dict[str, Any]:
    name = values.pop("name", f"Venue {uuid.uuid4().hex[:6]}")
    return await _insert(
        engine,
        tables.venues,
        {
            "tenant_id": tenant_id,
            "name": name,
            "slug": name.lower().replace(" ", "-"),
            "max_capacity": max_capacity,
            **values,
        },
    )


async def event(
    engine: AsyncEngine, tenant_id: uuid.UUID, venue_id: uuid.UUID | None = None, **values: Any
) -> dict[str, Any]:
    if venue_id is None:
        venue_id = (await venue(engine, tenant_id))["id"]
    name = values.pop("name", f"Event {uuid.uuid4().hex[:6]}")
    return await _insert(
        engine,
        tables.events,
        {
            "tenant_id": tenant_id,
            "venue_id": venue_id,
            "name": name,
            "slug": values.pop("slug", name.lower().replace(" ", "-")),
            **values,
        },
    )


async def schedule(engine: AsyncEngine, tenant_id: uuid.UUID, event_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    starts = values.pop("starts_at", datetime.now(UTC) + timedelta(days=30))
    return await _insert(
        engine,
        tables.event_schedules,
        {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "starts_at": starts,
            "ends_at": values.pop("ends_at", starts + timedelta(hours=3)),
            **values,
        },
    )


async def section(
    engine: AsyncEngine, tenant_id: uuid.UUID, event_id: uuid.UUID, total_capacity: int = 100, **values: Any
) -> dict[str, Any]:
    return await _insert(
        engine,
        tables.event_capacity,
        {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "total_capacity": total_capacity,
            "section_name": values.pop("section_name", f"Section {uuid.uuid4().hex[:6]}"),
            **values,
        },
    )


async def pricing(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    base_price: Decimal = Decimal("50.00"),
    **values: Any,
) -> dict[str, Any]:
    return await _insert(
        engine,
        tables.event_pricing,
        {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "base_price": base_price,
            "name": values.pop("name", "Standard"),
            **values,
        },
    )
