"""Pricing use cases: list, create, update, calculate, and the price lock reservations take.

Each HTTP use case opens one transaction and writes its outbox row in it.
`lock_price` is different: it runs inside the caller's (the reservation's)
transaction, so the price is locked in the same commit as the hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.engine import Database
from event_service.outbox.queries import emit
from event_service.platform.cache import Cache, keys
from event_service.platform.errors import BusinessRuleViolation, NotFound, ValidationFailed
from event_service.platform.responses import dumps
from event_service.pricing import queries
from event_service.pricing.calculator import HUNDRED, Tier, breakdown, exact_money
from event_service.pricing.schemas import PricingCreate, PricingFields, PricingUpdate
from event_service.pricing.views import pricing_view, ticket_type_view

# Columns that cannot be NULL: a PUT may change them, never clear them.
_NOT_NULL = (
    "name",
    "base_price",
    "service_fee",
    "facility_fee",
    "tax_rate",
    "is_dynamic",
    "currency",
    "is_active",
    "is_visible",
    "display_order",
)
_CREATE_DEFAULTS: dict[str, Any] = {
    "service_fee": Decimal("0.00"),
    "facility_fee": Decimal("0.00"),
    "tax_rate": Decimal("0"),
    "is_dynamic": False,
    "currency": "USD",
    "is_active": True,
    "is_visible": True,
    "display_order": 0,
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- the price lock (called by capacity's reserve, inside its transaction) ---------------------------------------


async def lock_price(
    conn: AsyncConnection,
    tenant_id: UUID,
    event_id: UUID,
    capacity_id: UUID,
    pricing_id: UUID,
    quantity: int,
    user_id: UUID | None,
    at: datetime,
) -> dict[str, Any]:
    """Check a tier may be sold now in this quantity to this customer, and lock its price.

    Runs on the caller's connection, inside the reservation's transaction
    (no transaction of its own). Raises:
    - 404 NotFound("Pricing"): no such tier in the tenant;
    - 422 PRICING_NOT_FOR_EVENT: the tier is another event's, or is linked to
      another section than `capacity_id`;
    - 422 PRICING_INACTIVE: `is_active` is false;
    - 422 PRICING_NOT_ON_SALE: `at` is outside `[sales_start_at, sales_end_at]`;
    - 422 MAX_PER_ORDER_EXCEEDED: `quantity > max_per_order`;
    - 422 MAX_PER_CUSTOMER_EXCEEDED: the user's ACTIVE + CONFIRMED reservations
      of this tier plus `quantity` exceed `max_per_customer` (checked under a
      per-(tier, user) advisory lock held to the end of the transaction, so
      concurrent reservations of one customer cannot both slip through).

    The price is the one price function's (`calculator.breakdown`) at `at`,
    with the percent sold of section `capacity_id` for demand steps.

    Returns `locked_price_data`: {pricing_id, locked_price (exact unit price),
    locked_at, service_fee, facility_fee (per ticket), tax_rate, currency, rule,
    quantity, base_price, subtotal, tax, total, per_ticket}. Ids and times are
    strings; money and rates are `Decimal` (exact): render them with
    `platform.responses.dumps` (or the `JSON` response); to store the dict in a
    JSONB column pass `locked_price_json(data)` (plain JSON numbers, no Decimal).
    """
    if quantity < 1:
        raise ValidationFailed.field("quantity", "must be at least 1")
    row = await queries.get_pricing(conn, tenant_id, pricing_id)
    if row is None:
        raise NotFound("Pricing")
    tier = Tier.from_row(row)
    section = await queries.get_section(conn, tenant_id, capacity_id)
    if (
        tier.event_id != event_id
        or (tier.capacity_id is not None and tier.capacity_id != capacity_id)
        or (section is not None and section["event_id"] != tier.event_id)
    ):
        raise BusinessRuleViolation("Pricing does not belong to this event and section", code="PRICING_NOT_FOR_EVENT")
    if not tier.is_active:
        raise BusinessRuleViolation("Pricing is not active", code="PRICING_INACTIVE")
    if not tier.on_sale(at):
        raise BusinessRuleViolation("Pricing is not on sale at this time", code="PRICING_NOT_ON_SALE")
    _check_max_per_order(tier, quantity)
    if tier.max_per_customer is not None and user_id is not None:
        await queries.serialize_customer_tier(conn, tenant_id, pricing_id, user_id)
        held = await queries.customer_held_quantity(conn, tenant_id, pricing_id, user_id)
        if held + quantity > tier.max_per_customer:
            left = max(tier.max_per_customer - held, 0)
            raise BusinessRuleViolation(
                f"At most {tier.max_per_customer} tickets of this pricing per customer; {left} left",
                code="MAX_PER_CUSTOMER_EXCEEDED",
            )
    return await _price_data(conn, tenant_id, tier, section, quantity, at)


async def price_at_confirmation(
    conn: AsyncConnection,
    tenant_id: UUID,
    event_id: UUID,
    capacity_id: UUID,
    pricing_id: UUID | None,
    quantity: int,
    at: datetime,
) -> dict[str, Any] | None:
    """The price recorded on a sale confirmed without a lock (issue 7: it counts at its tier's price).

    The tier is the reservation's `pricing_id` when it has one, else the section's own tier
    (an active tier linked to the section, then an event-wide one; lowest display_order first).
    No sales-window or per-customer checks here: the seats are already held, and refusing the
    confirmation would lose a sale. None when the event has no tier at all (the sale is free).
    """
    row = await (
        queries.get_pricing(conn, tenant_id, pricing_id)
        if pricing_id is not None
        else queries.default_tier_for_section(conn, tenant_id, event_id, capacity_id)
    )
    if row is None:
        return None
    section = await queries.get_section(conn, tenant_id, capacity_id)
    return await _price_data(conn, tenant_id, Tier.from_row(row), section, quantity, at)


async def _price_data(
    conn: AsyncConnection, tenant_id: UUID, tier: Tier, section: RowMapping | None, quantity: int, at: datetime
) -> dict[str, Any]:
    percent_sold = _percent_sold(section)
    starts_at = await _event_start(conn, tenant_id, tier, section, at)
    figures = breakdown(tier, quantity, at, percent_sold, starts_at)
    return {
        "pricing_id": str(tier.id),
        "locked_price": exact_money(figures.unit_price),
        "locked_at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "service_fee": tier.service_fee,
        "facility_fee": tier.facility_fee,
        "tax_rate": _rate(tier.tax_rate),
        "currency": tier.currency,
        "rule": figures.rule,
        "quantity": quantity,
        "base_price": figures.base_price,
        "subtotal": figures.subtotal,
        "tax": figures.tax,
        "total": figures.total,
        "per_ticket": figures.per_ticket,
    }


def locked_price_json(data: dict[str, Any]) -> Any:
    """`lock_price`'s dict as plain JSON values, for a JSONB column (the engine's serializer knows no Decimal)."""
    return orjson.loads(dumps(data))


def _check_max_per_order(tier: Tier, quantity: int) -> None:
    if tier.max_per_order is not None and quantity > tier.max_per_order:
        raise BusinessRuleViolation(
            f"At most {tier.max_per_order} tickets of this pricing per order", code="MAX_PER_ORDER_EXCEEDED"
        )


def _percent_sold(section: RowMapping | None) -> Decimal | None:
    if section is None or section["total_capacity"] <= 0:
        return None
    return Decimal(section["sold_count"]) * HUNDRED / Decimal(section["total_capacity"])


async def _event_start(
    conn: AsyncConnection, tenant_id: UUID, tier: Tier, section: RowMapping | None, at: datetime
) -> datetime | None:
    """When the tickets' occurrence starts: the tier's schedule, else the section's, else the next one."""
    schedule_id = tier.schedule_id or (section["schedule_id"] if section is not None else None)
    if schedule_id is not None:
        schedule = await queries.get_schedule(conn, tenant_id, schedule_id)
        if schedule is not None:
            start: datetime = schedule["starts_at"]
            return start
    if tier.event_id is None:
        return None
    return await queries.next_start(conn, tenant_id, tier.event_id, at)


