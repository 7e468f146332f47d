"""Capacity sections (seed endpoints 8-11, 13): shapes, venue limits, roles, tenancy."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories
from tests.support import Tenant


async def _event(engine: AsyncEngine, tenant: Tenant, max_capacity: int = 5000, **values: object) -> dict[str, object]:
    venue = await factories.venue(engine, tenant.id, max_capacity=max_capacity)
    return await factories.event(engine, tenant.id, venue["id"], **values)


async def test_create_section_answers_201_in_the_seed_shape(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    response = await client.post(
        f"/api/v1/events/{event['id']}/capacity",
        json={"section_name": "VIP Section", "section_code": "VIP", "total_capacity": 200, "maximum_purchase": 10},
        headers=tenant.headers("organizer"),
    )
    assert response.status_code == 201, response.text
    section = response.json()["capacity"]
    assert section["section_name"] == "VIP Section"
    assert section["total_capacity"] == 200
    assert section["available_capacity"] == 200
    assert section["reserved_capacity"] == 0
    assert section["sold_count"] == 0
    assert section["is_active"] is True

    listed = await client.get(f"/api/v1/events/{event['id']}/capacity", headers=tenant.headers("customer"))
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["capacity"]] == [section["id"]]


async def test_sections_beyond_the_venue_maximum_answer_venue_capacity_exceeded(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant, max_capacity=5000)
    url = f"/api/v1/events/{event['id']}/capacity"
    for name, total in (("One", 2000), ("Two", 2500)):
        ok = await client.post(url, json={"section_name": name, "total_capacity": total}, headers=tenant.headers())
        assert ok.status_code == 201, ok.text
    response = await client.post(url, json={"section_name": "Three", "total_capacity": 1000}, headers=tenant.headers())
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VENUE_CAPACITY_EXCEEDED"
    detail = body["details"][0]
    assert (detail["requested"], detail["current_total"], detail["new_total"], detail["max_capacity"]) == (
        1000,
        4500,
        5500,
        5000,
    )


async def test_a_schedule_capacity_override_limits_its_sections(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    schedule = await factories.schedule(engine, tenant.id, event["id"], capacity_override=300)
    url = f"/api/v1/events/{event['id']}/capacity"
    body = {"section_name": "Floor", "total_capacity": 301, "schedule_id": str(schedule["id"])}
    response = await client.post(url, json=body, headers=tenant.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "VENUE_CAPACITY_EXCEEDED"
    body["total_capacity"] = 300
    assert (await client.post(url, json=body, headers=tenant.headers())).status_code == 201


async def test_concurrent_creates_cannot_together_exceed_the_venue(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant, max_capacity=5000)
    url = f"/api/v1/events/{event['id']}/capacity"
    responses = await asyncio.gather(
        *(
            client.post(url, json={"section_name": f"S{i}", "total_capacity": 1500}, headers=tenant.headers())
            for i in range(6)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 201, 201, 422, 422, 422]
    total = await client.get(f"{url}/total", headers=tenant.headers())
    assert total.json()["total_capacity"] == 4500


async def test_section_code_is_unique_per_event_and_schedule(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    url = f"/api/v1/events/{event['id']}/capacity"
    first = await client.post(
        url, json={"section_name": "A", "section_code": "GA", "total_capacity": 10}, headers=tenant.headers()
    )
    assert first.status_code == 201
    second = await client.post(
        url, json={"section_name": "B", "section_code": "GA", "total_capacity": 10}, headers=tenant.headers()
    )
    assert second.status_code == 409
    assert second.json()["code"] == "DUPLICATE_SECTION"


async def test_customers_cannot_create_or_change_sections(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    section = await factories.section(engine, tenant.id, event["id"])
    created = await client.post(
        f"/api/v1/events/{event['id']}/capacity",
        json={"section_name": "X", "total_capacity": 1},
        headers=tenant.headers("customer"),
    )
    assert created.status_code == 403
    changed = await client.put(
        f"/api/v1/capacity/{section['id']}", json={"total_capacity": 5}, headers=tenant.headers("customer")
    )
    assert changed.status_code == 403


async def test_another_tenants_event_and_section_are_not_found(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    section = await factories.section(engine, tenant.id, event["id"])
    headers = other_tenant.headers()
    assert (await client.get(f"/api/v1/events/{event['id']}/capacity", headers=headers)).status_code == 404
    assert (await client.get(f"/api/v1/events/{event['id']}/capacity/total", headers=headers)).status_code == 404
    assert (
        await client.put(f"/api/v1/capacity/{section['id']}", json={"total_capacity": 5}, headers=headers)
    ).status_code == 404
    check = await client.post(f"/api/v1/capacity/{section['id']}/check", json={"quantity": 1}, headers=headers)
    assert check.status_code == 404
    reserve = await client.post(f"/api/v1/capacity/{section['id']}/reserve", json={"quantity": 1}, headers=headers)
    assert reserve.status_code == 404


async def test_a_section_never_shrinks_below_what_is_held(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant, max_capacity=1000)
    section = await factories.section(engine, tenant.id, event["id"], total_capacity=100, sold_count=20)
    reserve = await client.post(
        f"/api/v1/capacity/{section['id']}/reserve", json={"quantity": 10}, headers=tenant.headers("customer")
    )
    assert reserve.status_code == 200, reserve.text
    url = f"/api/v1/capacity/{section['id']}"
    shrink = await client.put(url, json={"total_capacity": 29}, headers=tenant.headers())
    assert shrink.status_code == 422
    assert shrink.json()["code"] == "CAPACITY_BELOW_COMMITTED"
    ok = await client.put(url, json={"total_capacity": 30, "section_name": "Renamed"}, headers=tenant.headers())
    assert ok.status_code == 200, ok.text
    assert ok.json()["capacity"]["available_capacity"] == 0
    grow = await client.put(url, json={"total_capacity": 1001}, headers=tenant.headers())
    assert grow.status_code == 422
    assert grow.json()["code"] == "VENUE_CAPACITY_EXCEEDED"


async def test_check_availability_reads_without_holding(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    section = await factories.section(engine, tenant.id, event["id"], total_capacity=10)
    url = f"/api/v1/capacity/{section['id']}/check"
    yes = await client.post(url, json={"quantity": 10}, headers=tenant.headers("customer"))
    assert yes.status_code == 200
    assert yes.json()["available"] is True and yes.json()["quantity"] == 10
    no = await client.post(url, json={"quantity": 11}, headers=tenant.headers("customer"))
    assert no.json()["available"] is False
    bad = await client.post(url, json={"quantity": 0}, headers=tenant.headers("customer"))
    assert bad.status_code == 422
    after = await client.get(f"/api/v1/events/{event['id']}/capacity/total", headers=tenant.headers())
    assert after.json()["reserved_capacity"] == 0


async def test_total_capacity_sums_every_section(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    event = await _event(engine, tenant)
    await factories.section(engine, tenant.id, event["id"], total_capacity=100, sold_count=10)
    await factories.section(engine, tenant.id, event["id"], total_capacity=50, reserved_capacity=5)
    response = await client.get(f"/api/v1/events/{event['id']}/capacity/total", headers=tenant.headers("customer"))
    assert response.status_code == 200
    body = response.json()
    assert (body["total_capacity"], body["available_capacity"], body["reserved_capacity"], body["sold_count"]) == (
        150,
        135,
        5,
        10,
    )


async def test_unknown_event_is_404(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get(f"/api/v1/events/{uuid.uuid4()}/capacity", headers=tenant.headers())
    assert response.status_code == 404
