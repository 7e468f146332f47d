"""Report use cases (seed endpoints 26-31): who may read what, and the answers' shapes.

Every figure comes from the database (reports/queries.py, one statement per
report); nothing here is fixed or mock data. docs/reports.md says what each counts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from event_service.db.engine import Database
from event_service.platform.auth import ORGANIZER, Principal
from event_service.platform.errors import Forbidden, NotFound
from event_service.reports import queries
from event_service.reports.schemas import (
    CUSTOMER_INSIGHTS_FIELDS,
    RECENT_PURCHASE_FIELDS,
    SALES_FIELDS,
    VENUE_COMPARISON_FIELDS,
    ReportFilters,
    row_view,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _staff_only(principal: Principal) -> None:
    """Reports are for organizers and admins of the tenant; customers and services get 403."""
    principal.require(ORGANIZER)


async def customer_profile(db: Database, principal: Principal, customer_id: uuid.UUID, recent: int) -> dict[str, Any]:
    """A customer reads only their own profile (another id: 403); organizers and admins any in their tenant."""
    if not principal.is_staff and principal.user_uuid != customer_id:
        raise Forbidden("A customer may read only their own profile")
    async with db.read() as conn:
        rows = await queries.customer_profile(conn, principal.tenant_id, customer_id, recent)
    totals = rows[0]
    return {
        "customerId": str(customer_id),
        "profile": {
            "total_purchases": totals["total_purchases"],
            "total_tickets": totals["total_tickets"],
            "total_spent": totals["total_spent"],
            "recent_purchases": [
                row_view(row, RECENT_PURCHASE_FIELDS) for row in rows if row["reservation_id"] is not None
            ],
        },
    }


async def sales_report(db: Database, principal: Principal, filters: ReportFilters) -> list[dict[str, Any]]:
    _staff_only(principal)
    async with db.read() as conn:
        rows = await queries.sales_by_event(conn, principal.tenant_id, filters)
    return [row_view(row, SALES_FIELDS) for row in rows]


async def venue_comparison(db: Database, principal: Principal, filters: ReportFilters) -> list[dict[str, Any]]:
    _staff_only(principal)
    async with db.read() as conn:
        rows = await queries.venue_comparison(conn, principal.tenant_id, filters)
    return [row_view(row, VENUE_COMPARISON_FIELDS) for row in rows]


async def customer_insights(db: Database, principal: Principal, filters: ReportFilters) -> list[dict[str, Any]]:
    _staff_only(principal)
    async with db.read() as conn:
        rows = await queries.sales_by_category(conn, principal.tenant_id, filters)
    return [row_view(row, CUSTOMER_INSIGHTS_FIELDS) for row in rows]


def report(kind: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    """The seed's envelope of reports 27-29."""
    return {"report": {"type": kind, "data": data, "generated_at": _now()}}


async def venue_dashboard(
    db: Database, principal: Principal, venue_id: uuid.UUID, filters: ReportFilters
) -> dict[str, Any]:
    _staff_only(principal)
    async with db.read() as conn:
        row = await queries.venue_dashboard(conn, principal.tenant_id, venue_id, filters)
    if row is None:
        raise NotFound("Venue")
    return {
        "venue": {"id": str(row["id"]), "name": row["name"]},
        "events": row["events"],
        "stats": {
            "total_capacity": row["total_capacity"],
            "total_sold": row["total_sold"],
            "total_reserved": row["total_reserved"],
            "available": row["available"],
        },
        "generated_at": _now(),
    }


async def venue_analytics(
    db: Database, principal: Principal, venue_id: uuid.UUID, filters: ReportFilters
) -> dict[str, Any]:
    _staff_only(principal)
    async with db.read() as conn:
        row = await queries.venue_analytics(conn, principal.tenant_id, venue_id, filters)
    if row is None:
        raise NotFound("Venue")
    return {
        "venueId": str(row["id"]),
        "analytics": {
            "total_events": row["total_events"],
            "total_revenue": row["total_revenue"],
            "total_tickets_sold": row["total_tickets_sold"],
            "total_gross_revenue": row["total_gross_revenue"],
        },
        "generated_at": _now(),
    }


def dashboard_csv_row(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "venue_id": answer["venue"]["id"],
        "venue_name": answer["venue"]["name"],
        "events": answer["events"],
        **answer["stats"],
    }


def analytics_csv_row(answer: dict[str, Any]) -> dict[str, Any]:
    return {"venue_id": answer["venueId"], **answer["analytics"]}
