"""Venues: who may use a venue and how many people it holds.

`VenueDirectory.get` is what other domains call. Without VENUE_SERVICE_URL the
local `venues` table is the source of truth (same tenant = access).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select

from event_service.db.engine import Database
from event_service.db.tables import venues
from event_service.platform.auth import Principal
from event_service.platform.errors import ValidationFailed


@dataclass(frozen=True)
class Venue:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    slug: str
    max_capacity: int

    @classmethod
    def from_row(cls, row: Any) -> Venue:
        return cls(row.id, row.tenant_id, row.name, row.slug, row.max_capacity)


class VenueDirectory:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, principal: Principal, venue_id: uuid.UUID) -> Venue:
        """The venue if the caller may use it; 422 on field venue_id if there is none."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(venues).where(venues.c.id == venue_id, venues.c.tenant_id == principal.tenant_id)
                )
            ).one_or_none()
        if row is None:
            raise ValidationFailed.field("venue_id", "Invalid venue or no access")
        return Venue.from_row(row)


def get_venue_directory(request: Request) -> VenueDirectory:
    directory: VenueDirectory | None = getattr(request.app.state, "venues", None)
    if directory is None:
        directory = request.app.state.venues = VenueDirectory(request.app.state.db)
    return directory


Venues = Annotated[VenueDirectory, Depends(get_venue_directory)]
