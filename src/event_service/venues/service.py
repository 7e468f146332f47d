"""Venues: who may use a venue and how many people it holds.

`VenueDirectory.get` is what other domains call. Without VENUE_SERVICE_URL the
local `venues` table is the source of truth (same tenant = access). With it,
the venue service decides (the caller's token is forwarded), every venue it
returns is cached in `venues`, and the cached copy serves while the service is
down or its circuit breaker is open (docs/venues.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from slugify import slugify

from event_service.db.engine import Database
from event_service.platform.auth import Principal
from event_service.platform.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from event_service.platform.logging import get_logger
from event_service.settings import Settings
from event_service.venues import queries
from event_service.venues.client import (
    RemoteVenue,
    VenueAccessDenied,
    VenueBreaker,
    VenueServiceClient,
    VenueServiceDown,
)
from event_service.venues.schemas import VenueCreate

log = get_logger("venues")


@dataclass(frozen=True)
class Venue:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    slug: str
    max_capacity: int
    address: Any = None
    timezone: str | None = None
    source: str = "local"
    fetched_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Venue:
        # asyncpg hands back its own UUID subclass; keep plain uuid.UUID (JSON, equality).
        return cls(
            uuid.UUID(str(row.id)),
            uuid.UUID(str(row.tenant_id)),
            row.name,
            row.slug,
            row.max_capacity,
            address=row.address,
            timezone=row.timezone,
            source=row.source,
            fetched_at=row.fetched_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class VenueDirectory:
    def __init__(self, db: Database, remote: VenueServiceClient | None = None) -> None:
        self.db = db
        self.remote = remote

    async def get(self, principal: Principal, venue_id: uuid.UUID) -> Venue:
        """The venue if the caller may use it; 422 on field venue_id if there is none.

        403 when the venue service says the caller has no access; 503 when it
        cannot answer and the venue is not cached.
        """
        venue = await self.find(principal, venue_id)
        if venue is None:
            raise ValidationFailed.field("venue_id", "Invalid venue or no access")
        return venue

    async def find(self, principal: Principal, venue_id: uuid.UUID) -> Venue | None:
        """Like `get`, but None when there is no such venue."""
        if self.remote is None:
            return await self._local(principal.tenant_id, venue_id)
        try:
            fetched = await self.remote.fetch(principal.token, venue_id)
        except VenueAccessDenied as exc:
            raise Forbidden("No access to this venue") from exc
        except VenueServiceDown:
            cached = await self._local(principal.tenant_id, venue_id)
            if cached is None:
                raise ServiceUnavailable("Venue service is unavailable and the venue is not cached") from None
            log.info("venue_served_from_cache", venue_id=str(venue_id), fetched_at=str(cached.fetched_at))
            return cached
        if fetched.venue is None:
            return None
        return await self._remember(principal.tenant_id, venue_id, fetched.venue)

    async def create(self, principal: Principal, body: VenueCreate) -> Venue:
        """Register a venue in the local table (only when it is the source of truth)."""
        if self.remote is not None:
            raise Conflict(
                "Venues are managed by the venue service (VENUE_SERVICE_URL is set); create the venue there",
                code="VENUES_MANAGED_REMOTELY",
            )
        slug = body.slug or slugify(body.name, max_length=200)
        if not slug:
            raise ValidationFailed.field("slug", "Could not derive a slug from the name; give one")
        values: dict[str, Any] = {
            "id": body.id or uuid.uuid4(),
            "name": body.name,
            "slug": slug,
            "max_capacity": body.max_capacity,
            "address": body.address,
            "timezone": body.timezone,
        }
        async with self.db.transaction() as conn:
            row = await queries.insert_venue(conn, principal.tenant_id, values)
        if row is None:
            raise Conflict("A venue with this id already exists")
        return Venue.from_row(row)

    async def read(self, principal: Principal, venue_id: uuid.UUID) -> Venue:
        """GET /venues/{id}: 404 when there is no such venue for the caller."""
        venue = await self.find(principal, venue_id)
        if venue is None:
            raise NotFound("Venue")
        return venue

    async def list_venues(self, principal: Principal, *, limit: int, offset: int) -> tuple[list[Venue], int]:
        """The tenant's venues in the local table (registered, or cached from the venue service)."""
        async with self.db.read() as conn:
            rows, total = await queries.list_venues(conn, principal.tenant_id, limit=limit, offset=offset)
        return [Venue.from_row(row) for row in rows], total

    @property
    def breaker_state(self) -> str | None:
        return self.remote.state if self.remote is not None else None

    async def _local(self, tenant_id: uuid.UUID, venue_id: uuid.UUID) -> Venue | None:
        async with self.db.read() as conn:
            row = await queries.get_venue(conn, tenant_id, venue_id)
        return Venue.from_row(row) if row is not None else None

    async def _remember(self, tenant_id: uuid.UUID, venue_id: uuid.UUID, remote: RemoteVenue) -> Venue:
        """Cache the venue service's answer (after the call: no network inside a transaction)."""
        now = datetime.now(UTC)
        slug = remote.slug or slugify(remote.name, max_length=200) or str(venue_id)
        address = remote.address
        async with self.db.transaction() as conn:
            row = await queries.upsert_remote_venue(
                conn,
                tenant_id,
                venue_id,
                name=remote.name,
                slug=slug,
                max_capacity=remote.max_capacity,
                address=address,
                timezone=remote.timezone,
                fetched_at=now,
            )
        if row is None:
            # Already cached for another tenant: answer without caching for this one.
            return Venue(
                venue_id,
                tenant_id,
                remote.name,
                slug,
                remote.max_capacity,
                address=address,
                timezone=remote.timezone,
                source="remote",
                fetched_at=now,
            )
        return Venue.from_row(row)


def build_venue_directory(settings: Settings, db: Database, http: httpx.AsyncClient) -> VenueDirectory:
    if not settings.venue_service_url:
        return VenueDirectory(db)
    breaker = VenueBreaker(
        ratio=settings.venue_breaker_failure_ratio,
        min_calls=settings.venue_breaker_min_calls,
        reset_seconds=settings.venue_breaker_reset_seconds,
    )
    client = VenueServiceClient(
        settings.venue_service_url, http, timeout=settings.venue_timeout_seconds, breaker=breaker
    )
    return VenueDirectory(db, client)


async def start_venue_directory(app: FastAPI) -> None:
    """on_startup hook: one directory (and so one breaker) per app."""
    app.state.venues = build_venue_directory(app.state.settings, app.state.db, app.state.http)


def venue_readiness_probe(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Readiness component `venue_service`: reported, never failing (cached venues still serve)."""

    def probe() -> dict[str, Any]:
        directory: VenueDirectory | None = getattr(app.state, "venues", None)
        if not app.state.settings.venue_service_url:
            return {"status": "not_configured"}
        state = directory.breaker_state if directory is not None else None
        if state is None:
            return {"status": "degraded", "breaker": "unknown"}
        return {"status": "healthy" if state == "closed" else "degraded", "breaker": state}

    return probe


def get_venue_directory(request: Request) -> VenueDirectory:
    directory: VenueDirectory | None = getattr(request.app.state, "venues", None)
    if directory is None:
        state = request.app.state
        directory = state.venues = build_venue_directory(state.settings, state.db, state.http)
    return directory


Venues = Annotated[VenueDirectory, Depends(get_venue_directory)]
