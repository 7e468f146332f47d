"""lock_price: what a reservation locks, and every refusal, inside the caller's transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.engine import Database
from event_service.db.tables import capacity_reservations
from event_service.platform.errors import AppError, NotFound, ValidationFailed
from event_service.platform.responses import dumps
from event_service.pricing.service import lock_price, locked_price_json
from tests import factories
from tests.support import Tenant

NOW = datetime.now(UTC)
D = Decimal


async def arrange(engine: AsyncEngine, tenant: Tenant, **pricing: Any) -> tuple[dict[str, Any], ...]:
    event = await factories.event(engine, tenant.id)
    section = await factories.section(engine, tenant.id, event["id"], total_capacity=100)
    values = {
        "base_price": D("100.00"),
        "service_fee": D("10.00"),
        "facility_fee": D("5.00"),
        "tax_rate": D("0.08"),
        "capacity_id": section["id"],
        **pricing,
    }
    tier = await factories.pricing(engine, tenant.id, event["id"], **values)
    return event, section, tier


async def lock(
    db: Database, tenant: Tenant, event: Any, section: Any, tier: Any, quantity: int = 2, user: Any = None
) -> dict[str, Any]:
    async with db.transaction() as conn:
        return await lock_price(
            conn, tenant.id, event["id"], section["id"], tier["id"], quantity, user or uuid.uuid4(), NOW
        )


async def hold(
    engine: AsyncEngine, tenant: Tenant, section: Any, tier: Any, user: Any, quantity: int, status: str
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(capacity_reservations).values(
                tenant_id=tenant.id,
                capacity_id=section["id"],
                event_id=section["event_id"],
                pricing_id=tier["id"],
                user_id=user,
                quantity=quantity,
                status=status,
                expires_at=NOW + timedelta(minutes=15),
            )
        )


def code_of(error: pytest.ExceptionInfo[AppError]) -> str:
    return error.value.code


async def test_a_lock_carries_the_unit_price_fees_rate_and_the_seeds_totals(
    db: Database, engine: AsyncEngine, tenant: Tenant
) -> None:
    event, section, tier = await arrange(engine, tenant)
    data = await lock(db, tenant, event, section, tier)
    assert data["pricing_id"] == str(tier["id"])
    assert (data["locked_price"], data["service_fee"], data["facility_fee"]) == (D("100.00"), D("10.00"), D("5.00"))
    assert data["tax_rate"] == D("0.08")
    assert (data["subtotal"], data["tax"], data["total"]) == (D("230.00"), D("18.40"), D("248.40"))
    assert (data["currency"], data["rule"], data["quantity"]) == ("USD", "base", 2)
    assert data["locked_at"].endswith("Z")
    assert b'"total":248.40' in dumps(data)
    plain = locked_price_json(data)
    assert orjson.loads(orjson.dumps(plain))["total"] == 248.4


async def test_a_lock_uses_the_same_rules_as_calculate(db: Database, engine: AsyncEngine, tenant: Tenant) -> None:
    event, section, tier = await arrange(
        engine,
        tenant,
        early_bird_price=D("80.00"),
        early_bird_ends_at=NOW + timedelta(days=1),
        group_size_min=2,
        group_discount_percentage=D("10"),
    )
    data = await lock(db, tenant, event, section, tier)
    assert (data["locked_price"], data["rule"]) == (D("72.00"), "early_bird+group")


async def test_a_dynamic_lock_follows_the_percent_sold_of_the_reserved_section(
    db: Database, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    section = await factories.section(engine, tenant.id, event["id"], total_capacity=10, sold_count=9)
    tier = await factories.pricing(
        engine,
        tenant.id,
        event["id"],
        base_price=D("100.00"),
        is_dynamic=True,
        min_price=D("50.00"),
        max_price=D("500.00"),
        current_price=D("100.00"),
        price_adjustment_rules={"demand_steps": [{"min_percent_sold": 90, "adjust_percent": 25}]},
    )
    data = await lock(db, tenant, event, section, tier, quantity=1)
    assert (data["locked_price"], data["rule"]) == (D("125.00"), "dynamic+demand")


async def test_an_unknown_or_other_tenants_pricing_is_not_found(
    db: Database, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    event, section, tier = await arrange(engine, tenant)
    with pytest.raises(NotFound):
        await lock(db, tenant, event, section, {"id": uuid.uuid4()})
    with pytest.raises(NotFound):
        await lock(db, other_tenant, event, section, tier)


async def test_a_pricing_of_another_event_or_section_is_refused(
    db: Database, engine: AsyncEngine, tenant: Tenant
) -> None:
    event, _section, tier = await arrange(engine, tenant)
    other_event, other_section, _ = await arrange(engine, tenant)
    with pytest.raises(AppError) as error:
        await lock(db, tenant, other_event, other_section, tier)
    assert (error.value.status_code, code_of(error)) == (422, "PRICING_NOT_FOR_EVENT")
    sibling = await factories.section(engine, tenant.id, event["id"], section_code="B")
    with pytest.raises(AppError) as error:
        await lock(db, tenant, event, sibling, tier)
    assert code_of(error) == "PRICING_NOT_FOR_EVENT"
    unlinked = await factories.pricing(engine, tenant.id, event["id"])
    assert (await lock(db, tenant, event, sibling, unlinked))["locked_price"] == D("50.00")


async def test_an_inactive_pricing_or_one_outside_its_sales_window_is_refused(
    db: Database, engine: AsyncEngine, tenant: Tenant
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"is_active": False}, "PRICING_INACTIVE"),
        ({"sales_start_at": NOW + timedelta(hours=1)}, "PRICING_NOT_ON_SALE"),
        ({"sales_end_at": NOW - timedelta(seconds=1)}, "PRICING_NOT_ON_SALE"),
    ]
    for values, code in cases:
        event, section, tier = await arrange(engine, tenant, **values)
        with pytest.raises(AppError) as error:
            await lock(db, tenant, event, section, tier)
        assert (error.value.status_code, code_of(error)) == (422, code)


async def test_more_than_max_per_order_is_refused(db: Database, engine: AsyncEngine, tenant: Tenant) -> None:
    event, section, tier = await arrange(engine, tenant, max_per_order=4)
    assert (await lock(db, tenant, event, section, tier, quantity=4))["quantity"] == 4
    with pytest.raises(AppError) as error:
        await lock(db, tenant, event, section, tier, quantity=5)
    assert code_of(error) == "MAX_PER_ORDER_EXCEEDED"
    with pytest.raises(ValidationFailed):
        await lock(db, tenant, event, section, tier, quantity=0)


async def test_max_per_customer_counts_active_and_confirmed_reservations_of_that_tier(
    db: Database, engine: AsyncEngine, tenant: Tenant
) -> None:
    event, section, tier = await arrange(engine, tenant, max_per_customer=6)
    customer = uuid.uuid4()
    await hold(engine, tenant, section, tier, customer, 2, "ACTIVE")
    await hold(engine, tenant, section, tier, customer, 2, "CONFIRMED")
    await hold(engine, tenant, section, tier, customer, 5, "RELEASED")
    await hold(engine, tenant, section, tier, customer, 5, "EXPIRED")
    await hold(engine, tenant, section, tier, uuid.uuid4(), 5, "ACTIVE")
    assert (await lock(db, tenant, event, section, tier, quantity=2, user=customer))["quantity"] == 2
    with pytest.raises(AppError) as error:
        await lock(db, tenant, event, section, tier, quantity=3, user=customer)
    assert (error.value.status_code, code_of(error)) == (422, "MAX_PER_CUSTOMER_EXCEEDED")
    assert (await lock(db, tenant, event, section, tier, quantity=6, user=uuid.uuid4()))["quantity"] == 6


async def test_concurrent_locks_of_one_customer_cannot_both_pass_max_per_customer(
    db: Database, engine: AsyncEngine, tenant: Tenant
) -> None:
    event, section, tier = await arrange(engine, tenant, max_per_customer=3)
    customer = uuid.uuid4()

    async def reserve() -> str:
        try:
            async with db.transaction() as conn:
                await lock_price(conn, tenant.id, event["id"], section["id"], tier["id"], 2, customer, NOW)
                await asyncio.sleep(0.05)  # the caller's reservation row, written before commit
                await conn.execute(
                    insert(capacity_reservations).values(
                        tenant_id=tenant.id,
                        capacity_id=section["id"],
                        event_id=event["id"],
                        pricing_id=tier["id"],
                        user_id=customer,
                        quantity=2,
                        expires_at=NOW + timedelta(minutes=15),
                    )
                )
            return "ok"
        except AppError as error:
            return error.code

    results = await asyncio.gather(reserve(), reserve())
    assert sorted(results) == ["MAX_PER_CUSTOMER_EXCEEDED", "ok"]
