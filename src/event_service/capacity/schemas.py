"""Request bodies and response shapes of the capacity endpoints (seed endpoints 8-11, 13)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSection(_Body):
    section_name: str = Field(min_length=1, max_length=100)
    section_code: str | None = Field(default=None, min_length=1, max_length=20)
    tier: str | None = Field(default=None, max_length=50)
    total_capacity: int = Field(gt=0, le=10_000_000)
    buffer_capacity: int = Field(default=0, ge=0)
    schedule_id: uuid.UUID | None = None
    minimum_purchase: int = Field(default=1, ge=1)
    maximum_purchase: int | None = Field(default=None, ge=1)
    is_active: bool = True
    is_visible: bool = True
    row_config: dict[str, Any] | list[Any] | None = None
    seat_map: dict[str, Any] | list[Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CreateSection:
        if self.maximum_purchase is not None and self.maximum_purchase < self.minimum_purchase:
            raise ValueError("maximum_purchase must be at least minimum_purchase")
        if self.buffer_capacity > self.total_capacity:
            raise ValueError("buffer_capacity cannot exceed total_capacity")
        return self


class UpdateSection(_Body):
    section_name: str | None = Field(default=None, min_length=1, max_length=100)
    section_code: str | None = Field(default=None, min_length=1, max_length=20)
    tier: str | None = Field(default=None, max_length=50)
    total_capacity: int | None = Field(default=None, gt=0, le=10_000_000)
    buffer_capacity: int | None = Field(default=None, ge=0)
    minimum_purchase: int | None = Field(default=None, ge=1)
    maximum_purchase: int | None = Field(default=None, ge=1)
    is_active: bool | None = None
    is_visible: bool | None = None
    row_config: dict[str, Any] | list[Any] | None = None
    seat_map: dict[str, Any] | list[Any] | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller sent (an explicit null clears a nullable field)."""
        values = self.model_dump(exclude_unset=True)
        for required in ("section_name", "total_capacity", "buffer_capacity", "minimum_purchase", "is_active"):
            if required in values and values[required] is None:
                values.pop(required)
        if "is_visible" in values and values["is_visible"] is None:
            values.pop("is_visible")
        return values


class CheckBody(_Body):
    quantity: int = Field(gt=0, le=100_000)


SECTION_FIELDS = (
    "id",
    "tenant_id",
    "event_id",
    "schedule_id",
    "section_name",
    "section_code",
    "tier",
    "total_capacity",
    "available_capacity",
    "reserved_capacity",
    "buffer_capacity",
    "sold_count",
    "pending_count",
    "reserved_at",
    "reserved_expires_at",
    "locked_price_data",
    "row_config",
    "seat_map",
    "is_active",
    "is_visible",
    "minimum_purchase",
    "maximum_purchase",
    "created_at",
    "updated_at",
)


def plain(value: Any) -> Any:
    """asyncpg hands back its own UUID subclass, which the JSON renderer does not know."""
    if isinstance(value, uuid.UUID) and type(value) is not uuid.UUID:
        return uuid.UUID(str(value))
    return value


def section_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A section as the API shows it (the seed's fields, all of them)."""
    return {name: plain(row[name]) for name in SECTION_FIELDS}
