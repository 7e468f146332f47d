"""DELETE /api/v1/events/{id} (soft) and POST /api/v1/events/{id}/restore (admin)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.tables import events
from tests import factories
from tests.events.conftest import audit_rows, create_event, error, outbox_types
from tests.support import Tenant


async def test_delete_is_soft_204_then_404_and_gone_from_lists(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], status="PUBLISHED")
    response = await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers("organizer"))
    assert response.status_code == 204 and response.content == b""
    error(await client.get(f"/api/v1/events/{event['id']}", headers=tenant.headers()), 404, "NOT_FOUND")
    assert (await client.get("/api/v1/events", headers=tenant.headers())).json()["events"] == []
    again = await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers("organizer"))
    error(again, 404, "NOT_FOUND")
    async with engine.connect() as conn:
        row = (await conn.execute(select(events).where(events.c.id == uuid.UUID(event["id"])))).one()
    assert row.deleted_at is not None and row.status == "CANCELLED"
    types = await outbox_types(engine, tenant.id, f"events/{event['id']}")
    assert types == ["event.created", "event.published", "event.deleted", "event.cancelled"]
    entry = (await audit_rows(engine, tenant.id, event["id"]))[-1]
    assert entry.action == "event_deleted" and entry.metadata["previous_status"] == "PUBLISHED"
    assert entry.metadata["before"]["status"] == "PUBLISHED"


async def test_deleting_a_draft_emits_deleted_but_not_cancelled(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    assert (await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers())).status_code == 204
    assert (await outbox_types(engine, tenant.id, f"events/{event['id']}")) == ["event.created", "event.deleted"]


async def test_delete_is_refused_with_409_while_tickets_are_sold(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    await factories.section(engine, tenant.id, uuid.UUID(event["id"]), sold_count=1, section_code="S")
    response = await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers())
    error(response, 409, "EVENT_HAS_SOLD_TICKETS")
    assert (await client.get(f"/api/v1/events/{event['id']}", headers=tenant.headers())).status_code == 200


@pytest.mark.parametrize("role", ["customer", "service"])
async def test_delete_needs_organizer_or_admin(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], role: str
) -> None:
    event = await create_event(client, tenant, venue["id"])
    error(await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers(role)), 403, "FORBIDDEN")


async def test_restore_brings_the_event_back_in_its_previous_status(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], status="PUBLISHED")
    await client.put(f"/api/v1/events/{event['id']}", json={"status": "ON_SALE"}, headers=tenant.headers())
    await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers())
    for role in ("organizer", "customer"):
        refused = await client.post(f"/api/v1/events/{event['id']}/restore", headers=tenant.headers(role))
        error(refused, 403, "FORBIDDEN")
    response = await client.post(f"/api/v1/events/{event['id']}/restore", headers=tenant.headers("admin"))
    assert response.status_code == 200, response.text
    restored = response.json()["event"]
    assert restored["status"] == "ON_SALE" and restored["deleted_at"] is None and restored["slug"] == event["slug"]
    assert (await client.get(f"/api/v1/events/{event['id']}", headers=tenant.headers("customer"))).status_code == 200
    assert (await outbox_types(engine, tenant.id, f"events/{event['id']}"))[-1] == "event.restored"
    entry = (await audit_rows(engine, tenant.id, event["id"]))[-1]
    assert entry.action == "event_restored" and entry.metadata["changes"] == {"status": "ON_SALE", "deleted_at": None}
    again = await client.post(f"/api/v1/events/{event['id']}/restore", headers=tenant.headers("admin"))
    error(again, 409, "EVENT_NOT_DELETED")
    error(await client.post(f"/api/v1/events/{uuid.uuid4()}/restore", headers=tenant.headers()), 404, "NOT_FOUND")
