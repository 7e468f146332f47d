"""HTTP for events (seed endpoints 1-7) plus restore, metadata and the audit trail."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from event_service.db.tables import EVENT_STATUSES
from event_service.events import service
from event_service.events.queries import EventFilters
from event_service.events.schemas import EventCreate, EventUpdate, MetadataUpdate, Visibility
from event_service.platform.deps import AppCache, CurrentPrincipal, Db, Meta
from event_service.platform.errors import ValidationFailed
from event_service.platform.responses import JSON
from event_service.venues.service import Venues

router = APIRouter(tags=["events"])

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Sort = Literal["created_at", "starts_at", "priority", "relevance"]


def _max_days(request: Request) -> int:
    days: int = request.app.state.settings.max_event_advance_days
    return days


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _statuses(raw: str | None) -> tuple[str, ...] | None:
    """`status=ON_SALE` or `status=ON_SALE,SOLD_OUT`."""
    if not raw:
        return None
    values = tuple(v.strip().upper() for v in raw.split(",") if v.strip())
    unknown = [v for v in values if v not in EVENT_STATUSES]
    if unknown:
        raise ValidationFailed.field("status", f"unknown status: {', '.join(unknown)}")
    return values


def _filters(
    status: str | None,
    category: str | None,
    visibility: Visibility | None,
    is_featured: bool | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
    q: str | None,
    sort: Sort | None,
    venue_id: uuid.UUID | None = None,
) -> EventFilters:
    category_id: uuid.UUID | None = None
    category_slug: str | None = None
    for field, value in (("category", category), ("q", q)):
        if value is not None and "\x00" in value:
            raise ValidationFailed.field(field, "must not contain NUL characters")
    if category:
        try:
            category_id = uuid.UUID(category)
        except ValueError:
            category_slug = category.strip().lower()
    q = q.strip() if q else None
    if sort is None:
        sort = "relevance" if q else "priority" if is_featured else "created_at"
    return EventFilters(
        statuses=_statuses(status),
        venue_id=venue_id,
        category_id=category_id,
        category_slug=category_slug,
        visibility=visibility,
        is_featured=is_featured,
        starts_from=_utc(starts_from),
        starts_to=_utc(starts_to),
        q=q or None,
        sort=sort,
    )


@router.post("/events", status_code=201)
async def create_event(
    body: EventCreate,
    request: Request,
    principal: CurrentPrincipal,
    db: Db,
    venues: Venues,
    meta: Meta,
    cache: AppCache,
) -> JSON:
    event = await service.create_event(db, venues, principal, meta, body, cache=cache, max_days=_max_days(request))
    return JSON({"event": event}, status_code=201)


@router.get("/events")
async def list_events(
    principal: CurrentPrincipal,
    db: Db,
    limit: Limit = 20,
    offset: Offset = 0,
    status: Annotated[str | None, Query(max_length=200)] = None,
    venue_id: uuid.UUID | None = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    visibility: Visibility | None = None,
    is_featured: bool | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Sort | None = None,
) -> JSON:
    filters = _filters(status, category, visibility, is_featured, starts_from, starts_to, q, sort, venue_id)
    page = await service.list_events(db, principal, filters, limit=limit, offset=offset)
    return JSON(page.body("events"))


@router.get("/venues/{venue_id}/events")
async def list_venue_events(
    venue_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: Db,
    venues: Venues,
    limit: Limit = 20,
    offset: Offset = 0,
    status: Annotated[str | None, Query(max_length=200)] = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    sort: Sort | None = None,
) -> JSON:
    filters = _filters(status, None, None, None, starts_from, starts_to, None, sort)
    page = await service.list_venue_events(db, venues, principal, venue_id, filters, limit=limit, offset=offset)
    return JSON(page.body("events"))


@router.get("/events/{event_id}")
async def get_event(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db, cache: AppCache) -> JSON:
    return JSON({"event": await service.get_event(db, cache, principal, event_id)})


@router.put("/events/{event_id}")
async def update_event(
    event_id: uuid.UUID,
    body: EventUpdate,
    request: Request,
    principal: CurrentPrincipal,
    db: Db,
    venues: Venues,
    meta: Meta,
    cache: AppCache,
) -> JSON:
    event = await service.update_event(
        db, venues, principal, meta, event_id, body, cache=cache, max_days=_max_days(request)
    )
    return JSON({"event": event})


@router.delete("/events/{event_id}", status_code=204)
async def delete_event(
    event_id: uuid.UUID, principal: CurrentPrincipal, db: Db, venues: Venues, meta: Meta, cache: AppCache
) -> Response:
    await service.delete_event(db, venues, principal, meta, event_id, cache=cache)
    return Response(status_code=204)


@router.post("/events/{event_id}/publish")
async def publish_event(
    event_id: uuid.UUID, principal: CurrentPrincipal, db: Db, venues: Venues, meta: Meta, cache: AppCache
) -> JSON:
    return JSON({"event": await service.publish_event(db, venues, principal, meta, event_id, cache=cache)})


@router.post("/events/{event_id}/restore")
async def restore_event(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db, meta: Meta, cache: AppCache) -> JSON:
    return JSON({"event": await service.restore_event(db, principal, meta, event_id, cache=cache)})


@router.get("/events/{event_id}/metadata")
async def get_metadata(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"metadata": await service.get_metadata(db, principal, event_id)})


@router.put("/events/{event_id}/metadata")
async def update_metadata(
    event_id: uuid.UUID,
    body: MetadataUpdate,
    principal: CurrentPrincipal,
    db: Db,
    venues: Venues,
    meta: Meta,
    cache: AppCache,
) -> JSON:
    metadata = await service.update_metadata(db, venues, principal, meta, event_id, body, cache=cache)
    return JSON({"metadata": metadata})


@router.get("/events/{event_id}/audit")
async def event_audit(
    event_id: uuid.UUID, principal: CurrentPrincipal, db: Db, limit: Limit = 50, offset: Offset = 0
) -> JSON:
    page = await service.event_audit(db, principal, event_id, limit=limit, offset=offset)
    return JSON(page.body("audit_logs"))
