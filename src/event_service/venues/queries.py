"""SQL for the `venues` table: the local registry and the cache of the venue service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import venues


async def get_venue(conn: AsyncConnection, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> Row[Any] | None:
    query = select(venues).where(venues.c.id == venue_id, venues.c.tenant_id == tenant_id)
    return (await conn.execute(query)).one_or_none()


async def list_venues(
    conn: AsyncConnection, tenant_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Row[Any]], int]:
    total = (await conn.execute(select(func.count()).where(venues.c.tenant_id == tenant_id))).scalar_one()
    query = (
        select(venues)
        .where(venues.c.tenant_id == tenant_id)
        .order_by(venues.c.name, venues.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await conn.execute(query)).all()), int(total)


async def insert_venue(conn: AsyncConnection, tenant_id: uuid.UUID, values: dict[str, Any]) -> Row[Any] | None:
    """Insert a local venue; None when the id is already taken."""
    statement = (
        pg_insert(venues)
        .values(tenant_id=tenant_id, source="local", **values)
        .on_conflict_do_nothing(index_elements=[venues.c.id])
        .returning(venues)
    )
    row: Row[Any] | None = (await conn.execute(statement)).one_or_none()
    return row


async def upsert_remote_venue(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    venue_id: uuid.UUID,
    *,
    name: str,
    slug: str,
    max_capacity: int,
    address: Any,
    timezone: str | None,
    fetched_at: datetime,
) -> Row[Any] | None:
    """Cache what the venue service answered.

    The row is only overwritten for the same tenant: a cached venue never moves
    between tenants (None is returned then, and nothing is written).
    """
    statement = pg_insert(venues).values(
        id=venue_id,
        tenant_id=tenant_id,
        name=name,
        slug=slug,
        max_capacity=max_capacity,
        address=address,
        timezone=timezone,
        source="remote",
        fetched_at=fetched_at,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[venues.c.id],
        set_={
            "name": statement.excluded.name,
            "slug": statement.excluded.slug,
            "max_capacity": statement.excluded.max_capacity,
            "address": statement.excluded.address,
            "timezone": statement.excluded.timezone,
            "source": statement.excluded.source,
            "fetched_at": statement.excluded.fetched_at,
        },
        where=venues.c.tenant_id == statement.excluded.tenant_id,
    ).returning(venues)
    row: Row[Any] | None = (await conn.execute(upsert)).one_or_none()
    return row
