"""POST /api/v1/events: fields, legacy inline schedule and capacity, slugs, validation, roles."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.tables import event_capacity, event_categories, event_metadata, event_schedules, outbox
from tests import factories
from tests.events.conftest import audit_rows, create_event, error, fields_of, future, iso, outbox_types
from tests.support import Tenant


async def test_create_answers_201_with_the_event_slug_and_legacy_fields(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    starts = future(30)
    body = {
        "name": "Summer Concert Series",
        "venue_id": str(venue["id"]),
        "description": "Amazing outdoor concert series",
        "event_type": "series",
        "tags": ["outdoor", "music"],
        "visibility": "PUBLIC",
        "age_restriction": 18,
        "royalty_percentage": 7.5,
        "starts_at": iso(starts),
        "ends_at": iso(future(30, 4)),
        "doors_open": iso(future(30, -1)),
        "timezone": "America/New_York",
        "capacity": 500,
    }
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
    assert response.status_code == 201, response.text
    event = response.json()["event"]
    assert event["tenant_id"] == str(tenant.id)
    assert event["slug"] == "main-hall-summer-concert-series"
    assert event["status"] == "DRAFT"
    assert event["event_type"] == "series"
    assert event["royalty_percentage"] == 7.5
    assert event["event_date"] == iso(starts)
    assert event["doors_open"] == iso(future(30, -1))
    assert event["capacity"] == 500 and event["available_capacity"] == 500
    assert event["schedule"]["starts_at"] == iso(starts)
    assert event["schedule"]["timezone"] == "America/New_York"
    assert event["schedule"]["utc_offset"] in (-300, -240)
    assert event["capacity_info"]["section_name"] == "General Admission"
    assert event["capacity_info"]["section_code"] == "GA"
    assert "search_vector" not in event
    again = await client.get(f"/api/v1/events/{event['id']}", headers=tenant.headers("organizer"))
    assert again.json()["event"] == event


async def test_create_without_dates_or_capacity_has_empty_legacy_fields(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    assert event["event_date"] is None and event["schedule"] is None
    assert event["capacity"] is None and event["capacity_info"] is None


async def test_event_date_is_accepted_as_the_start_and_ends_default_to_three_hours_later(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], event_date=iso(future(10)))
    assert event["event_date"] == iso(future(10))
    assert event["schedule"]["ends_at"] == iso(future(10, 3))


async def test_naive_times_are_read_in_the_given_time_zone(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    local = future(40).replace(hour=19, minute=0, second=0, tzinfo=None)
    event = await create_event(client, tenant, venue["id"], starts_at=local.isoformat(), timezone="Asia/Tokyo")
    assert event["event_date"] == iso(local.replace(hour=10, tzinfo=UTC))
    assert event["schedule"]["utc_offset"] == 540


async def test_create_writes_metadata_audit_and_outbox_rows_with_the_event(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(
        client, tenant, venue["id"], starts_at=iso(future(5)), capacity=100, name="Audited", status="PUBLISHED"
    )
    event_id = uuid.UUID(event["id"])
    async with engine.connect() as conn:
        meta = (await conn.execute(select(event_metadata).where(event_metadata.c.event_id == event_id))).one()
        created = select(outbox.c.envelope).where(
            outbox.c.type == "event.created", outbox.c.subject == f"events/{event_id}"
        )
        envelope = (await conn.execute(created)).scalar_one()
    assert meta.tenant_id == tenant.id
    assert envelope["data"]["slug"] == event["slug"] and envelope["tenantid"] == str(tenant.id)
    types = await outbox_types(engine, tenant.id)
    assert types.count("event.created") == 1 and "event.published" in types
    assert "schedule.created" in types and "capacity.created" in types
    [entry] = await audit_rows(engine, tenant.id, event["id"])
    assert entry.action == "event_created" and entry.resource_type == "event"
    assert entry.metadata["before"] is None and entry.metadata["changes"]["name"] == "Audited"
    assert str(entry.ip_address) == "127.0.0.1"
    assert entry.user_agent and entry.request_id


@pytest.mark.parametrize("role", ["customer", "service"])
async def test_create_is_forbidden_without_organizer_or_admin_role(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], role: str
) -> None:
    response = await client.post(
        "/api/v1/events", json={"name": "X", "venue_id": str(venue["id"])}, headers=tenant.headers(role)
    )
    error(response, 403, "FORBIDDEN")


async def test_create_as_admin_and_venue_manager_is_allowed(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    assert (await create_event(client, tenant, venue["id"], role="admin"))["status"] == "DRAFT"
    assert (await create_event(client, tenant, venue["id"], role="venue_manager"))["status"] == "DRAFT"


async def test_create_without_a_token_is_401(client: httpx.AsyncClient, venue: dict[str, Any]) -> None:
    error(await client.post("/api/v1/events", json={"name": "X", "venue_id": str(venue["id"])}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 301}, "name"),
        ({"venue_id": "not-a-uuid"}, "venue_id"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"status": "LIVE"}, "status"),
        ({"visibility": "SECRET"}, "visibility"),
        ({"event_type": "weekly"}, "event_type"),
        ({"banner_image_url": "javascript:alert(1)"}, "banner_image_url"),
        ({"age_restriction": -1}, "age_restriction"),
        ({"priority_score": 10**12}, "priority_score"),
        ({"capacity": 0}, "capacity"),
        ({"royalty_percentage": 100.5}, "royalty_percentage"),
        ({"description": "nul\u0000byte"}, "description"),
        ({"metadata": {"k": "nul\u0000"}}, "metadata"),
        ({"tags": ["ok", ""]}, "tags.1"),
        ({"starts_at": "tomorrow"}, "starts_at"),
    ],
)
async def test_invalid_fields_are_422_validation_error_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    payload = {"name": "Valid", "venue_id": str(venue["id"]), **body}
    if field == "name" and "name" not in body:
        payload.pop("name")
    response = await client.post("/api/v1/events", json=payload, headers=tenant.headers("organizer"))
    assert field in fields_of(error(response, 422, "VALIDATION_ERROR"))


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({"starts_at": "2020-01-01T10:00:00Z"}, "starts_at"),
        ({"starts_at": "FAR"}, "starts_at"),
        ({"starts_at": "START", "ends_at": "BEFORE"}, "ends_at"),
        ({"starts_at": "START", "doors_open": "AFTER"}, "doors_open"),
    ],
)
async def test_impossible_dates_are_422_invalid_date_range(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], dates: dict[str, str], field: str
) -> None:
    values = {"START": iso(future(10)), "BEFORE": iso(future(9)), "AFTER": iso(future(10, 1)), "FAR": iso(future(731))}
    body = {"name": "Dated", "venue_id": str(venue["id"]), **{k: values.get(v, v) for k, v in dates.items()}}
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
    assert field in fields_of(error(response, 422, "INVALID_DATE_RANGE"))


async def test_schedule_fields_without_a_start_are_422(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    body = {"name": "No start", "venue_id": str(venue["id"]), "ends_at": iso(future(3))}
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
    assert "starts_at" in fields_of(error(response, 422, "VALIDATION_ERROR"))


async def test_capacity_above_the_venue_maximum_is_venue_capacity_exceeded(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    body = {"name": "Too big", "venue_id": str(venue["id"]), "capacity": 1001}
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
    error(response, 422, "VENUE_CAPACITY_EXCEEDED")
    assert (await create_event(client, tenant, venue["id"], capacity=1000))["capacity"] == 1000
    async with engine.connect() as conn:
        sections = (await conn.execute(select(event_capacity).where(event_capacity.c.tenant_id == tenant.id))).all()
    assert [s.total_capacity for s in sections] == [1000]


async def test_unknown_or_other_tenants_venue_is_422_on_venue_id(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    foreign = await factories.venue(engine, other_tenant.id)
    for venue_id in (uuid.uuid4(), foreign["id"]):
        body = {"name": "Nowhere", "venue_id": str(venue_id)}
        response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
        assert "venue_id" in fields_of(error(response, 422, "VALIDATION_ERROR"))


async def test_categories_must_exist_for_the_tenant(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    async with engine.connect() as conn:
        music = (await conn.execute(select(event_categories.c.id).where(event_categories.c.slug == "music"))).scalar()
    event = await create_event(client, tenant, venue["id"], primary_category_id=str(music))
    assert event["primary_category_id"] == str(music)
    body = {"name": "Bad category", "venue_id": str(venue["id"]), "secondary_category_ids": [str(uuid.uuid4())]}
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
    assert "secondary_category_ids" in fields_of(error(response, 422, "VALIDATION_ERROR"))


@pytest.mark.parametrize("status", ["ON_SALE", "SOLD_OUT", "COMPLETED", "CANCELLED"])
async def test_creating_in_a_later_status_is_invalid_status_transition(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], status: str
) -> None:
    body = {"name": "Skipping ahead", "venue_id": str(venue["id"]), "status": status}
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))
    error(response, 422, "INVALID_STATUS_TRANSITION")


async def test_slugs_are_unicode_safe_and_numbered_on_collision_per_venue(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    slugs = [(await create_event(client, tenant, venue["id"], name="Café Ünïcode — Live!"))["slug"] for _ in range(3)]
    assert slugs == ["main-hall-cafe-unicode-live", "main-hall-cafe-unicode-live-2", "main-hall-cafe-unicode-live-3"]
    other = await factories.venue(engine, tenant.id, name="Main Hall")  # same slug, another venue
    assert (await create_event(client, tenant, other["id"], name="Café Ünïcode — Live!"))["slug"] == slugs[0]
    assert (await create_event(client, tenant, venue["id"], name="日本"))["slug"].startswith("main-hall-")


async def test_concurrent_creates_with_the_same_name_get_distinct_slugs(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    body = {"name": "Rush", "venue_id": str(venue["id"]), "starts_at": iso(future(3)), "capacity": 10}

    async def create() -> httpx.Response:
        return await client.post("/api/v1/events", json=body, headers=tenant.headers("organizer"))

    responses = await asyncio.gather(*(create() for _ in range(10)))
    assert [r.status_code for r in responses] == [201] * 10
    slugs = {r.json()["event"]["slug"] for r in responses}
    assert slugs == {"main-hall-rush", *(f"main-hall-rush-{n}" for n in range(2, 11))}
    async with engine.connect() as conn:
        schedules = (await conn.execute(select(event_schedules).where(event_schedules.c.tenant_id == tenant.id))).all()
    assert len(schedules) == 10
    assert (await outbox_types(engine, tenant.id)).count("event.created") == 10
