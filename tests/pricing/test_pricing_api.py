"""Endpoints 14-18 and 24-25: pricing tiers and legacy ticket types, called over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.tables import outbox
from tests import factories
from tests.support import Tenant

NOW = datetime.now(UTC)
VIP = {
    "name": "VIP Pricing",
    "base_price": 100.00,
    "service_fee": 10.00,
    "facility_fee": 5.00,
    "tax_rate": 0.08,
    "max_per_order": 4,
    "is_dynamic": False,
}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def fields(response: httpx.Response) -> set[str]:
    return {d["field"] for d in response.json().get("details", [])}


async def create(client: httpx.AsyncClient, tenant: Tenant, event_id: Any, **body: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/pricing", json={**VIP, **body}, headers=tenant.headers("organizer")
    )


async def test_an_organizer_creates_a_pricing_and_current_price_defaults_to_base_price(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    section = await factories.section(engine, tenant.id, event["id"])
    response = await create(
        client,
        tenant,
        event["id"],
        capacity_id=str(section["id"]),
        sales_start_at="2025-05-01T00:00:00Z",
        sales_end_at="2025-07-01T23:59:59+02:00",
    )
    assert response.status_code == 201, response.text
    pricing = response.json()["pricing"]
    assert pricing["tenant_id"] == str(tenant.id)
    assert pricing["event_id"] == str(event["id"])
    assert pricing["current_price"] == 100.00
    assert pricing["is_active"] is True and pricing["is_visible"] is True
    assert pricing["currency"] == "USD"
    assert pricing["sales_end_at"] == "2025-07-01T21:59:59Z"
    assert b'"tax_rate":0.08' in response.content
    assert b'"base_price":100.00' in response.content
    async with engine.connect() as conn:
        types = (await conn.execute(select(outbox.c.type).where(outbox.c.tenant_id == tenant.id))).scalars().all()
    assert types == ["pricing.created"]


async def test_listing_pricing_returns_every_tier_of_the_event_in_display_order(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    await create(client, tenant, event["id"], name="Standard", display_order=2)
    await create(client, tenant, event["id"], name="Early", display_order=1)
    await create(client, tenant, event["id"], name="Hidden", display_order=3, is_visible=False)
    staff = await client.get(f"/api/v1/events/{event['id']}/pricing", headers=tenant.headers("organizer"))
    assert staff.status_code == 200
    assert [p["name"] for p in staff.json()["pricing"]] == ["Early", "Standard", "Hidden"]
    customer = await client.get(f"/api/v1/events/{event['id']}/pricing", headers=tenant.headers("customer"))
    assert [p["name"] for p in customer.json()["pricing"]] == ["Early", "Standard"]


async def test_pricing_of_an_unknown_or_deleted_event_is_404(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    deleted = await factories.event(engine, tenant.id, deleted_at=NOW)
    for event_id in (uuid.uuid4(), deleted["id"]):
        assert (await client.get(f"/api/v1/events/{event_id}/pricing", headers=tenant.headers())).status_code == 404
        assert (await create(client, tenant, event_id)).status_code == 404
        active = await client.get(f"/api/v1/events/{event_id}/pricing/active", headers=tenant.headers())
        assert active.status_code == 404
        types = await client.get(f"/api/v1/events/{event_id}/ticket-types", headers=tenant.headers())
        assert types.status_code == 404
    orphan = await factories.pricing(engine, tenant.id, deleted["id"])
    calc = await client.post(
        f"/api/v1/pricing/{orphan['id']}/calculate", json={"quantity": 1}, headers=tenant.headers()
    )
    assert calc.status_code == 404
    put = await client.put(f"/api/v1/pricing/{orphan['id']}", json={"base_price": 1}, headers=tenant.headers())
    assert put.status_code == 404


async def test_another_tenants_pricing_is_404_never_403(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    pricing = (await create(client, tenant, event["id"])).json()["pricing"]
    stranger = other_tenant.headers("organizer")
    assert (await client.get(f"/api/v1/events/{event['id']}/pricing", headers=stranger)).status_code == 404
    assert (await create(client, other_tenant, event["id"])).status_code == 404
    put = await client.put(f"/api/v1/pricing/{pricing['id']}", json={"base_price": 1}, headers=stranger)
    assert put.status_code == 404
    calc = await client.post(f"/api/v1/pricing/{pricing['id']}/calculate", json={"quantity": 1}, headers=stranger)
    assert calc.status_code == 404
    assert calc.json()["code"] == "NOT_FOUND"


async def test_customers_may_read_and_calculate_but_not_create_or_update(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    pricing = (await create(client, tenant, event["id"])).json()["pricing"]
    customer = tenant.headers("customer")
    denied = await client.post(f"/api/v1/events/{event['id']}/pricing", json=VIP, headers=customer)
    assert denied.status_code == 403
    assert denied.json()["code"] == "FORBIDDEN"
    put = await client.put(f"/api/v1/pricing/{pricing['id']}", json={"base_price": 1}, headers=customer)
    assert put.status_code == 403
    types = await client.post(f"/api/v1/events/{event['id']}/ticket-types", json=VIP, headers=customer)
    assert types.status_code == 403
    assert (await client.get(f"/api/v1/events/{event['id']}/pricing", headers=customer)).status_code == 200
    calc = await client.post(f"/api/v1/pricing/{pricing['id']}/calculate", json={"quantity": 1}, headers=customer)
    assert calc.status_code == 200
    admin = await create(client, tenant, event["id"])
    assert admin.status_code == 201
    assert (await client.get(f"/api/v1/events/{event['id']}/pricing")).status_code == 401


async def test_calculate_gives_the_seeds_breakdown_248_40_with_currency_and_rule(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    pricing = (await create(client, tenant, event["id"])).json()["pricing"]
    response = await client.post(
        f"/api/v1/pricing/{pricing['id']}/calculate", json={"quantity": 2}, headers=tenant.headers("customer")
    )
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert {k: body[k] for k in ("base_price", "service_fee", "facility_fee", "tax", "subtotal", "total")} == {
        "base_price": 200.0,
        "service_fee": 20.0,
        "facility_fee": 10.0,
        "tax": 18.4,
        "subtotal": 230.0,
        "total": 248.4,
    }
    assert body["per_ticket"] == 124.2
    assert body["currency"] == "USD" and body["rule"] == "base" and body["quantity"] == 2
    for text in (b'"total":248.40', b'"per_ticket":124.20', b'"tax":18.40', b'"subtotal":230.00'):
        assert text in response.content


async def test_calculate_refuses_more_than_max_per_order_and_a_quantity_below_one(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    pricing = (await create(client, tenant, event["id"])).json()["pricing"]
    url = f"/api/v1/pricing/{pricing['id']}/calculate"
    too_many = await client.post(url, json={"quantity": 5}, headers=tenant.headers())
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "MAX_PER_ORDER_EXCEEDED"
    zero = await client.post(url, json={"quantity": 0}, headers=tenant.headers())
    assert zero.status_code == 422
    assert fields(zero) == {"quantity"}
    assert (await client.post(url, json={}, headers=tenant.headers())).status_code == 422
    unknown = await client.post(
        f"/api/v1/pricing/{uuid.uuid4()}/calculate", json={"quantity": 1}, headers=tenant.headers()
    )
    assert unknown.status_code == 404


async def test_calculate_applies_early_bird_then_the_group_discount(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    body = {
        "early_bird_price": 80,
        "early_bird_ends_at": iso(NOW + timedelta(days=1)),
        "group_size_min": 3,
        "group_discount_percentage": 10,
        "max_per_order": None,
    }
    pricing = (await create(client, tenant, event["id"], **body)).json()["pricing"]
    url = f"/api/v1/pricing/{pricing['id']}/calculate"
    two = (await client.post(url, json={"quantity": 2}, headers=tenant.headers())).json()
    assert (two["unit_price"], two["base_price"], two["rule"]) == (80.0, 160.0, "early_bird")
    three = (await client.post(url, json={"quantity": 3}, headers=tenant.headers())).json()
    assert (three["unit_price"], three["base_price"], three["rule"]) == (72.0, 216.0, "early_bird+group")


async def test_calculate_uses_the_last_minute_price_once_it_has_started(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    body = {"last_minute_price": 120, "last_minute_starts_at": iso(NOW - timedelta(minutes=1))}
    pricing = (await create(client, tenant, event["id"], **body)).json()["pricing"]
    result = await client.post(
        f"/api/v1/pricing/{pricing['id']}/calculate", json={"quantity": 1}, headers=tenant.headers()
    )
    assert (result.json()["unit_price"], result.json()["rule"]) == (120.0, "last_minute")


async def test_calculate_on_a_dynamic_tier_follows_demand_of_the_linked_section(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    section = await factories.section(engine, tenant.id, event["id"], total_capacity=100, sold_count=60)
    body = {
        "is_dynamic": True,
        "min_price": 50,
        "max_price": 115,
        "capacity_id": str(section["id"]),
        "price_adjustment_rules": {"demand_steps": [{"min_percent_sold": 50, "adjust_percent": 20}]},
    }
    created = await create(client, tenant, event["id"], **body)
    assert created.status_code == 201, created.text
    assert created.json()["pricing"]["price_adjustment_rules"] == {
        "demand_steps": [{"min_percent_sold": 50, "adjust_percent": 20}],
        "time_steps": [],
    }
    pricing = created.json()["pricing"]
    result = await client.post(
        f"/api/v1/pricing/{pricing['id']}/calculate", json={"quantity": 1}, headers=tenant.headers()
    )
    assert (result.json()["unit_price"], result.json()["rule"]) == (115.0, "dynamic+demand")


async def test_creating_pricing_checks_every_field_and_names_it(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"base_price": -1}, {"base_price"}),
        ({"service_fee": -0.01}, {"service_fee"}),
        ({"facility_fee": -5}, {"facility_fee"}),
        ({"tax_rate": 1}, {"tax_rate"}),
        ({"tax_rate": -0.1}, {"tax_rate"}),
        ({"base_price": 10.005}, {"base_price"}),
        ({"currency": "XYZ"}, {"currency"}),
        ({"currency": "DOLLARS"}, {"currency"}),
        ({"name": ""}, {"name"}),
        ({"unknown": 1}, {"unknown"}),
        ({"is_dynamic": True}, {"min_price", "max_price"}),
        ({"is_dynamic": True, "min_price": 90, "max_price": 90}, {"max_price"}),
        ({"is_dynamic": True, "min_price": 110, "max_price": 150}, {"current_price"}),
        ({"is_dynamic": True, "min_price": 10, "max_price": 150, "current_price": 151}, {"current_price"}),
        ({"early_bird_price": 101, "early_bird_ends_at": iso(NOW)}, {"early_bird_price"}),
        ({"early_bird_price": 50}, {"early_bird_ends_at"}),
        ({"sales_start_at": iso(NOW), "sales_end_at": iso(NOW)}, {"sales_end_at"}),
        ({"sales_start_at": "2025-05-01T00:00:00"}, {"sales_start_at"}),
        ({"group_size_min": 4}, {"group_discount_percentage"}),
        ({"group_size_min": 4, "group_discount_percentage": 101}, {"group_discount_percentage"}),
        ({"max_per_order": 0}, {"max_per_order"}),
        ({"capacity_id": str(uuid.uuid4())}, {"capacity_id"}),
        ({"schedule_id": str(uuid.uuid4())}, {"schedule_id"}),
        ({"current_price": 90}, {"current_price"}),
        (
            {"price_adjustment_rules": {"demand_steps": [{"min_percent_sold": 50, "adjust_percent": 1}]}},
            {"price_adjustment_rules"},
        ),
        (
            {
                "is_dynamic": True,
                "min_price": 1,
                "max_price": 200,
                "price_adjustment_rules": {"demand_steps": [{"min_percent_sold": 150, "adjust_percent": 1}]},
            },
            {"price_adjustment_rules.demand_steps.0.min_percent_sold"},
        ),
        (
            {"is_dynamic": True, "min_price": 1, "max_price": 200, "price_adjustment_rules": {"surge": []}},
            {"price_adjustment_rules.surge"},
        ),
    ]
    for body, expected in cases:
        response = await create(client, tenant, event["id"], **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert fields(response) == expected, (body, response.json())


async def test_capacity_and_schedule_must_belong_to_the_same_event(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    other_event = await factories.event(engine, tenant.id)
    foreign_section = await factories.section(engine, tenant.id, other_event["id"])
    foreign_schedule = await factories.schedule(engine, tenant.id, other_event["id"])
    stranger_event = await factories.event(engine, other_tenant.id)
    stranger_section = await factories.section(engine, other_tenant.id, stranger_event["id"])
    for capacity_id in (foreign_section["id"], stranger_section["id"]):
        response = await create(client, tenant, event["id"], capacity_id=str(capacity_id))
        assert fields(response) == {"capacity_id"}
    assert fields(await create(client, tenant, event["id"], schedule_id=str(foreign_schedule["id"]))) == {"schedule_id"}
    own_schedule = await factories.schedule(engine, tenant.id, event["id"])
    own_section = await factories.section(engine, tenant.id, event["id"], schedule_id=own_schedule["id"])
    ok = await create(
        client, tenant, event["id"], schedule_id=str(own_schedule["id"]), capacity_id=str(own_section["id"])
    )
    assert ok.status_code == 201


async def test_currency_is_any_iso_4217_code_in_any_case(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    response = await create(client, tenant, event["id"], currency="eur")
    assert response.status_code == 201
    assert response.json()["pricing"]["currency"] == "EUR"
    assert (await create(client, tenant, event["id"], currency="JPY")).status_code == 201


async def test_updating_pricing_changes_only_what_is_sent_and_writes_the_outbox(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    pricing = (await create(client, tenant, event["id"], description="front rows")).json()["pricing"]
    response = await client.put(
        f"/api/v1/pricing/{pricing['id']}",
        json={"base_price": 110.00, "is_active": False, "description": None},
        headers=tenant.headers("organizer"),
    )
    assert response.status_code == 200, response.text
    updated = response.json()["pricing"]
    assert (updated["base_price"], updated["current_price"], updated["is_active"]) == (110.0, 110.0, False)
    assert updated["description"] is None
    assert updated["service_fee"] == 10.0 and updated["name"] == "VIP Pricing"
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(outbox.c.type, outbox.c.envelope).where(outbox.c.tenant_id == tenant.id))
        ).all()
    assert sorted(r.type for r in rows) == ["pricing.created", "pricing.updated"]
    envelope = next(r.envelope for r in rows if r.type == "pricing.updated")
    assert envelope["subject"] == f"pricing/{pricing['id']}"
    assert envelope["data"]["base_price"] == 110.0


async def test_updating_a_dynamic_price_is_checked_against_min_and_max(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    body = {"is_dynamic": True, "min_price": 80, "max_price": 150}
    pricing = (await create(client, tenant, event["id"], **body)).json()["pricing"]
    url = f"/api/v1/pricing/{pricing['id']}"
    headers = tenant.headers("organizer")
    below = await client.put(url, json={"current_price": 79.99}, headers=headers)
    assert below.status_code == 422
    assert below.json()["details"] == [{"field": "current_price", "message": "Price below minimum (80.00)"}]
    above = await client.put(url, json={"current_price": 150.01}, headers=headers)
    assert fields(above) == {"current_price"}
    ok = await client.put(url, json={"base_price": 110.00, "current_price": 95.00, "is_active": True}, headers=headers)
    assert ok.status_code == 200
    assert (ok.json()["pricing"]["base_price"], ok.json()["pricing"]["current_price"]) == (110.0, 95.0)
    calc = await client.post(f"{url}/calculate", json={"quantity": 1}, headers=headers)
    assert (calc.json()["unit_price"], calc.json()["rule"]) == (95.0, "dynamic")
    narrowed = await client.put(url, json={"max_price": 90}, headers=headers)
    assert fields(narrowed) == {"current_price"}


async def test_updating_rejects_bad_values_and_clearing_required_fields(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    pricing = (await create(client, tenant, event["id"])).json()["pricing"]
    url = f"/api/v1/pricing/{pricing['id']}"
    headers = tenant.headers("organizer")
    assert fields(await client.put(url, json={"base_price": None, "name": None}, headers=headers)) == {
        "base_price",
        "name",
    }
    assert fields(await client.put(url, json={"tax_rate": 1.5}, headers=headers)) == {"tax_rate"}
    assert fields(
        await client.put(url, json={"early_bird_price": 101, "early_bird_ends_at": iso(NOW)}, headers=headers)
    ) == {"early_bird_price"}
    assert fields(await client.put(url, json={"current_price": 1}, headers=headers)) == {"current_price"}
    assert (await client.put(f"/api/v1/pricing/{uuid.uuid4()}", json={}, headers=headers)).status_code == 404
    malformed = await client.put(url, content=b"{", headers={**headers, "content-type": "application/json"})
    assert malformed.status_code in (400, 422)


async def test_active_pricing_lists_only_active_visible_tiers_inside_their_sales_window(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    hour = timedelta(hours=1)
    arrange: dict[str, dict[str, Any]] = {
        "open": {},
        "window": {"sales_start_at": NOW - hour, "sales_end_at": NOW + hour},
        "started": {"sales_start_at": NOW - hour},
        "inactive": {"is_active": False},
        "hidden": {"is_visible": False},
        "not yet": {"sales_start_at": NOW + hour},
        "over": {"sales_end_at": NOW - hour},
    }
    for order, (name, values) in enumerate(arrange.items()):
        await factories.pricing(engine, tenant.id, event["id"], name=name, display_order=order, **values)
    response = await client.get(f"/api/v1/events/{event['id']}/pricing/active", headers=tenant.headers("customer"))
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["pricing"]] == ["open", "window", "started"]


async def test_ticket_types_are_pricing_rows_rendered_as_ticket_types(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    section = await factories.section(engine, tenant.id, event["id"], total_capacity=500, sold_count=20)
    body = {"name": "General Admission", "base_price": 50.00, "capacity_id": str(section["id"]), "max_per_order": 10}
    created = await client.post(
        f"/api/v1/events/{event['id']}/ticket-types", json=body, headers=tenant.headers("organizer")
    )
    assert created.status_code == 201, created.text
    ticket_type = created.json()["data"]
    assert ticket_type["name"] == "General Admission"
    assert (ticket_type["price"], ticket_type["quantity"], ticket_type["available_quantity"]) == (50.0, 500, 480)
    assert ticket_type["max_per_order"] == 10 and ticket_type["capacity_id"] == str(section["id"])
    listed = await client.get(f"/api/v1/events/{event['id']}/ticket-types", headers=tenant.headers("customer"))
    assert listed.status_code == 200
    assert listed.json()["data"] == [ticket_type]
    pricing = await client.get(f"/api/v1/events/{event['id']}/pricing", headers=tenant.headers())
    assert pricing.json()["pricing"][0]["id"] == ticket_type["id"]


async def test_a_ticket_type_needs_a_name_of_three_characters_and_a_price(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await factories.event(engine, tenant.id)
    url = f"/api/v1/events/{event['id']}/ticket-types"
    response = await client.post(url, json={"name": "GA"}, headers=tenant.headers("organizer"))
    assert response.status_code == 422
    assert fields(response) == {"name", "base_price"}


async def test_money_is_kept_exact_to_the_cent(client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant) -> None:
    event = await factories.event(engine, tenant.id)
    body = {"base_price": "33.33", "tax_rate": "0.0825", "service_fee": 0, "facility_fee": 0, "max_per_order": None}
    pricing = (await create(client, tenant, event["id"], **body)).json()["pricing"]
    calc = await client.post(
        f"/api/v1/pricing/{pricing['id']}/calculate", json={"quantity": 3}, headers=tenant.headers()
    )
    # 99.99 x 0.0825 = 8.249175 -> 8.25; total 108.24; per ticket 36.08
    assert b'"tax":8.25' in calc.content and b'"total":108.24' in calc.content and b'"per_ticket":36.08' in calc.content
    assert Decimal(str(pricing["tax_rate"])) == Decimal("0.0825")
