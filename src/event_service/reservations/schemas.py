"""Request bodies and response shapes of the reservation ledger."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from event_service.capacity.schemas import plain


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReserveBody(_Body):
    quantity: int = Field(gt=0, le=100_000)
    # Bounded by RESERVATION_MAX_MINUTES in the service (a setting, not a constant).
    reservation_minutes: int | None = Field(default=None, ge=1)
    pricing_id: uuid.UUID | None = None
    # Services (and admins) may hold seats on behalf of a user; customers reserve for themselves.
    user_id: uuid.UUID | None = None


class ExtendBody(_Body):
    minutes: int = Field(ge=1)


RESERVATION_FIELDS = (
    "id",
    "tenant_id",
    "capacity_id",
    "event_id",
    "schedule_id",
    "pricing_id",
    "user_id",
    "quantity",
    "status",
    "expires_at",
    "locked_price_data",
    "unit_price",
    "total_amount",
    "currency",
    "idempotency_key",
    "confirmed_at",
    "released_at",
    "created_at",
    "updated_at",
)


def reservation_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {name: plain(row[name]) for name in RESERVATION_FIELDS}


def hold_view(section: Mapping[Any, Any]) -> dict[str, Any]:
    """The section part of the reserve answer (seed endpoint 12), plus the section's totals."""
    return {
        "id": plain(section["id"]),
        "event_id": plain(section["event_id"]),
        "section_name": section["section_name"],
        "total_capacity": section["total_capacity"],
        "available_capacity": section["available_capacity"],
        "reserved_capacity": section["reserved_capacity"],
        "sold_count": section["sold_count"],
        "reserved_at": section["reserved_at"],
        "reserved_expires_at": section["reserved_expires_at"],
        "locked_price_data": section["locked_price_data"],
    }
