"""SQL of the schedules domain, as functions of a connection. Every one filters by tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import event_capacity, event_schedules, events, venues

_S = event_schedules.c

# A result row of any shape (SQLAlchemy 2.1 types rows by their column tuple).
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


async def get_event(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, *, lock: bool = False
) -> AnyRow | None:
    """The tenant's event if it is not deleted; `lock` holds it (FOR SHARE) until commit."""
    query = select(events.c.id, events.c.name, events.c.venue_id, events.c.short_description, events.c.status).where(
        events.c.id == event_id, events.c.tenant_id == tenant_id, events.c.deleted_at.is_(None)
    )
    if lock:
        query = query.with_for_update(read=True)
    return (await conn.execute(query)).one_or_none()


async def events_at_venue(conn: AsyncConnection, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> Sequence[AnyRow]:
    query = select(events.c.id, events.c.name, events.c.venue_id, events.c.short_description).where(
        events.c.venue_id == venue_id, events.c.tenant_id == tenant_id, events.c.deleted_at.is_(None)
    )
    return (await conn.execute(query)).all()


async def venue_name(conn: AsyncConnection, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> str | None:
    query = select(venues.c.name).where(venues.c.id == venue_id, venues.c.tenant_id == tenant_id)
    name: str | None = (await conn.execute(query)).scalar_one_or_none()
    return name


async def list_for_events(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_ids: Sequence[uuid.UUID]
) -> Sequence[AnyRow]:
    """Every schedule of these events, soonest first."""
    if not event_ids:
        return []
    query = (
        select(event_schedules)
        .where(_S.tenant_id == tenant_id, _S.event_id.in_(event_ids))
        .order_by(_S.starts_at, _S.occurrence_number, _S.id)
    )
    return (await conn.execute(query)).all()


async def upcoming(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    now: datetime,
    statuses: Sequence[str],
    limit: int | None,
) -> Sequence[AnyRow]:
    query = (
        select(event_schedules)
        .where(
            _S.tenant_id == tenant_id,
            _S.event_id == event_id,
            _S.starts_at > now,
            _S.status.in_(statuses),
        )
        .order_by(_S.starts_at, _S.occurrence_number, _S.id)
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def get_schedule(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    schedule_id: uuid.UUID,
    *,
    lock: bool = False,
) -> AnyRow | None:
    query = select(event_schedules).where(_S.id == schedule_id, _S.event_id == event_id, _S.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).one_or_none()


async def series_from(
    conn: AsyncConnection, tenant_id: uuid.UUID, root_id: uuid.UUID, from_number: int
) -> Sequence[AnyRow]:
    """Occurrences `from_number`.. of the series whose first row is `root_id`, locked, in order."""
    query = (
        select(event_schedules)
        .where(
            _S.tenant_id == tenant_id,
            or_(_S.id == root_id, _S.parent_schedule_id == root_id),
            _S.occurrence_number >= from_number,
        )
        .order_by(_S.occurrence_number)
        .with_for_update()
    )
    return (await conn.execute(query)).all()


async def insert_schedules(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[AnyRow]:
    """Insert rows (the series' first row first, so the others may point at it)."""
    created: list[AnyRow] = []
    head, rest = rows[:1], rows[1:]
    for batch in (head, rest):
        if batch:
            created.extend((await conn.execute(insert(event_schedules).values(batch).returning(event_schedules))).all())
    return created


async def update_schedule(
    conn: AsyncConnection, tenant_id: uuid.UUID, schedule_id: uuid.UUID, values: dict[str, Any]
) -> AnyRow:
    query = (
        update(event_schedules)
        .where(_S.id == schedule_id, _S.tenant_id == tenant_id)
        .values(**values)
        .returning(event_schedules)
    )
    row: AnyRow = (await conn.execute(query)).one()
    return row


async def committed_seats(
    conn: AsyncConnection, tenant_id: uuid.UUID, schedule_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Seats sold, pending or held per schedule, from its own capacity sections."""
    if not schedule_ids:
        return {}
    c = event_capacity.c
    query = (
        select(c.schedule_id, func.sum(c.sold_count + c.reserved_capacity + c.pending_count))
        .where(and_(c.tenant_id == tenant_id, c.schedule_id.in_(schedule_ids)))
        .group_by(c.schedule_id)
    )
    return {row[0]: int(row[1] or 0) for row in (await conn.execute(query)).all()}
