"""HTTP of the capacity endpoints (seed 8-11, 13). Reserve (12) is in reservations/router.py."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from event_service.capacity import service
from event_service.capacity.schemas import CheckBody, CreateSection, UpdateSection
from event_service.platform.deps import AppCache, CurrentPrincipal, Db
from event_service.platform.responses import JSON
from event_service.venues.service import Venues

router = APIRouter(tags=["capacity"])


@router.get("/events/{event_id}/capacity")
async def get_event_capacity(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"capacity": await service.list_sections(db, principal, event_id)})


@router.post("/events/{event_id}/capacity", status_code=201)
async def create_capacity(
    event_id: uuid.UUID, body: CreateSection, principal: CurrentPrincipal, db: Db, venues: Venues, cache: AppCache
) -> JSON:
    section = await service.create_section(db, venues, principal, event_id, body, cache=cache)
    return JSON({"capacity": section}, status_code=201)


@router.get("/events/{event_id}/capacity/total")
async def get_total_capacity(event_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON(await service.event_totals(db, principal, event_id))


@router.put("/capacity/{capacity_id}")
async def update_capacity(
    capacity_id: uuid.UUID, body: UpdateSection, principal: CurrentPrincipal, db: Db, venues: Venues, cache: AppCache
) -> JSON:
    return JSON({"capacity": await service.update_section(db, venues, principal, capacity_id, body, cache=cache)})


@router.post("/capacity/{capacity_id}/check")
async def check_availability(capacity_id: uuid.UUID, body: CheckBody, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON(await service.check(db, principal, capacity_id, body.quantity))
