"""SQL of the capacity domain: sections, their event, and the sold-out flag. No rules here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import event_capacity, event_schedules, events

# SQLSTATEs the services translate into API errors.
LOCK_NOT_AVAILABLE = "55P03"
UNIQUE_VIOLATION = "23505"
CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"

Row = RowMapping


def sqlstate(exc: DBAPIError) -> str | None:
    """The PostgreSQL error code behind a driver error (asyncpg via SQLAlchemy)."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return str(code) if code else None


def constraint_name(exc: DBAPIError) -> str:
    cause = getattr(exc.orig, "__cause__", None)
    return str(getattr(cause, "constraint_name", "") or "")


async def set_lock_timeout(conn: AsyncConnection, milliseconds: int) -> None:
    """Bound every lock wait of the current transaction (SET LOCAL ends with it)."""
    await conn.execute(text(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'"))


# The start of every reserve, in one round trip instead of three: it sets the
# transaction's lock_timeout (set_config(..., true) is SET LOCAL) and reads the
# section with its live event's status. Built once: it runs on every reserve.
OPEN_SECTION = (
    select(
        func.set_config("lock_timeout", bindparam("lock_timeout"), True).label("lock_timeout_set"),
        event_capacity,
        events.c.status.label("event_status"),
    )
    .select_from(
        event_capacity.join(
            events,
            (events.c.id == event_capacity.c.event_id)
            & (events.c.tenant_id == event_capacity.c.tenant_id)
            & events.c.deleted_at.is_(None),
        )
    )
    .where(event_capacity.c.id == bindparam("capacity_id"), event_capacity.c.tenant_id == bindparam("tenant_id"))
)


async def open_section(
    conn: AsyncConnection, tenant_id: uuid.UUID, capacity_id: uuid.UUID, lock_timeout_ms: int
) -> Row | None:
    """The section and `event_status`, with every later lock wait of the transaction bounded;
    None when there is no such section or its event is deleted."""
    parameters = {"lock_timeout": f"{int(lock_timeout_ms)}ms", "capacity_id": capacity_id, "tenant_id": tenant_id}
    return (await conn.execute(OPEN_SECTION, parameters)).mappings().one_or_none()


async def get_event(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, *, lock: bool = False
) -> Row | None:
    """A live (not deleted) event. `lock` serialises capacity changes of one event.

    FOR NO KEY UPDATE (not FOR UPDATE) so that reservations inserted meanwhile,
    whose foreign key takes FOR KEY SHARE on the event, are not blocked.
    """
    query = select(events.c.id, events.c.venue_id, events.c.status).where(
        events.c.id == event_id, events.c.tenant_id == tenant_id, events.c.deleted_at.is_(None)
    )
    if lock:
        query = query.with_for_update(key_share=True)  # renders FOR NO KEY UPDATE
    return (await conn.execute(query)).mappings().one_or_none()


async def get_schedule(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, schedule_id: uuid.UUID
) -> Row | None:
    query = select(event_schedules.c.id, event_schedules.c.capacity_override).where(
        event_schedules.c.id == schedule_id,
        event_schedules.c.event_id == event_id,
        event_schedules.c.tenant_id == tenant_id,
    )
    return (await conn.execute(query)).mappings().one_or_none()


async def list_sections(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, *, visible_only: bool
) -> Sequence[Row]:
    query = select(event_capacity).where(event_capacity.c.tenant_id == tenant_id, event_capacity.c.event_id == event_id)
    if visible_only:
        query = query.where(event_capacity.c.is_visible.is_(True))
    query = query.order_by(event_capacity.c.created_at, event_capacity.c.id)
    return (await conn.execute(query)).mappings().all()


async def get_section(
    conn: AsyncConnection, tenant_id: uuid.UUID, capacity_id: uuid.UUID, *, lock: bool = False
) -> Row | None:
    query = select(event_capacity).where(event_capacity.c.id == capacity_id, event_capacity.c.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().one_or_none()


async def total_capacity(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    schedule_id: uuid.UUID | None = None,
    exclude_id: uuid.UUID | None = None,
) -> int:
    """Sum of section totals of an event; with `schedule_id`, of that schedule's sections
    plus the event-wide ones (no schedule), i.e. what one performance can hold."""
    query = select(func.coalesce(func.sum(event_capacity.c.total_capacity), 0)).where(
        event_capacity.c.tenant_id == tenant_id, event_capacity.c.event_id == event_id
    )
    if schedule_id is not None:
        query = query.where((event_capacity.c.schedule_id == schedule_id) | event_capacity.c.schedule_id.is_(None))
    if exclude_id is not None:
        query = query.where(event_capacity.c.id != exclude_id)
    return int((await conn.execute(query)).scalar_one())


async def insert_section(
    conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID, values: dict[str, Any]
) -> Row:
    statement = (
        insert(event_capacity).values(tenant_id=tenant_id, event_id=event_id, **values).returning(*event_capacity.c)
    )
    return (await conn.execute(statement)).mappings().one()


async def update_section(
    conn: AsyncConnection, tenant_id: uuid.UUID, capacity_id: uuid.UUID, values: dict[str, Any]
) -> Row:
    statement = (
        update(event_capacity)
        .where(event_capacity.c.id == capacity_id, event_capacity.c.tenant_id == tenant_id)
        .values(**values)
        .returning(*event_capacity.c)
    )
    return (await conn.execute(statement)).mappings().one()


async def event_totals(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> Row:
    c = event_capacity.c
    query = select(
        func.coalesce(func.sum(c.total_capacity), 0).label("total_capacity"),
        func.coalesce(func.sum(c.available_capacity), 0).label("available_capacity"),
        func.coalesce(func.sum(c.reserved_capacity), 0).label("reserved_capacity"),
        func.coalesce(func.sum(c.sold_count), 0).label("sold_count"),
        func.coalesce(func.sum(c.pending_count), 0).label("pending_count"),
        func.coalesce(func.sum(c.buffer_capacity), 0).label("buffer_capacity"),
        func.count().label("sections"),
    ).where(c.tenant_id == tenant_id, c.event_id == event_id)
    return (await conn.execute(query)).mappings().one()


# ON_SALE <-> SOLD_OUT, decided from the event's active sections. Run after the
# event row is locked (lock_event_for_status) so that two transactions changing
# different sections of one event cannot both decide on stale counters.
_SYNC_SOLD_OUT = text(
    """
    UPDATE events e
       SET status = CASE e.status WHEN 'ON_SALE' THEN 'SOLD_OUT' ELSE 'ON_SALE' END
     WHERE e.id = :event_id AND e.tenant_id = :tenant_id AND e.deleted_at IS NULL
       AND (
             (e.status = 'ON_SALE'
              AND EXISTS (SELECT 1 FROM event_capacity c
                           WHERE c.event_id = e.id AND c.tenant_id = e.tenant_id AND c.is_active)
              AND NOT EXISTS (SELECT 1 FROM event_capacity c
                               WHERE c.event_id = e.id AND c.tenant_id = e.tenant_id
                                 AND c.is_active AND c.available_capacity > 0))
          OR (e.status = 'SOLD_OUT'
              AND EXISTS (SELECT 1 FROM event_capacity c
                           WHERE c.event_id = e.id AND c.tenant_id = e.tenant_id
                             AND c.is_active AND c.available_capacity > 0))
           )
    RETURNING e.status
    """
)


async def sync_sold_out(conn: AsyncConnection, tenant_id: uuid.UUID, event_id: uuid.UUID) -> str | None:
    """Flip ON_SALE <-> SOLD_OUT when the sections say so; returns the new status if it changed."""
    locked = await conn.execute(
        text(
            "SELECT status FROM events WHERE id = :event_id AND tenant_id = :tenant_id AND deleted_at IS NULL "
            "FOR NO KEY UPDATE"
        ),
        {"event_id": event_id, "tenant_id": tenant_id},
    )
    status = locked.scalar_one_or_none()
    if status not in ("ON_SALE", "SOLD_OUT"):
        return None
    # A new statement: its snapshot sees every section change committed before we got the lock.
    changed = await conn.execute(_SYNC_SOLD_OUT, {"event_id": event_id, "tenant_id": tenant_id})
    new_status = changed.scalar_one_or_none()
    return str(new_status) if new_status else None
