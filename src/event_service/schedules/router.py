"""HTTP for schedules (seed endpoints 19-23) and the iCalendar feeds of events and venues."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from event_service.platform.deps import AppCache, CurrentPrincipal, Db
from event_service.platform.responses import JSON
from event_service.schedules import service
from event_service.schedules.schemas import ScheduleCreate, ScheduleUpdate
from event_service.venues.service import Venues

router = APIRouter(tags=["schedules"])

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-cache"},
    )


@router.get("/events/{event_id}/schedules")
async def list_schedules(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"data": await service.list_schedules(db, principal, event_id)})


@router.post("/events/{event_id}/schedules", status_code=201)
async def create_schedule(
    event_id: uuid.UUID, body: ScheduleCreate, principal: CurrentPrincipal, db: Db, venues: Venues, cache: AppCache
) -> JSON:
    created = await service.create_schedule(db, venues, principal, event_id, body, cache=cache)
    return JSON({"data": created}, status_code=201)


@router.get("/events/{event_id}/schedules/upcoming")
async def upcoming_schedules(
    event_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: Db,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> JSON:
    now = datetime.now(UTC)
    return JSON({"data": await service.upcoming_schedules(db, principal, event_id, now, limit)})


@router.get("/events/{event_id}/schedules/next")
async def next_schedule(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"data": await service.next_schedule(db, principal, event_id, datetime.now(UTC))})


@router.get("/events/{event_id}/schedules/{schedule_id}")
async def get_schedule(event_id: uuid.UUID, schedule_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"data": await service.get_schedule(db, principal, event_id, schedule_id)})


@router.put("/events/{event_id}/schedules/{schedule_id}")
async def update_schedule(
    event_id: uuid.UUID,
    schedule_id: uuid.UUID,
    body: ScheduleUpdate,
    principal: CurrentPrincipal,
    db: Db,
    venues: Venues,
    cache: AppCache,
) -> JSON:
    return JSON(await service.update_schedule(db, venues, principal, event_id, schedule_id, body, cache=cache))


@router.get("/events/{event_id}/calendar.ics", response_class=Response)
async def event_calendar(event_id: uuid.UUID, request: Request, principal: CurrentPrincipal, db: Db) -> Response:
    body = await service.event_calendar(db, principal, event_id, str(request.base_url))
    return _ics(body, f"event-{event_id}.ics")


@router.get("/venues/{venue_id}/calendar.ics", response_class=Response)
async def venue_calendar(venue_id: uuid.UUID, request: Request, principal: CurrentPrincipal, db: Db) -> Response:
    body = await service.venue_calendar(db, principal, venue_id, str(request.base_url))
    return _ics(body, f"venue-{venue_id}.ics")
