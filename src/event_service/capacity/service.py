"""Capacity use cases: list, create and change sections, check availability, event totals.

Reserving belongs to the reservations domain (it writes the ledger); this module
owns the sections themselves and the venue-capacity rule.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.capacity import queries
from event_service.capacity.schemas import CreateSection, UpdateSection, section_view
from event_service.db.engine import Database
from event_service.outbox.queries import emit
from event_service.platform.auth import Principal
from event_service.platform.cache import Cache, keys
from event_service.platform.errors import (
    AppError,
    BusinessRuleViolation,
    Conflict,
    NotFound,
    ValidationFailed,
    VenueCapacityExceeded,
)
from event_service.venues.service import VenueDirectory

MANAGERS = ("organizer",)


def _integrity_error(exc: DBAPIError) -> AppError | None:
    """Constraint violations a request can cause, as API errors (never a 500)."""
    code = queries.sqlstate(exc)
    if code == queries.UNIQUE_VIOLATION:
        name = queries.constraint_name(exc)
        field = "section_code" if "section_code" in name else "section_name"
        return Conflict(
            f"A section with this {field} already exists for this event and schedule",
            code="DUPLICATE_SECTION",
            details=[{"field": field, "message": "must be unique per event and schedule"}],
        )
    if code == queries.CHECK_VIOLATION:
        return ValidationFailed(
            [{"field": "total_capacity", "message": "the section's counters would become inconsistent"}]
        )
    if code == queries.FOREIGN_KEY_VIOLATION:
        return NotFound("Event")
    return None


async def list_sections(db: Database, principal: Principal, event_id: uuid.UUID) -> list[dict[str, Any]]:
    async with db.read() as conn:
        if await queries.get_event(conn, principal.tenant_id, event_id) is None:
            raise NotFound("Event")
        rows = await queries.list_sections(
            conn, principal.tenant_id, event_id, visible_only=not principal.has("organizer", "service")
        )
    return [section_view(row) for row in rows]


async def event_totals(db: Database, principal: Principal, event_id: uuid.UUID) -> dict[str, Any]:
    async with db.read() as conn:
        if await queries.get_event(conn, principal.tenant_id, event_id) is None:
            raise NotFound("Event")
        totals = await queries.event_totals(conn, principal.tenant_id, event_id)
    return {key: int(value) for key, value in totals.items()}


async def check(db: Database, principal: Principal, capacity_id: uuid.UUID, quantity: int) -> dict[str, Any]:
    """Availability for the UI: reads only, holds nothing (the reserve decides)."""
    async with db.read() as conn:
        section = await queries.get_section(conn, principal.tenant_id, capacity_id)
    if section is None:
        raise NotFound("Capacity section")
    reason = None
    if not section["is_active"]:
        reason = "SECTION_INACTIVE"
    elif quantity < section["minimum_purchase"]:
        reason = "BELOW_MINIMUM_PURCHASE"
    elif section["maximum_purchase"] is not None and quantity > section["maximum_purchase"]:
        reason = "ABOVE_MAXIMUM_PURCHASE"
    elif section["available_capacity"] < quantity:
        reason = "INSUFFICIENT_CAPACITY"
    body: dict[str, Any] = {
        "available": reason is None,
        "quantity": quantity,
        "available_capacity": section["available_capacity"],
    }
    if reason is not None:
        body["reason"] = reason
    return body


async def _check_venue_limits(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    *,
    venue_max: int,
    requested: int,
    schedule_id: uuid.UUID | None,
    exclude_id: uuid.UUID | None,
) -> None:
    """The event's sections together never exceed the venue, nor a schedule's capacity_override.

    Call with the event row locked, so two concurrent creates cannot both pass.
    """
    current = await queries.total_capacity(conn, tenant_id, event_id, exclude_id=exclude_id)
    if current + requested > venue_max:
        raise VenueCapacityExceeded(
            f"Total section capacity ({current + requested}) would exceed venue maximum ({venue_max})",
            details=[
                {
                    "field": "total_capacity",
                    "message": "cumulative section capacity exceeds the venue's max_capacity",
                    "requested": requested,
                    "current_total": current,
                    "new_total": current + requested,
                    "max_capacity": venue_max,
                }
            ],
        )
    if schedule_id is None:
        return
    schedule = await queries.get_schedule(conn, tenant_id, event_id, schedule_id)
    if schedule is None:
        raise ValidationFailed.field("schedule_id", "Schedule not found for this event")
    override = schedule["capacity_override"]
    if override is None:
        return
    scheduled = await queries.total_capacity(conn, tenant_id, event_id, schedule_id=schedule_id, exclude_id=exclude_id)
    if scheduled + requested > override:
        raise VenueCapacityExceeded(
            f"Schedule capacity ({scheduled + requested}) would exceed the schedule's capacity_override ({override})",
            details=[
                {
                    "field": "total_capacity",
                    "message": "section capacity of this schedule exceeds its capacity_override",
                    "schedule_id": str(schedule_id),
                    "requested": requested,
                    "current_total": scheduled,
                    "new_total": scheduled + requested,
                    "max_capacity": override,
                }
            ],
        )


async def create_section(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    event_id: uuid.UUID,
    body: CreateSection,
    *,
    cache: Cache,
) -> dict[str, Any]:
    principal.require(*MANAGERS)
    tenant_id = principal.tenant_id
    async with db.read() as conn:
        event = await queries.get_event(conn, tenant_id, event_id)
    if event is None:
        raise NotFound("Event")
    venue = await venues.get(principal, event["venue_id"])  # a network call: outside the transaction
    values = body.model_dump()
    try:
        async with db.transaction() as conn:
            if await queries.get_event(conn, tenant_id, event_id, lock=True) is None:
                raise NotFound("Event")
            await _check_venue_limits(
                conn,
                tenant_id,
                event_id,
                venue_max=venue.max_capacity,
                requested=body.total_capacity,
                schedule_id=body.schedule_id,
                exclude_id=None,
            )
            row = await queries.insert_section(conn, tenant_id, event_id, values)
            view = section_view(row)
            await emit(conn, tenant_id, "capacity.created", f"capacity/{row['id']}", view)
            await queries.sync_sold_out(conn, tenant_id, event_id)
    except DBAPIError as exc:
        error = _integrity_error(exc)
        if error is None:
            raise
        raise error from exc
    await cache.invalidate(keys.event(tenant_id, event_id))  # the event document shows its first section
    return view


async def update_section(
    db: Database,
    venues: VenueDirectory,
    principal: Principal,
    capacity_id: uuid.UUID,
    body: UpdateSection,
    *,
    cache: Cache,
) -> dict[str, Any]:
    principal.require(*MANAGERS)
    tenant_id = principal.tenant_id
    changes = body.changes()
    async with db.read() as conn:
        current = await queries.get_section(conn, tenant_id, capacity_id)
        event = await queries.get_event(conn, tenant_id, current["event_id"]) if current else None
    if current is None or event is None:
        raise NotFound("Capacity section")
    venue = await venues.get(principal, event["venue_id"]) if "total_capacity" in changes else None
    try:
        async with db.transaction() as conn:
            # Lock order everywhere: section, then event (the reserve path takes them in this order too).
            section = await queries.get_section(conn, tenant_id, capacity_id, lock=True)
            if section is None:
                raise NotFound("Capacity section")
            event_id = section["event_id"]
            if await queries.get_event(conn, tenant_id, event_id, lock=True) is None:
                raise NotFound("Capacity section")
            merged = {**dict(section), **changes}
            _validate_section_values(merged)
            committed = section["sold_count"] + section["pending_count"] + section["reserved_capacity"]
            if merged["total_capacity"] - merged["buffer_capacity"] < committed:
                raise BusinessRuleViolation(
                    "Section capacity cannot go below what is sold, pending and reserved",
                    code="CAPACITY_BELOW_COMMITTED",
                    details=[
                        {
                            "field": "total_capacity",
                            "message": "total_capacity - buffer_capacity must be at least sold + pending + reserved",
                            "requested": merged["total_capacity"],
                            "buffer_capacity": merged["buffer_capacity"],
                            "sold_count": section["sold_count"],
                            "pending_count": section["pending_count"],
                            "reserved_capacity": section["reserved_capacity"],
                        }
                    ],
                )
            if merged["total_capacity"] > section["total_capacity"]:
                assert venue is not None
                await _check_venue_limits(
                    conn,
                    tenant_id,
                    event_id,
                    venue_max=venue.max_capacity,
                    requested=merged["total_capacity"],
                    schedule_id=section["schedule_id"],
                    exclude_id=capacity_id,
                )
            row = await queries.update_section(conn, tenant_id, capacity_id, changes) if changes else section
            view = section_view(row)
            await emit(conn, tenant_id, "capacity.updated", f"capacity/{capacity_id}", view)
            if {"total_capacity", "buffer_capacity", "is_active"} & changes.keys():
                await queries.sync_sold_out(conn, tenant_id, event_id)
    except DBAPIError as exc:
        error = _integrity_error(exc)
        if error is None:
            raise
        raise error from exc
    await cache.invalidate(keys.event(tenant_id, current["event_id"]))  # the event document shows its first section
    return view


def _validate_section_values(values: dict[str, Any]) -> None:
    details = []
    maximum = values.get("maximum_purchase")
    if maximum is not None and maximum < values["minimum_purchase"]:
        details.append({"field": "maximum_purchase", "message": "must be at least minimum_purchase"})
    if values["buffer_capacity"] > values["total_capacity"]:
        details.append({"field": "buffer_capacity", "message": "cannot exceed total_capacity"})
    if details:
        raise ValidationFailed(details)
