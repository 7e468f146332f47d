"""HTTP of the analytics endpoints (seed 26-31) and the notification placeholders (seed 32-34)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from event_service.platform.deps import CurrentPrincipal, Db
from event_service.platform.errors import NotImplementedYet
from event_service.platform.responses import JSON
from event_service.reports import service
from event_service.reports.schemas import (
    ANALYTICS_CSV_FIELDS,
    CUSTOMER_INSIGHTS_FIELDS,
    DASHBOARD_CSV_FIELDS,
    RECENT_PURCHASES_DEFAULT,
    RECENT_PURCHASES_MAX,
    SALES_FIELDS,
    VENUE_COMPARISON_FIELDS,
    ReportFilters,
    ReportFormat,
    to_csv,
)

router = APIRouter(tags=["reports"])

NOTIFICATIONS_MESSAGE = "This endpoint is a placeholder. Use the notification-service."


def report_filters(
    date_from: Annotated[date | None, Query(alias="from", description="UTC day, inclusive, on confirmed_at")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="UTC day, inclusive, on confirmed_at")] = None,
    venue_id: Annotated[uuid.UUID | None, Query()] = None,
    event_id: Annotated[uuid.UUID | None, Query()] = None,
) -> ReportFilters:
    return ReportFilters(date_from=date_from, date_to=date_to, venue_id=venue_id, event_id=event_id)


def venue_report_filters(
    date_from: Annotated[date | None, Query(alias="from", description="UTC day, inclusive, on confirmed_at")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="UTC day, inclusive, on confirmed_at")] = None,
    event_id: Annotated[uuid.UUID | None, Query()] = None,
) -> ReportFilters:
    return ReportFilters(date_from=date_from, date_to=date_to, event_id=event_id)


def dashboard_filters(event_id: Annotated[uuid.UUID | None, Query()] = None) -> ReportFilters:
    """The dashboard is the live state of the sections: no date window."""
    return ReportFilters(event_id=event_id)


Filters = Annotated[ReportFilters, Depends(report_filters)]
VenueFilters = Annotated[ReportFilters, Depends(venue_report_filters)]
DashboardFilters = Annotated[ReportFilters, Depends(dashboard_filters)]
Format = Annotated[ReportFormat, Query(description="json (default) or csv")]


def csv_response(name: str, fields: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Response:
    return Response(
        to_csv(fields, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _rows_answer(format: str, key: str, csv_name: str, fields: Sequence[str], rows: list[dict[str, Any]]) -> Response:
    """A tenant report's rows, as JSON ({"<key>": ...}) or, with ?format=csv, as CSV with a header line."""
    return csv_response(csv_name, fields, rows) if format == "csv" else JSON(service.report(key, rows))


@router.get("/customers/{customer_id}/profile")
async def customer_profile(
    customer_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=RECENT_PURCHASES_MAX)] = RECENT_PURCHASES_DEFAULT,
) -> JSON:
    return JSON(await service.customer_profile(db, principal, customer_id, limit))


@router.get("/reports/sales", response_model=None)
async def sales_report(principal: CurrentPrincipal, db: Db, filters: Filters, format: Format = "json") -> Response:
    rows = await service.sales_report(db, principal, filters)
    return _rows_answer(format, "sales", "sales-report", SALES_FIELDS, rows)


@router.get("/reports/venue-comparison", response_model=None)
async def venue_comparison(principal: CurrentPrincipal, db: Db, filters: Filters, format: Format = "json") -> Response:
    rows = await service.venue_comparison(db, principal, filters)
    return _rows_answer(format, "venue_comparison", "venue-comparison", VENUE_COMPARISON_FIELDS, rows)


@router.get("/reports/customer-insights", response_model=None)
async def customer_insights(principal: CurrentPrincipal, db: Db, filters: Filters, format: Format = "json") -> Response:
    rows = await service.customer_insights(db, principal, filters)
    return _rows_answer(format, "customer_insights", "customer-insights", CUSTOMER_INSIGHTS_FIELDS, rows)


@router.get("/venues/{venue_id}/dashboard", response_model=None)
async def venue_dashboard(
    venue_id: uuid.UUID, principal: CurrentPrincipal, db: Db, filters: DashboardFilters, format: Format = "json"
) -> Response:
    answer = await service.venue_dashboard(db, principal, venue_id, filters)
    if format == "csv":
        return csv_response("venue-dashboard", DASHBOARD_CSV_FIELDS, [service.dashboard_csv_row(answer)])
    return JSON(answer)


@router.get("/venues/{venue_id}/analytics", response_model=None)
async def venue_analytics(
    venue_id: uuid.UUID, principal: CurrentPrincipal, db: Db, filters: VenueFilters, format: Format = "json"
) -> Response:
    answer = await service.venue_analytics(db, principal, venue_id, filters)
    if format == "csv":
        return csv_response("venue-analytics", ANALYTICS_CSV_FIELDS, [service.analytics_csv_row(answer)])
    return JSON(answer)


# --- notifications (seed 32-34): placeholders, the notification-service owns them ----------------


@router.post("/notifications", tags=["notifications"])
async def send_notification(principal: CurrentPrincipal) -> JSON:
    raise NotImplementedYet(NOTIFICATIONS_MESSAGE)


@router.get("/users/{user_id}/notifications", tags=["notifications"])
async def list_user_notifications(user_id: str, principal: CurrentPrincipal) -> JSON:
    raise NotImplementedYet(NOTIFICATIONS_MESSAGE)


@router.put("/notifications/{notification_id}/read", tags=["notifications"])
async def mark_notification_read(notification_id: str, principal: CurrentPrincipal) -> JSON:
    raise NotImplementedYet(NOTIFICATIONS_MESSAGE)
