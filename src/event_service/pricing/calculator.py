"""The one price function: the effective unit price of a tier at an instant, and its breakdown.

Pure: no I/O, no clock. Every price the service shows or locks comes from here
(calculate, reservation price locks), so one set of rules applies everywhere.
The rules, their precedence and the rounding are written in docs/pricing.md:

1. early-bird price while `at < early_bird_ends_at`;
2. else last-minute price once `at >= last_minute_starts_at`;
3. else, for a dynamic tier, `current_price` (or `base_price`) adjusted by the
   `price_adjustment_rules` steps, clamped to `[min_price, max_price]`;
4. else `base_price`;
then the group discount when `quantity >= group_size_min` (a dynamic tier's
price stays clamped to `[min_price, max_price]` after it).

All arithmetic is `Decimal`; figures are rounded half-up to cents once, at the
end of their own calculation (never the unit price before it is multiplied).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from event_service.pricing.rules import AdjustmentRules

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def to_cents(value: Decimal) -> Decimal:
    """Half-up to cents: the one rounding every figure goes through, once."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def exact_money(value: Decimal) -> Decimal:
    """A money amount shown without losing digits: cents when it is cents-exact, else every digit."""
    if value == to_cents(value):
        return to_cents(value)
    return value.normalize()


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _uuid(value: Any) -> UUID | None:
    return None if value is None else UUID(str(value))


def _rules(value: Any) -> AdjustmentRules | None:
    if value is None:
        return None
    if isinstance(value, AdjustmentRules):
        return value
    try:
        return AdjustmentRules.model_validate(value)
    except ValidationError:
        # Only validated rules are ever written through the API; a row written
        # another way with rules we cannot read prices as if it had none.
        return None


@dataclass(frozen=True)
class Tier:
    """The price-relevant fields of one `event_pricing` row."""

    base_price: Decimal
    service_fee: Decimal = ZERO
    facility_fee: Decimal = ZERO
    tax_rate: Decimal = ZERO
    currency: str = "USD"
    is_dynamic: bool = False
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    current_price: Decimal | None = None
    adjustment_rules: AdjustmentRules | None = None
    early_bird_price: Decimal | None = None
    early_bird_ends_at: datetime | None = None
    last_minute_price: Decimal | None = None
    last_minute_starts_at: datetime | None = None
    group_size_min: int | None = None
    group_discount_percentage: Decimal | None = None
    sales_start_at: datetime | None = None
    sales_end_at: datetime | None = None
    max_per_order: int | None = None
    max_per_customer: int | None = None
    is_active: bool = True
    is_visible: bool = True
    id: UUID | None = None
    event_id: UUID | None = None
    schedule_id: UUID | None = None
    capacity_id: UUID | None = None
    name: str = ""

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Tier:
        return cls(
            id=_uuid(row.get("id")),
            event_id=_uuid(row.get("event_id")),
            schedule_id=_uuid(row.get("schedule_id")),
            capacity_id=_uuid(row.get("capacity_id")),
            name=row.get("name") or "",
            base_price=Decimal(row["base_price"]),
            service_fee=Decimal(row.get("service_fee") or 0),
            facility_fee=Decimal(row.get("facility_fee") or 0),
            tax_rate=Decimal(row.get("tax_rate") or 0),
            currency=row.get("currency") or "USD",
            is_dynamic=bool(row.get("is_dynamic")),
            min_price=_money(row.get("min_price")),
            max_price=_money(row.get("max_price")),
            current_price=_money(row.get("current_price")),
            adjustment_rules=_rules(row.get("price_adjustment_rules")),
            early_bird_price=_money(row.get("early_bird_price")),
            early_bird_ends_at=row.get("early_bird_ends_at"),
            last_minute_price=_money(row.get("last_minute_price")),
            last_minute_starts_at=row.get("last_minute_starts_at"),
            group_size_min=row.get("group_size_min"),
            group_discount_percentage=_money(row.get("group_discount_percentage")),
            sales_start_at=row.get("sales_start_at"),
            sales_end_at=row.get("sales_end_at"),
            max_per_order=row.get("max_per_order"),
            max_per_customer=row.get("max_per_customer"),
            is_active=bool(row.get("is_active", True)),
            is_visible=bool(row.get("is_visible", True)),
        )

    def on_sale(self, at: datetime) -> bool:
        """Inside the sales window (both ends inclusive; an open end is no limit)."""
        if self.sales_start_at is not None and at < self.sales_start_at:
            return False
        return not (self.sales_end_at is not None and at > self.sales_end_at)

    def clamp(self, price: Decimal) -> Decimal:
        """Keep a dynamic price inside `[min_price, max_price]`."""
        if self.min_price is not None and price < self.min_price:
            price = self.min_price
        if self.max_price is not None and price > self.max_price:
            price = self.max_price
        return price