def _rate(value: Decimal) -> Decimal:
    return exact_money(value)


# --- reads --------------------------------------------------------------------------------------------------------


async def _require_event(conn: AsyncConnection, tenant_id: UUID, event_id: UUID) -> None:
    if await queries.live_event(conn, tenant_id, event_id) is None:
        raise NotFound("Event")


async def list_pricing(
    db: Database, tenant_id: UUID, event_id: UUID, *, staff: bool, cache: Cache
) -> list[dict[str, Any]]:
    """Endpoint 14: every tier of the event (customers see only visible ones).

    The cache holds every tier (the staff view); customers get the visible ones filtered from it.
    Whether the event still exists is read fresh, so a deleted event's list is a 404 at once.
    """
    async with db.read() as conn:
        await _require_event(conn, tenant_id, event_id)

    async def load() -> list[dict[str, Any]]:
        async with db.read() as conn:
            rows = await queries.list_pricing(conn, tenant_id, event_id)
        return [pricing_view(row) for row in rows]

    tiers: list[dict[str, Any]] = await cache.get_or_load(keys.event_pricing(tenant_id, event_id), load)
    return tiers if staff else [tier for tier in tiers if tier["is_visible"]]


async def active_pricing(
    db: Database, tenant_id: UUID, event_id: UUID, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Endpoint 18: active, visible tiers whose sales window contains now."""
    async with db.read() as conn:
        await _require_event(conn, tenant_id, event_id)
        rows = await queries.list_pricing(conn, tenant_id, event_id, on_sale_at=at or _utcnow())
    return [pricing_view(row) for row in rows]


async def list_ticket_types(db: Database, tenant_id: UUID, event_id: UUID, *, staff: bool) -> list[dict[str, Any]]:
    """Endpoint 24: the tiers rendered as legacy ticket types."""
    async with db.read() as conn:
        await _require_event(conn, tenant_id, event_id)
        rows = await queries.list_ticket_types(conn, tenant_id, event_id, visible_only=not staff)
    return [ticket_type_view(row) for row in rows]


async def calculate(
    db: Database, tenant_id: UUID, pricing_id: UUID, quantity: int, at: datetime | None = None
) -> dict[str, Any]:
    """Endpoint 17: the seed's breakdown for `quantity` tickets now, plus currency and rule."""
    at = at or _utcnow()
    async with db.read() as conn:
        row = await queries.get_pricing(conn, tenant_id, pricing_id)
        if row is None or await queries.live_event(conn, tenant_id, row["event_id"]) is None:
            raise NotFound("Pricing")
        tier = Tier.from_row(row)
        _check_max_per_order(tier, quantity)
        section = await queries.get_section(conn, tenant_id, tier.capacity_id) if tier.capacity_id else None
        starts_at = await _event_start(conn, tenant_id, tier, section, at)
    figures = breakdown(tier, quantity, at, _percent_sold(section), starts_at)
    return {"pricing_id": pricing_id, **figures.as_json()}


# --- writes -------------------------------------------------------------------------------------------------------


async def create_pricing(
    db: Database, tenant_id: UUID, event_id: UUID, body: PricingCreate, *, cache: Cache, as_ticket_type: bool = False
) -> dict[str, Any]:
    """Endpoints 15 and 25: a new tier; `current_price` defaults to `base_price`."""
    given = _given(body)
    state = {**_CREATE_DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
    state.setdefault("current_price", state["base_price"])
    async with db.transaction() as conn:
        await _require_event(conn, tenant_id, event_id)
        errors = _null_errors(given)
        errors += _rule_errors(state, given)
        errors += await _reference_errors(conn, tenant_id, event_id, state, given)
        if errors:
            raise ValidationFailed(errors)
        row = await queries.insert_pricing(conn, tenant_id, {"event_id": event_id, **_columns(state)})
        shown = pricing_view(row)
        await emit(conn, tenant_id, "pricing.created", f"pricing/{row['id']}", shown)
    await cache.invalidate(keys.event_pricing(tenant_id, event_id))
    if as_ticket_type:
        async with db.read() as conn:
            rows = await queries.list_ticket_types(conn, tenant_id, event_id)
        return next(ticket_type_view(r) for r in rows if r["id"] == row["id"])
    return shown


async def update_pricing(
    db: Database, tenant_id: UUID, pricing_id: UUID, body: PricingUpdate, *, cache: Cache
) -> dict[str, Any]:
    """Endpoint 16: change some fields; the whole tier must still be valid. Locked prices never change."""
    given = _given(body)
    async with db.transaction() as conn:
        row = await queries.get_pricing(conn, tenant_id, pricing_id, for_update=True)
        if row is None or await queries.live_event(conn, tenant_id, row["event_id"]) is None:
            raise NotFound("Pricing")
        state = {**dict(row), **given}
        errors = _null_errors(given)
        if not errors:
            # A fixed tier's current price is its base price; a dynamic one's defaults to it.
            if state["current_price"] is None or (not state["is_dynamic"] and "current_price" not in given):
                state["current_price"] = state["base_price"]
            errors += _rule_errors(state, given)
            errors += await _reference_errors(conn, tenant_id, row["event_id"], state, given)
        if errors:
            raise ValidationFailed(errors)
        changes = _columns({k: state[k] for k in (*given, "current_price")})
        updated = await queries.update_pricing(conn, tenant_id, pricing_id, changes)
        shown = pricing_view(updated)
        await emit(conn, tenant_id, "pricing.updated", f"pricing/{pricing_id}", shown)
    await cache.invalidate(keys.event_pricing(tenant_id, row["event_id"]))
    return shown


def _given(body: PricingFields) -> dict[str, Any]:
    return {name: getattr(body, name) for name in body.model_fields_set}


def _null_errors(given: dict[str, Any]) -> list[dict[str, str]]:
    return [{"field": k, "message": "must not be null"} for k in _NOT_NULL if k in given and given[k] is None]


def _rule_errors(state: dict[str, Any], given: dict[str, Any]) -> list[dict[str, str]]:
    """Checks across fields, on the tier as it would be stored."""
    errors: list[dict[str, str]] = []

    def err(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    base: Decimal = state["base_price"]
    low, high, current = state.get("min_price"), state.get("max_price"), state.get("current_price")
    if state["is_dynamic"]:
        if low is None:
            err("min_price", "is required for a dynamic pricing")
        if high is None:
            err("max_price", "is required for a dynamic pricing")
        if low is not None and high is not None:
            if low >= high:
                err("max_price", "must be greater than min_price")
            elif current is not None and current < low:
                err("current_price", f"Price below minimum ({low})")
            elif current is not None and current > high:
                err("current_price", f"Price exceeds maximum ({high})")
    else:
        if low is not None and high is not None and low >= high:
            err("max_price", "must be greater than min_price")
        if "current_price" in given and current is not None and current != base:
            err("current_price", "can differ from base_price only on a dynamic pricing (is_dynamic)")
        if "price_adjustment_rules" in given and given["price_adjustment_rules"] is not None:
            err("price_adjustment_rules", "apply only to a dynamic pricing (is_dynamic)")

    early, early_end = state.get("early_bird_price"), state.get("early_bird_ends_at")
    if early is not None and early > base:
        err("early_bird_price", "must not be above base_price")
    if (early is None) != (early_end is None):
        err(
            "early_bird_ends_at" if early_end is None else "early_bird_price",
            "early_bird_price and early_bird_ends_at go together",
        )
    late, late_start = state.get("last_minute_price"), state.get("last_minute_starts_at")
    if (late is None) != (late_start is None):
        err(
            "last_minute_starts_at" if late_start is None else "last_minute_price",
            "last_minute_price and last_minute_starts_at go together",
        )
    if early_end is not None and late_start is not None and late_start < early_end:
        err("last_minute_starts_at", "must not be before early_bird_ends_at")
    if (state.get("group_size_min") is None) != (state.get("group_discount_percentage") is None):
        field = "group_discount_percentage" if state.get("group_discount_percentage") is None else "group_size_min"
        err(field, "group_size_min and group_discount_percentage go together")
    start, end = state.get("sales_start_at"), state.get("sales_end_at")
    if start is not None and end is not None and start >= end:
        err("sales_end_at", "must be after sales_start_at")
    return errors


async def _reference_errors(
    conn: AsyncConnection, tenant_id: UUID, event_id: UUID, state: dict[str, Any], given: dict[str, Any]
) -> list[dict[str, str]]:
    """`capacity_id` and `schedule_id` must be a section and a schedule of the same event."""
    errors: list[dict[str, str]] = []
    schedule_id, capacity_id = state.get("schedule_id"), state.get("capacity_id")
    if schedule_id is not None and "schedule_id" in given:
        schedule = await queries.get_schedule(conn, tenant_id, schedule_id)
        if schedule is None or schedule["event_id"] != event_id:
            errors.append({"field": "schedule_id", "message": "must be a schedule of this event"})
    if capacity_id is not None and ("capacity_id" in given or "schedule_id" in given):
        section = await queries.get_section(conn, tenant_id, capacity_id)
        if section is None or section["event_id"] != event_id:
            errors.append({"field": "capacity_id", "message": "must be a capacity section of this event"})
        elif schedule_id is not None and section["schedule_id"] not in (None, schedule_id):
            errors.append({"field": "capacity_id", "message": "must be a section of the pricing's schedule"})
    return errors


_WRITABLE = frozenset(PricingFields.model_fields)


def _columns(state: dict[str, Any]) -> dict[str, Any]:
    """Values as the table takes them (rules as plain JSON)."""
    values = {k: v for k, v in state.items() if k in _WRITABLE}
    rules = values.get("price_adjustment_rules")
    if rules is not None and not isinstance(rules, dict):
        values["price_adjustment_rules"] = orjson.loads(dumps(rules.as_json()))
    return values
