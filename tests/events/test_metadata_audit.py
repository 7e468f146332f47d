"""GET/PUT /api/v1/events/{id}/metadata and GET /api/v1/events/{id}/audit."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.events.conftest import audit_rows, create_event, error, fields_of, outbox_types
from tests.support import Tenant


async def test_metadata_is_created_with_the_event_and_changed_by_put(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], status="PUBLISHED")
    url = f"/api/v1/events/{event['id']}/metadata"
    empty = (await client.get(url, headers=tenant.headers())).json()["metadata"]
    assert empty["event_id"] == event["id"] and empty["id"] is not None and empty["headliner"] is None
    body = {"headliner": "The Band", "performers": [{"name": "The Band"}], "production_budget": 12500.5}
    response = await client.put(url, json=body, headers=tenant.headers("organizer"))
    assert response.status_code == 200, response.text
    changed = response.json()["metadata"]
    assert changed["headliner"] == "The Band" and changed["production_budget"] == 12500.50
    assert changed["id"] == empty["id"]
    customer = (await client.get(url, headers=tenant.headers("customer"))).json()["metadata"]
    assert customer["headliner"] == "The Band" and "production_budget" not in customer
    entry = (await audit_rows(engine, tenant.id, event["id"]))[-1]
    assert entry.action == "event_metadata_updated" and entry.metadata["before"]["headliner"] is None
    assert (await outbox_types(engine, tenant.id, f"events/{event['id']}"))[-1] == "event.updated"


async def test_metadata_put_validates_and_needs_organizer(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    url = f"/api/v1/events/{event['id']}/metadata"
    error(await client.put(url, json={"headliner": "x"}, headers=tenant.headers("customer")), 403, "FORBIDDEN")
    bad = await client.put(url, json={"production_budget": -1, "nope": 1}, headers=tenant.headers())
    assert fields_of(error(bad, 422, "VALIDATION_ERROR")) == {"production_budget", "nope"}


async def test_audit_lists_every_change_newest_first_for_admins_only(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    await client.put(f"/api/v1/events/{event['id']}", json={"name": "Renamed"}, headers=tenant.headers())
    await client.post(f"/api/v1/events/{event['id']}/publish", headers=tenant.headers())
    await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers())
    await client.post(f"/api/v1/events/{event['id']}/restore", headers=tenant.headers())
    url = f"/api/v1/events/{event['id']}/audit"
    page = (await client.get(url, headers=tenant.headers("admin"))).json()
    actions = [a["action"] for a in page["audit_logs"]]
    assert actions == ["event_restored", "event_deleted", "event_published", "event_updated", "event_created"]
    assert page["pagination"]["total"] == 5
    newest = page["audit_logs"][0]
    assert newest["user_id"] == str(tenant.admin_user) and newest["ip_address"] == "127.0.0.1"
    assert (await client.get(f"{url}?limit=2&offset=4", headers=tenant.headers())).json()["audit_logs"][0][
        "action"
    ] == "event_created"
    error(await client.get(url, headers=tenant.headers("organizer")), 403, "FORBIDDEN")
