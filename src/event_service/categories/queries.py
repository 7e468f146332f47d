"""SQL for event categories.

A tenant sees the platform categories (tenant_id NULL) and its own. The
stored `event_categories.event_count` column is not read: `event_count` is
counted per tenant in the same statement (the caller tenant's non-deleted
events whose primary category it is), so it is right as events come and go
and never mixes tenants.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, insert, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import event_categories, events

_STORED_COLUMNS = [c for c in event_categories.c if c.name != "event_count"]


def _visible(tenant_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(event_categories.c.tenant_id.is_(None), event_categories.c.tenant_id == tenant_id)


def _with_event_count(tenant_id: uuid.UUID) -> Select[Any]:
    counts = (
        select(events.c.primary_category_id.label("category_id"), func.count().label("n"))
        .where(
            events.c.tenant_id == tenant_id,
            events.c.deleted_at.is_(None),
            events.c.primary_category_id.is_not(None),
        )
        .group_by(events.c.primary_category_id)
        .subquery("counts")
    )
    return select(*_STORED_COLUMNS, func.coalesce(counts.c.n, 0).label("event_count")).select_from(
        event_categories.outerjoin(counts, counts.c.category_id == event_categories.c.id)
    )


async def list_categories(conn: AsyncConnection, tenant_id: uuid.UUID, *, active_only: bool = True) -> list[Row[Any]]:
    """The categories the tenant sees, with its event counts, by display_order then name."""
    query = _with_event_count(tenant_id).where(_visible(tenant_id))
    if active_only:
        query = query.where(event_categories.c.is_active.is_(True))
    query = query.order_by(event_categories.c.display_order, event_categories.c.name, event_categories.c.id)
    return list((await conn.execute(query)).all())


async def get_category(conn: AsyncConnection, tenant_id: uuid.UUID, category_id: uuid.UUID) -> Row[Any] | None:
    """One visible category (active or not), with the tenant's event count."""
    query = _with_event_count(tenant_id).where(_visible(tenant_id), event_categories.c.id == category_id)
    row: Row[Any] | None = (await conn.execute(query)).one_or_none()
    return row


async def resolve_category(conn: AsyncConnection, tenant_id: uuid.UUID, id_or_slug: str | uuid.UUID) -> Row[Any] | None:
    """A category the tenant sees, by id or by slug (the tenant's own wins a slug tie); None if none.

    For filters such as `GET /events?category=music`.
    """
    try:
        category_id = id_or_slug if isinstance(id_or_slug, uuid.UUID) else uuid.UUID(str(id_or_slug))
    except ValueError:
        category_id = None
    match = event_categories.c.id == category_id if category_id else event_categories.c.slug == str(id_or_slug)
    query = (
        select(event_categories)
        .where(_visible(tenant_id), match)
        .order_by(event_categories.c.tenant_id.is_(None))  # own (false) before platform (true)
        .limit(1)
    )
    row: Row[Any] | None = (await conn.execute(query)).first()
    return row


async def lock_tenant_categories(conn: AsyncConnection, tenant_id: uuid.UUID) -> None:
    """Serialise a tenant's category writes (slug checks, cycle checks) until the transaction ends."""
    await conn.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(literal(f"event_categories:{tenant_id}"), 0)))
    )


async def slug_in_use(
    conn: AsyncConnection, tenant_id: uuid.UUID, slug: str, *, except_id: uuid.UUID | None = None
) -> bool:
    """Whether a category the tenant sees (its own or a platform one) already has this slug."""
    query = select(event_categories.c.id).where(_visible(tenant_id), event_categories.c.slug == slug)
    if except_id is not None:
        query = query.where(event_categories.c.id != except_id)
    return (await conn.execute(query.limit(1))).first() is not None


async def ancestor_ids(conn: AsyncConnection, tenant_id: uuid.UUID, category_id: uuid.UUID) -> list[uuid.UUID]:
    """The category and its ancestors up to a root (visible ones only), by one recursive CTE."""
    statement = text(
        """
        WITH RECURSIVE chain(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM event_categories
             WHERE id = :id AND (tenant_id IS NULL OR tenant_id = :tenant_id)
            UNION ALL
            SELECT c.id, c.parent_id, chain.depth + 1
              FROM event_categories c JOIN chain ON c.id = chain.parent_id
             WHERE (c.tenant_id IS NULL OR c.tenant_id = :tenant_id) AND chain.depth < 1000
        )
        SELECT id FROM chain ORDER BY depth
        """
    )
    rows = (await conn.execute(statement, {"id": category_id, "tenant_id": tenant_id})).all()
    return [uuid.UUID(str(row.id)) for row in rows]


async def insert_category(conn: AsyncConnection, tenant_id: uuid.UUID, values: dict[str, Any]) -> uuid.UUID:
    statement = insert(event_categories).values(tenant_id=tenant_id, **values).returning(event_categories.c.id)
    return uuid.UUID(str((await conn.execute(statement)).scalar_one()))


async def update_category(
    conn: AsyncConnection, tenant_id: uuid.UUID, category_id: uuid.UUID, values: dict[str, Any]
) -> bool:
    """Change one of the tenant's own categories; False when it has none with this id."""
    statement = (
        update(event_categories)
        .where(event_categories.c.id == category_id, event_categories.c.tenant_id == tenant_id)
        .values(**values)
        .returning(event_categories.c.id)
    )
    return (await conn.execute(statement)).first() is not None
