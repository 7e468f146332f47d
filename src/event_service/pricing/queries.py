"""SQL of the pricing domain: functions of a connection, tenant always a required argument; no rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, insert, or_, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import capacity_reservations, event_capacity, event_pricing, event_schedules, events

# Reservations that count against a customer's max_per_customer.
HELD_STATUSES = ("ACTIVE", "CONFIRMED")


async def live_event(conn: AsyncConnection, tenant_id: UUID, event_id: UUID) -> RowMapping | None:
    """The event if it exists in the tenant and is not soft-deleted."""
    query = select(events.c.id, events.c.status).where(
        events.c.tenant_id == tenant_id, events.c.id == event_id, events.c.deleted_at.is_(None)
    )
    return (await conn.execute(query)).mappings().first()


async def get_pricing(
    conn: AsyncConnection, tenant_id: UUID, pricing_id: UUID, *, for_update: bool = False
) -> RowMapping | None:
    query = select(event_pricing).where(event_pricing.c.tenant_id == tenant_id, event_pricing.c.id == pricing_id)
    if for_update:
        query = query.with_for_update()
    return (await conn.execute(query)).mappings().first()


async def list_pricing(
    conn: AsyncConnection,
    tenant_id: UUID,
    event_id: UUID,
    *,
    visible_only: bool = False,
    on_sale_at: datetime | None = None,
) -> list[RowMapping]:
    """The event's tiers in display order; `on_sale_at` keeps only active, visible tiers on sale then."""
    query = select(event_pricing).where(event_pricing.c.tenant_id == tenant_id, event_pricing.c.event_id == event_id)
    if visible_only:
        query = query.where(event_pricing.c.is_visible.is_(True))
    if on_sale_at is not None:
        query = query.where(
            event_pricing.c.is_active.is_(True),
            event_pricing.c.is_visible.is_(True),
            or_(event_pricing.c.sales_start_at.is_(None), event_pricing.c.sales_start_at <= on_sale_at),
            or_(event_pricing.c.sales_end_at.is_(None), event_pricing.c.sales_end_at >= on_sale_at),
        )
    query = query.order_by(event_pricing.c.display_order, event_pricing.c.created_at, event_pricing.c.id)
    return list((await conn.execute(query)).mappings().all())


async def list_ticket_types(
    conn: AsyncConnection, tenant_id: UUID, event_id: UUID, *, visible_only: bool = False
) -> list[RowMapping]:
    """The event's tiers with their linked section's size and availability (legacy ticket types)."""
    query = (
        select(
            event_pricing,
            event_capacity.c.total_capacity.label("section_total_capacity"),
            event_capacity.c.available_capacity.label("section_available_capacity"),
        )
        .select_from(
            event_pricing.outerjoin(
                event_capacity,
                and_(
                    event_capacity.c.id == event_pricing.c.capacity_id,
                    event_capacity.c.tenant_id == event_pricing.c.tenant_id,
                ),
            )
        )
        .where(event_pricing.c.tenant_id == tenant_id, event_pricing.c.event_id == event_id)
        .order_by(event_pricing.c.display_order, event_pricing.c.created_at, event_pricing.c.id)
    )
    if visible_only:
        query = query.where(event_pricing.c.is_visible.is_(True))
    return list((await conn.execute(query)).mappings().all())


async def insert_pricing(conn: AsyncConnection, tenant_id: UUID, values: dict[str, Any]) -> RowMapping:
    query = insert(event_pricing).values(tenant_id=tenant_id, **values).returning(event_pricing)
    row: RowMapping = (await conn.execute(query)).mappings().one()
    return row


async def update_pricing(
    conn: AsyncConnection, tenant_id: UUID, pricing_id: UUID, values: dict[str, Any]
) -> RowMapping:
    query = (
        update(event_pricing)
        .where(event_pricing.c.tenant_id == tenant_id, event_pricing.c.id == pricing_id)
        .values(**values)
        .returning(event_pricing)
    )
    row: RowMapping = (await conn.execute(query)).mappings().one()
    return row


async def get_section(conn: AsyncConnection, tenant_id: UUID, capacity_id: UUID) -> RowMapping | None:
    query = select(
        event_capacity.c.id,
        event_capacity.c.event_id,
        event_capacity.c.schedule_id,
        event_capacity.c.total_capacity,
        event_capacity.c.sold_count,
    ).where(event_capacity.c.tenant_id == tenant_id, event_capacity.c.id == capacity_id)
    return (await conn.execute(query)).mappings().first()


async def default_tier_for_section(
    conn: AsyncConnection, tenant_id: UUID, event_id: UUID, capacity_id: UUID
) -> RowMapping | None:
    """The tier a section sells at when a sale names none: its own tier first, then an event-wide one."""
    section_schedule = (
        select(event_capacity.c.schedule_id)
        .where(event_capacity.c.tenant_id == tenant_id, event_capacity.c.id == capacity_id)
        .scalar_subquery()
    )
    query = (
        select(event_pricing)
        .where(
            event_pricing.c.tenant_id == tenant_id,
            event_pricing.c.event_id == event_id,
            event_pricing.c.is_active.is_(True),
            (event_pricing.c.capacity_id == capacity_id)
            | (
                event_pricing.c.capacity_id.is_(None)
                & (event_pricing.c.schedule_id.is_(None) | (event_pricing.c.schedule_id == section_schedule))
            ),
        )
        .order_by(
            event_pricing.c.capacity_id.is_(None),
            event_pricing.c.display_order,
            event_pricing.c.created_at,
        )
        .limit(1)
    )
    return (await conn.execute(query)).mappings().first()


async def get_schedule(conn: AsyncConnection, tenant_id: UUID, schedule_id: UUID) -> RowMapping | None:
    query = select(event_schedules.c.id, event_schedules.c.event_id, event_schedules.c.starts_at).where(
        event_schedules.c.tenant_id == tenant_id, event_schedules.c.id == schedule_id
    )
    return (await conn.execute(query)).mappings().first()


async def next_start(conn: AsyncConnection, tenant_id: UUID, event_id: UUID, after: datetime) -> datetime | None:
    """The first start of the event's schedules at or after `after` (None when it has none)."""
    query = select(func.min(event_schedules.c.starts_at)).where(
        event_schedules.c.tenant_id == tenant_id,
        event_schedules.c.event_id == event_id,
        event_schedules.c.starts_at >= after,
    )
    value: datetime | None = (await conn.execute(query)).scalar_one()
    return value


async def serialize_customer_tier(conn: AsyncConnection, tenant_id: UUID, pricing_id: UUID, user_id: UUID) -> None:
    """Transaction-scoped advisory lock on (tenant, tier, customer).

    Two concurrent reservations of one customer for one tier would otherwise
    both read the same held quantity and together pass max_per_customer. Only
    that customer's reservations of that tier wait; everybody else goes on.
    """
    await conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"pricing-customer:{tenant_id}:{pricing_id}:{user_id}"},
    )


async def customer_held_quantity(conn: AsyncConnection, tenant_id: UUID, pricing_id: UUID, user_id: UUID) -> int:
    """Tickets of this tier the customer holds in ACTIVE or CONFIRMED reservations."""
    query = select(func.coalesce(func.sum(capacity_reservations.c.quantity), 0)).where(
        capacity_reservations.c.tenant_id == tenant_id,
        capacity_reservations.c.pricing_id == pricing_id,
        capacity_reservations.c.user_id == user_id,
        capacity_reservations.c.status.in_(HELD_STATUSES),
    )
    return int((await conn.execute(query)).scalar_one())
