"""HTTP for venues: the local registry, and reads through the venue service when it is configured.

`GET /venues/{venue_id}/events` belongs to the events domain.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from event_service.platform.deps import CurrentPrincipal
from event_service.platform.responses import JSON
from event_service.venues.schemas import VenueCreate
from event_service.venues.service import Venues

router = APIRouter(prefix="/venues", tags=["venues"])


@router.post("", status_code=201)
async def create_venue(body: VenueCreate, principal: CurrentPrincipal, directory: Venues) -> JSON:
    principal.require()  # admin only
    venue = await directory.create(principal, body)
    return JSON({"venue": venue.as_dict()}, status_code=201)


@router.get("")
async def list_venues(
    principal: CurrentPrincipal,
    directory: Venues,
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> JSON:
    venues, total = await directory.list_venues(principal, limit=limit, offset=offset)
    return JSON(
        {
            "venues": [venue.as_dict() for venue in venues],
            "pagination": {"limit": limit, "offset": offset, "total": total},
        }
    )


@router.get("/{venue_id}")
async def get_venue(venue_id: uuid.UUID, principal: CurrentPrincipal, directory: Venues) -> JSON:
    venue = await directory.read(principal, venue_id)
    return JSON({"venue": venue.as_dict()})
