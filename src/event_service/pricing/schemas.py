"""Request models of the pricing API (endpoints 15, 16, 17 and 25).

Field-level checks live here (rendered as 422 VALIDATION_ERROR with the field
named); checks across fields and against the database live in service.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

import pycountry
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from event_service.pricing.rules import AdjustmentRules

# NUMERIC(10,2): at most 99,999,999.99, cents exact, never negative.
Money = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
TaxRate = Annotated[Decimal, Field(ge=0, lt=1, max_digits=5, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]


def _iso_4217(code: str) -> str:
    code = code.upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code")
    return code


Currency = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=3), AfterValidator(_iso_4217)
]


class PricingFields(BaseModel):
    """Every writable field of a tier, all optional: PUT sends only what changes."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    tier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    schedule_id: UUID | None = None
    capacity_id: UUID | None = None
    base_price: Money | None = None
    service_fee: Money | None = None
    facility_fee: Money | None = None
    tax_rate: TaxRate | None = None
    is_dynamic: bool | None = None
    min_price: Money | None = None
    max_price: Money | None = None
    current_price: Money | None = None
    price_adjustment_rules: AdjustmentRules | None = None
    early_bird_price: Money | None = None
    early_bird_ends_at: AwareDatetime | None = None
    last_minute_price: Money | None = None
    last_minute_starts_at: AwareDatetime | None = None
    group_size_min: Annotated[int, Field(ge=2, le=100_000)] | None = None
    group_discount_percentage: Percent | None = None
    currency: Currency | None = None
    sales_start_at: AwareDatetime | None = None
    sales_end_at: AwareDatetime | None = None
    max_per_order: Quantity | None = None
    max_per_customer: Quantity | None = None
    is_active: bool | None = None
    is_visible: bool | None = None
    display_order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] | None = None


class PricingCreate(PricingFields):
    """POST /events/{id}/pricing: `name` and `base_price` required; `current_price` defaults to `base_price`."""

    name: Name
    base_price: Money


class TicketTypeCreate(PricingCreate):
    """POST /events/{id}/ticket-types (legacy): a pricing tier; the seed's Joi schema asks 3-100 characters of name."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]


class PricingUpdate(PricingFields):
    """PUT /pricing/{id}: any subset of the fields; `null` clears an optional one."""


class CalculateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Quantity
