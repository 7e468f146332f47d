"""How a pricing row looks in the API: as a pricing tier (14-18) and as a legacy ticket type (24-25)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from event_service.pricing.calculator import exact_money

_PRICING_FIELDS = (
    "id",
    "tenant_id",
    "event_id",
    "schedule_id",
    "capacity_id",
    "name",
    "description",
    "tier",
    "base_price",
    "service_fee",
    "facility_fee",
    "tax_rate",
    "is_dynamic",
    "min_price",
    "max_price",
    "price_adjustment_rules",
    "current_price",
    "early_bird_price",
    "early_bird_ends_at",
    "last_minute_price",
    "last_minute_starts_at",
    "group_size_min",
    "group_discount_percentage",
    "currency",
    "sales_start_at",
    "sales_end_at",
    "max_per_order",
    "max_per_customer",
    "is_active",
    "is_visible",
    "display_order",
    "created_at",
    "updated_at",
)


def _plain(value: Any) -> Any:
    """asyncpg's own UUID type as a standard `uuid.UUID` (which the JSON renderer knows)."""
    return UUID(str(value)) if isinstance(value, UUID) else value


def pricing_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Every column; `tax_rate` as 0.08 rather than NUMERIC(5,4)'s 0.0800."""
    shown = {name: _plain(row[name]) for name in _PRICING_FIELDS}
    shown["tax_rate"] = exact_money(row["tax_rate"])
    return shown


def ticket_type_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The legacy ticket-type shape: a tier with `price`, and the linked section's quantity and availability.

    `price` is the tier's current price (`current_price`, else `base_price`);
    `quantity` / `available_quantity` come from the linked section (null when
    the tier has no section).
    """
    current = row["current_price"] if row["current_price"] is not None else row["base_price"]
    shown = {
        "id": row["id"],
        "event_id": row["event_id"],
        "pricing_id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "tier": row["tier"],
        "price": current,
        "base_price": row["base_price"],
        "service_fee": row["service_fee"],
        "facility_fee": row["facility_fee"],
        "tax_rate": exact_money(row["tax_rate"]),
        "currency": row["currency"],
        "capacity_id": row["capacity_id"],
        "schedule_id": row["schedule_id"],
        "quantity": row.get("section_total_capacity"),
        "available_quantity": row.get("section_available_capacity"),
        "max_per_order": row["max_per_order"],
        "max_per_customer": row["max_per_customer"],
        "sales_start_at": row["sales_start_at"],
        "sales_end_at": row["sales_end_at"],
        "is_active": row["is_active"],
        "is_visible": row["is_visible"],
        "display_order": row["display_order"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    return {key: _plain(value) for key, value in shown.items()}
