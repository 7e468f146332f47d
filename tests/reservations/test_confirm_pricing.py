"""A sale confirmed without a price lock counts at its tier's price at confirmation (issue 7)."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories
from tests.reservations.arrange import on_sale_section
from tests.support import Tenant


async def _reserve_and_confirm(client: httpx.AsyncClient, tenant: Tenant, capacity_id: object, quantity: int) -> dict:  # type: ignore[type-arg]
    held = await client.post(
        f"/api/v1/capacity/{capacity_id}/reserve", json={"quantity": quantity}, headers=tenant.headers()
    )
    assert held.status_code == 200, held.text
    reservation_id = held.json()["reservation"]["id"]
    confirmed = await client.post(f"/api/v1/reservations/{reservation_id}/confirm", headers=tenant.headers())
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()["reservation"]  # type: ignore[no-any-return]


async def _recorded(engine: AsyncEngine, reservation_id: str) -> tuple[Decimal | None, Decimal | None]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT unit_price, total_amount FROM capacity_reservations WHERE id = :id"),
                {"id": reservation_id},
            )
        ).one()
    return row.unit_price, row.total_amount


async def test_a_sale_without_a_lock_is_recorded_at_the_sections_tier_price(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, total=10)
    # An event-wide tier and the section's own tier: the section's own wins.
    await factories.pricing(engine, tenant.id, section["event_id"], base_price=Decimal("99.00"), name="Anywhere")
    await factories.pricing(
        engine,
        tenant.id,
        section["event_id"],
        base_price=Decimal("40.00"),
        service_fee=Decimal("2.50"),
        tax_rate=Decimal("0.1000"),
        capacity_id=section["id"],
        name="Section",
    )
    reservation = await _reserve_and_confirm(client, tenant, section["id"], 2)
    unit, total = await _recorded(engine, reservation["id"])
    assert unit == Decimal("40.00")
    # (2 x 40.00 + 2 x 2.50) x 1.10 = 93.50
    assert total == Decimal("93.50")


async def test_a_sale_in_an_event_without_tiers_is_recorded_without_a_price(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, total=10)
    reservation = await _reserve_and_confirm(client, tenant, section["id"], 1)
    assert await _recorded(engine, reservation["id"]) == (None, None)
