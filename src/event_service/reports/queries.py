"""The reports' SQL: one aggregate statement per report, every one filtered by tenant.

A sale is a CONFIRMED row of `capacity_reservations` (RELEASED and EXPIRED rows
never count, ACTIVE ones are holds, not sales). Its money, both figures rounded
to cents:
- `revenue` (face value, without fees and tax): the `base_price` the price lock
  recorded (cents(exact unit price x quantity), the figure the customer was
  charged for the tickets themselves); a row without that figure counts
  `unit_price x quantity`; a row with no recorded price counts 0;
- `gross_revenue` (what the customer paid: face value + fees + tax): `total_amount`.
Indexes behind these statements: see tables.py (`ix_capacity_reservations_confirmed`,
`ix_capacity_reservations_customer`) and docs/reports.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    and_,
    case,
    distinct,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Subquery

from event_service.db.tables import (
    capacity_reservations,
    event_capacity,
    event_categories,
    event_pricing,
    event_schedules,
    events,
    venues,
)
from event_service.reports.schemas import ReportFilters

R = capacity_reservations
E = events
ZERO = literal(0, Numeric(12, 2))


def face_value() -> ColumnElement[Any]:
    """One sale's revenue without fees and tax (see the module docstring)."""
    locked_base = R.c.locked_price_data["base_price"].astext.cast(Numeric)
    return func.coalesce(locked_base, R.c.unit_price * R.c.quantity, ZERO)


def gross_value() -> ColumnElement[Any]:
    return func.coalesce(R.c.total_amount, ZERO)


