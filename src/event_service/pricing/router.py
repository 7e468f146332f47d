"""Pricing endpoints 14-18 and the legacy ticket types 24-25 (HTTP only: parse, authorise, call, shape)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from event_service.platform.auth import ORGANIZER
from event_service.platform.deps import AppCache, CurrentPrincipal, Db
from event_service.platform.responses import JSON
from event_service.pricing import service
from event_service.pricing.schemas import CalculateRequest, PricingCreate, PricingUpdate, TicketTypeCreate

router = APIRouter(tags=["pricing"])


@router.get("/events/{event_id}/pricing")
async def list_pricing(event_id: UUID, principal: CurrentPrincipal, db: Db, cache: AppCache) -> JSON:
    """14. Every tier of the event; customers see the visible ones."""
    tiers = await service.list_pricing(db, principal.tenant_id, event_id, staff=principal.is_staff, cache=cache)
    return JSON({"pricing": tiers})


@router.post("/events/{event_id}/pricing", status_code=201)
async def create_pricing(
    event_id: UUID, body: PricingCreate, principal: CurrentPrincipal, db: Db, cache: AppCache
) -> JSON:
    """15. A new tier (organizer or admin)."""
    principal.require(ORGANIZER)
    tier = await service.create_pricing(db, principal.tenant_id, event_id, body, cache=cache)
    return JSON({"pricing": tier}, status_code=201)


@router.get("/events/{event_id}/pricing/active")
async def active_pricing(event_id: UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    """18. Active, visible tiers on sale now."""
    return JSON({"pricing": await service.active_pricing(db, principal.tenant_id, event_id)})


@router.put("/pricing/{pricing_id}")
async def update_pricing(
    pricing_id: UUID, body: PricingUpdate, principal: CurrentPrincipal, db: Db, cache: AppCache
) -> JSON:
    """16. Change a tier (organizer or admin); reservations keep their locked prices."""
    principal.require(ORGANIZER)
    return JSON({"pricing": await service.update_pricing(db, principal.tenant_id, pricing_id, body, cache=cache)})


@router.post("/pricing/{pricing_id}/calculate")
async def calculate(pricing_id: UUID, body: CalculateRequest, principal: CurrentPrincipal, db: Db) -> JSON:
    """17. The price breakdown of `quantity` tickets now."""
    return JSON(await service.calculate(db, principal.tenant_id, pricing_id, body.quantity))


@router.get("/events/{event_id}/ticket-types")
async def list_ticket_types(event_id: UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    """24. The tiers as legacy ticket types."""
    types = await service.list_ticket_types(db, principal.tenant_id, event_id, staff=principal.is_staff)
    return JSON({"data": types})


@router.post("/events/{event_id}/ticket-types", status_code=201)
async def create_ticket_type(
    event_id: UUID, body: TicketTypeCreate, principal: CurrentPrincipal, db: Db, cache: AppCache
) -> JSON:
    """25. A new tier, answered as a ticket type (organizer or admin)."""
    principal.require(ORGANIZER)
    created = await service.create_pricing(db, principal.tenant_id, event_id, body, cache=cache, as_ticket_type=True)
    return JSON({"data": created}, status_code=201)