@dataclass(frozen=True)
class PriceBreakdown:
    """Endpoint 17's answer: every figure in cents, `total == subtotal + tax`."""

    quantity: int
    unit_price: Decimal  # the exact effective unit price (not rounded before multiplying)
    base_price: Decimal  # unit_price x quantity
    service_fee: Decimal  # service_fee x quantity
    facility_fee: Decimal  # facility_fee x quantity
    subtotal: Decimal  # base + fees, before tax
    tax: Decimal  # subtotal x tax_rate
    total: Decimal  # subtotal + tax
    per_ticket: Decimal  # total / quantity
    currency: str
    rule: str

    def as_json(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "unit_price": exact_money(self.unit_price),
            "base_price": self.base_price,
            "service_fee": self.service_fee,
            "facility_fee": self.facility_fee,
            "subtotal": self.subtotal,
            "tax": self.tax,
            "total": self.total,
            "per_ticket": self.per_ticket,
            "currency": self.currency,
            "rule": self.rule,
        }


def _dynamic_price(
    tier: Tier, at: datetime, percent_sold: Decimal | None, event_starts_at: datetime | None
) -> tuple[Decimal, str]:
    price = tier.current_price if tier.current_price is not None else tier.base_price
    rule = "dynamic"
    rules = tier.adjustment_rules
    if rules is not None:
        adjust = ZERO
        demand = rules.demand_adjustment(percent_sold)
        if demand is not None:
            adjust += demand
            rule += "+demand"
        hours_left = None if event_starts_at is None else Decimal((event_starts_at - at).total_seconds()) / 3600
        timed = rules.time_adjustment(hours_left)
        if timed is not None:
            adjust += timed
            rule += "+time"
        price = price * (HUNDRED + adjust) / HUNDRED
    return tier.clamp(max(price, ZERO)), rule


def unit_price(
    tier: Tier,
    quantity: int,
    at: datetime,
    percent_sold: Decimal | None = None,
    event_starts_at: datetime | None = None,
) -> tuple[Decimal, str]:
    """The effective unit price (exact, not rounded) and the rule that set it.

    `rule` is "early_bird" | "last_minute" | "dynamic" | "base", with "+demand"
    and/or "+time" when a dynamic tier's adjustment steps applied, and "+group"
    when the group discount applied (e.g. "dynamic+demand+group").
    `percent_sold` (0-100) is the linked section's; `event_starts_at` the
    start of the schedule the tickets are for; both only feed dynamic steps.
    """
    if tier.early_bird_price is not None and tier.early_bird_ends_at is not None and at < tier.early_bird_ends_at:
        price, rule = tier.early_bird_price, "early_bird"
    elif (
        tier.last_minute_price is not None
        and tier.last_minute_starts_at is not None
        and at >= tier.last_minute_starts_at
    ):
        price, rule = tier.last_minute_price, "last_minute"
    elif tier.is_dynamic:
        price, rule = _dynamic_price(tier, at, percent_sold, event_starts_at)
    else:
        price, rule = tier.base_price, "base"

    if (
        tier.group_size_min is not None
        and tier.group_discount_percentage is not None
        and tier.group_discount_percentage > 0
        and quantity >= tier.group_size_min
    ):
        price = price * (HUNDRED - tier.group_discount_percentage) / HUNDRED
        if rule.startswith("dynamic"):
            price = tier.clamp(price)
        rule += "+group"
    return price, rule


def breakdown(
    tier: Tier,
    quantity: int,
    at: datetime,
    percent_sold: Decimal | None = None,
    event_starts_at: datetime | None = None,
) -> PriceBreakdown:
    """The seed's breakdown. 2 x 100.00, fees 10.00 + 5.00, tax 0.08 -> total 248.40, per ticket 124.20.

    Each figure is rounded half-up to cents once, at the end of its own
    calculation: base = cents(exact unit x quantity); fees are cents already;
    tax = cents(subtotal x rate); total = subtotal + tax (so the figures add
    up); per_ticket = cents(total / quantity).
    """
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    unit, rule = unit_price(tier, quantity, at, percent_sold, event_starts_at)
    base = to_cents(unit * quantity)
    service = to_cents(tier.service_fee * quantity)
    facility = to_cents(tier.facility_fee * quantity)
    subtotal = base + service + facility
    tax = to_cents(subtotal * tier.tax_rate)
    total = subtotal + tax
    return PriceBreakdown(
        quantity=quantity,
        unit_price=unit,
        base_price=base,
        service_fee=service,
        facility_fee=facility,
        subtotal=subtotal,
        tax=tax,
        total=total,
        per_ticket=to_cents(total / quantity),
        currency=tier.currency,
        rule=rule,
    )