def money_sum(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.round(func.coalesce(func.sum(value), ZERO), 2)


def _confirmed(tenant_id: uuid.UUID, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The WHERE of "sales in the tenant in the date window" (indexed: tenant_id, status, confirmed_at)."""
    conditions: list[ColumnElement[bool]] = [R.c.tenant_id == tenant_id, R.c.status == "CONFIRMED"]
    if filters.confirmed_from is not None:
        conditions.append(R.c.confirmed_at >= filters.confirmed_from)
    if filters.confirmed_before is not None:
        conditions.append(R.c.confirmed_at < filters.confirmed_before)
    if filters.event_id is not None:
        conditions.append(R.c.event_id == filters.event_id)
    return conditions


def _listed_events(tenant_id: uuid.UUID, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The tenant's events a report covers: not soft-deleted, narrowed by venue and event."""
    conditions: list[ColumnElement[bool]] = [E.c.tenant_id == tenant_id, E.c.deleted_at.is_(None)]
    if filters.venue_id is not None:
        conditions.append(E.c.venue_id == filters.venue_id)
    if filters.event_id is not None:
        conditions.append(E.c.id == filters.event_id)
    return conditions


def _sales_per_event(tenant_id: uuid.UUID, filters: ReportFilters, name: str = "sales") -> Subquery:
    """Tickets and money per event, from the confirmed rows only."""
    return (
        select(
            R.c.event_id,
            func.sum(R.c.quantity).label("tickets_sold"),
            func.sum(face_value()).label("revenue"),
            func.sum(gross_value()).label("gross_revenue"),
        )
        .where(*_confirmed(tenant_id, filters))
        .group_by(R.c.event_id)
        .subquery(name)
    )


async def _all(conn: AsyncConnection, statement: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in (await conn.execute(statement)).mappings()]


async def sales_by_event(conn: AsyncConnection, tenant_id: uuid.UUID, filters: ReportFilters) -> list[dict[str, Any]]:
    """Report 27: every event the filters cover, with its tickets sold and revenue (zeros when none)."""
    sales = _sales_per_event(tenant_id, filters)
    tickets = func.coalesce(sales.c.tickets_sold, 0)
    revenue = func.round(func.coalesce(sales.c.revenue, ZERO), 2)
    statement = (
        select(
            E.c.id,
            E.c.name.label("event_name"),
            E.c.venue_id,
            tickets.label("tickets_sold"),
            revenue.label("revenue"),
            func.round(func.coalesce(sales.c.gross_revenue, ZERO), 2).label("gross_revenue"),
        )
        .select_from(E.outerjoin(sales, sales.c.event_id == E.c.id))
        .where(*_listed_events(tenant_id, filters))
        .order_by(revenue.desc(), tickets.desc(), E.c.name, E.c.id)
    )
    return await _all(conn, statement)


async def venue_comparison(conn: AsyncConnection, tenant_id: uuid.UUID, filters: ReportFilters) -> list[dict[str, Any]]:
    """Report 28: per venue, its events, tickets sold (in the window) and capacity of all its sections."""
    sales = _sales_per_event(tenant_id, filters)
    capacity = (
        select(event_capacity.c.event_id, func.sum(event_capacity.c.total_capacity).label("total_capacity"))
        .where(event_capacity.c.tenant_id == tenant_id)
        .group_by(event_capacity.c.event_id)
        .subquery("capacity")
    )
    total_sold = func.coalesce(func.sum(sales.c.tickets_sold), 0)
    statement = (
        select(
            E.c.venue_id,
            venues.c.name.label("venue_name"),
            func.count(E.c.id).label("event_count"),
            total_sold.label("total_sold"),
            func.coalesce(func.sum(capacity.c.total_capacity), 0).label("total_capacity"),
            money_sum(sales.c.revenue).label("revenue"),
            money_sum(sales.c.gross_revenue).label("gross_revenue"),
        )
        .select_from(
            E.outerjoin(sales, sales.c.event_id == E.c.id)
            .outerjoin(capacity, capacity.c.event_id == E.c.id)
            .outerjoin(venues, and_(venues.c.id == E.c.venue_id, venues.c.tenant_id == tenant_id))
        )
        .where(*_listed_events(tenant_id, filters))
        .group_by(E.c.venue_id, venues.c.name)
        .order_by(total_sold.desc(), venues.c.name, E.c.venue_id)
    )
    return await _all(conn, statement)


async def sales_by_category(
    conn: AsyncConnection, tenant_id: uuid.UUID, filters: ReportFilters
) -> list[dict[str, Any]]:
    """Report 29: per primary category of the events sold, tickets, average face price and buyers."""
    category = func.coalesce(event_categories.c.name, "Uncategorized")
    tickets = func.sum(R.c.quantity)
    revenue = func.sum(face_value())
    statement = (
        select(
            event_categories.c.id.label("category_id"),
            category.label("category"),
            tickets.label("tickets_sold"),
            func.round(revenue / tickets, 2).label("avg_ticket_price"),
            func.round(revenue, 2).label("revenue"),
            func.round(func.sum(gross_value()), 2).label("gross_revenue"),
            func.count(distinct(R.c.user_id)).label("customers"),
        )
        .select_from(
            R.join(E, and_(E.c.id == R.c.event_id, E.c.tenant_id == tenant_id)).outerjoin(
                event_categories, event_categories.c.id == E.c.primary_category_id
            )
        )
        .where(*_confirmed(tenant_id, filters), *_listed_events(tenant_id, filters))
        .group_by(event_categories.c.id, event_categories.c.name)
        .order_by(tickets.desc(), category, event_categories.c.id)
    )
    return await _all(conn, statement)


async def venue_dashboard(
    conn: AsyncConnection, tenant_id: uuid.UUID, venue_id: uuid.UUID, filters: ReportFilters
) -> dict[str, Any] | None:
    """Report 30: the venue's live counters summed over every section of its events; None: no such venue."""
    C = event_capacity
    on_event = [E.c.venue_id == venues.c.id, E.c.tenant_id == tenant_id, E.c.deleted_at.is_(None)]
    if filters.event_id is not None:
        on_event.append(E.c.id == filters.event_id)
    statement = (
        select(
            venues.c.id,
            venues.c.name,
            func.count(distinct(E.c.id)).label("events"),
            func.coalesce(func.sum(C.c.total_capacity), 0).label("total_capacity"),
            func.coalesce(func.sum(C.c.sold_count), 0).label("total_sold"),
            func.coalesce(func.sum(C.c.reserved_capacity), 0).label("total_reserved"),
            func.coalesce(func.sum(C.c.available_capacity), 0).label("available"),
        )
        .select_from(
            venues.outerjoin(E, and_(*on_event)).outerjoin(C, and_(C.c.event_id == E.c.id, C.c.tenant_id == tenant_id))
        )
        .where(venues.c.tenant_id == tenant_id, venues.c.id == venue_id)
        .group_by(venues.c.id, venues.c.name)
    )
    row = (await conn.execute(statement)).mappings().one_or_none()
    return dict(row) if row is not None else None


async def venue_analytics(
    conn: AsyncConnection, tenant_id: uuid.UUID, venue_id: uuid.UUID, filters: ReportFilters
) -> dict[str, Any] | None:
    """Report 31: the venue's events, tickets sold and revenue (in the window); None: no such venue."""
    venue_events = select(E.c.id).where(E.c.tenant_id == tenant_id, E.c.venue_id == venue_id)
    sales = (
        select(
            R.c.event_id,
            func.sum(R.c.quantity).label("tickets_sold"),
            func.sum(face_value()).label("revenue"),
            func.sum(gross_value()).label("gross_revenue"),
        )
        .where(*_confirmed(tenant_id, filters), R.c.event_id.in_(venue_events.scalar_subquery()))
        .group_by(R.c.event_id)
        .subquery("sales")
    )
    on_event = [E.c.venue_id == venues.c.id, E.c.tenant_id == tenant_id, E.c.deleted_at.is_(None)]
    if filters.event_id is not None:
        on_event.append(E.c.id == filters.event_id)
    statement = (
        select(
            venues.c.id,
            func.count(E.c.id).label("total_events"),
            money_sum(sales.c.revenue).label("total_revenue"),
            func.coalesce(func.sum(sales.c.tickets_sold), 0).label("total_tickets_sold"),
            money_sum(sales.c.gross_revenue).label("total_gross_revenue"),
        )
        .select_from(venues.outerjoin(E, and_(*on_event)).outerjoin(sales, sales.c.event_id == E.c.id))
        .where(venues.c.tenant_id == tenant_id, venues.c.id == venue_id)
        .group_by(venues.c.id)
    )
    row = (await conn.execute(statement)).mappings().one_or_none()
    return dict(row) if row is not None else None


async def customer_profile(
    conn: AsyncConnection, tenant_id: uuid.UUID, user_id: uuid.UUID, recent: int
) -> list[dict[str, Any]]:
    """Report 26, one statement: the customer's totals on every row, joined to their `recent` latest purchases.

    At least one row comes back (the totals, zeros for a customer with none);
    its purchase columns are NULL when there is no purchase. Purchases of
    soft-deleted events stay in the customer's history.
    """
    mine = [R.c.tenant_id == tenant_id, R.c.user_id == user_id, R.c.status == "CONFIRMED"]
    totals = (
        select(
            func.count().label("total_purchases"),
            func.coalesce(func.sum(R.c.quantity), 0).label("total_tickets"),
            money_sum(gross_value()).label("total_spent"),
        )
        .where(*mine)
        .subquery("totals")
    )
    S = event_schedules.alias("schedule")
    first_start = (
        select(func.min(event_schedules.c.starts_at))
        .where(event_schedules.c.tenant_id == tenant_id, event_schedules.c.event_id == R.c.event_id)
        .scalar_subquery()
    )
    C = event_capacity
    P = event_pricing
    latest = (
        select(
            R.c.id.label("reservation_id"),
            R.c.event_id,
            E.c.name.label("event_name"),
            func.coalesce(S.c.starts_at, first_start).label("starts_at"),
            func.coalesce(P.c.name, C.c.tier, C.c.section_name).label("tier_name"),
            R.c.unit_price.label("price"),
            R.c.quantity,
            R.c.total_amount,
            R.c.currency,
            R.c.confirmed_at,
        )
        .select_from(
            R.join(E, and_(E.c.id == R.c.event_id, E.c.tenant_id == tenant_id))
            .outerjoin(S, and_(S.c.id == R.c.schedule_id, S.c.tenant_id == tenant_id))
            .outerjoin(P, and_(P.c.id == R.c.pricing_id, P.c.tenant_id == tenant_id))
            .outerjoin(C, and_(C.c.id == R.c.capacity_id, C.c.tenant_id == tenant_id))
        )
        .where(*mine)
        .order_by(R.c.confirmed_at.desc(), R.c.id.desc())
        .limit(recent)
        .subquery("latest")
    )
    statement = (
        select(totals, latest)
        .select_from(totals.outerjoin(latest, true()))
        .order_by(
            case((latest.c.confirmed_at.is_(None), 1), else_=0),
            latest.c.confirmed_at.desc(),
            latest.c.reservation_id.desc(),
        )
    )
    return await _all(conn, statement)
