"""PUT /api/v1/events/{id} and POST /api/v1/events/{id}/publish: changes, lifecycle, audit, outbox."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import factories
from tests.events.conftest import audit_rows, create_event, error, fields_of, future, iso, outbox_types
from tests.support import Tenant


async def put(client: httpx.AsyncClient, tenant: Tenant, event_id: str, role: str = "organizer", **body: Any) -> Any:
    return await client.put(f"/api/v1/events/{event_id}", json=body, headers=tenant.headers(role))


async def test_update_changes_fields_and_records_before_and_changes(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], name="Old", description="one")
    response = await put(client, tenant, event["id"], name="New Name", description="two", tags=["a"])
    assert response.status_code == 200, response.text
    updated = response.json()["event"]
    assert updated["name"] == "New Name" and updated["tags"] == ["a"]
    assert updated["slug"] == "main-hall-new-name"  # a draft's slug follows its name
    entry = (await audit_rows(engine, tenant.id, event["id"]))[-1]
    assert entry.action == "event_updated"
    assert entry.metadata["before"] == {"name": "Old", "description": "one", "tags": [], "slug": event["slug"]}
    assert entry.metadata["changes"] == {
        "name": "New Name",
        "description": "two",
        "tags": ["a"],
        "slug": updated["slug"],
    }
    assert (await outbox_types(engine, tenant.id, f"events/{event['id']}")) == ["event.created", "event.updated"]


async def test_an_update_that_changes_nothing_writes_no_audit_or_outbox_row(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], name="Same")
    assert (await put(client, tenant, event["id"], name="Same")).status_code == 200
    assert len(await audit_rows(engine, tenant.id, event["id"])) == 1
    assert (await outbox_types(engine, tenant.id, f"events/{event['id']}")) == ["event.created"]


async def test_slug_venue_and_type_are_fixed_once_published(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], name="Fixed", status="PUBLISHED")
    renamed = (await put(client, tenant, event["id"], name="Renamed")).json()["event"]
    assert renamed["name"] == "Renamed" and renamed["slug"] == event["slug"]
    other = await factories.venue(engine, tenant.id)
    response = await put(client, tenant, event["id"], venue_id=str(other["id"]), event_type="series")
    assert fields_of(error(response, 422, "VALIDATION_ERROR")) == {"venue_id", "event_type"}
    assert (await put(client, tenant, event["id"], venue_id=str(venue["id"]))).status_code == 200


async def test_a_draft_may_move_to_another_venue_within_its_capacity(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], name="Mover", capacity=300)
    small = await factories.venue(engine, tenant.id, max_capacity=200, name="Small Room")
    error(await put(client, tenant, event["id"], venue_id=str(small["id"])), 422, "VENUE_CAPACITY_EXCEEDED")
    large = await factories.venue(engine, tenant.id, max_capacity=400, name="Large Room")
    moved = (await put(client, tenant, event["id"], venue_id=str(large["id"]))).json()["event"]
    assert moved["venue_id"] == str(large["id"]) and moved["slug"] == "large-room-mover"


@pytest.mark.parametrize(
    ("path", "target", "code"),
    [
        (["PUBLISHED"], "DRAFT", "INVALID_STATUS_TRANSITION"),
        (["PUBLISHED", "COMPLETED"], "", ""),
        (["DRAFT"], "CANCELLED", "INVALID_STATUS_TRANSITION"),
        (["DRAFT"], "ON_SALE", "INVALID_STATUS_TRANSITION"),
        (["PUBLISHED", "ON_SALE", "SOLD_OUT"], "PUBLISHED", "EVENT_ALREADY_PUBLISHED"),
        (["PUBLISHED", "CANCELLED"], "PUBLISHED", "INVALID_STATUS_TRANSITION"),
    ],
)
async def test_status_changes_follow_the_transition_table(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], path: list[str], target: str, code: str
) -> None:
    event = await create_event(client, tenant, venue["id"])
    for status in path:
        if status == "COMPLETED":
            response = await put(client, tenant, event["id"], status="COMPLETED")
            error(response, 422, "INVALID_STATUS_TRANSITION")  # must be IN_PROGRESS first
            return
        assert (await put(client, tenant, event["id"], status=status)).status_code == 200
    error(
        await put(client, tenant, event["id"], status=target), 422 if code != "EVENT_ALREADY_PUBLISHED" else 409, code
    )


async def test_legal_status_path_to_completed_and_cancel_emits_event_cancelled(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    done = await create_event(client, tenant, venue["id"])
    for status in ("REVIEW", "APPROVED", "PUBLISHED", "ON_SALE", "SOLD_OUT", "ON_SALE", "IN_PROGRESS", "COMPLETED"):
        response = await put(client, tenant, done["id"], status=status)
        assert response.json()["event"]["status"] == status, response.text
    cancelled = await create_event(client, tenant, venue["id"], status="PUBLISHED")
    assert (await put(client, tenant, cancelled["id"], status="CANCELLED")).status_code == 200
    assert (await outbox_types(engine, tenant.id, f"events/{cancelled['id']}"))[-2:] == [
        "event.updated",
        "event.cancelled",
    ]


async def test_moving_the_start_keeps_the_length_and_validates_the_dates(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(
        client,
        tenant,
        venue["id"],
        starts_at=iso(future(10)),
        ends_at=iso(future(10, 2)),
        doors_open=iso(future(10, -1)),
    )
    moved = (await put(client, tenant, event["id"], starts_at=iso(future(12)))).json()["event"]
    assert moved["event_date"] == iso(future(12))
    assert moved["schedule"]["ends_at"] == iso(future(12, 2)) and moved["doors_open"] == iso(future(12, -1))
    assert moved["schedule"]["id"] == event["schedule"]["id"]
    error(await put(client, tenant, event["id"], starts_at="2020-01-01T00:00:00Z"), 422, "INVALID_DATE_RANGE")
    error(await put(client, tenant, event["id"], ends_at=iso(future(11))), 422, "INVALID_DATE_RANGE")
    error(await put(client, tenant, event["id"], timezone="Nowhere/City"), 422, "VALIDATION_ERROR")
    assert "schedule.updated" in await outbox_types(engine, tenant.id, f"schedules/{event['schedule']['id']}")
    entry = (await audit_rows(engine, tenant.id, event["id"]))[-1]
    assert entry.metadata["before"]["event_date"] == iso(future(10))
    assert entry.metadata["changes"]["event_date"] == iso(future(12))


async def test_inline_capacity_resizes_general_admission_within_venue_and_sales(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    first = (await put(client, tenant, event["id"], capacity=100)).json()["event"]
    assert first["capacity"] == 100 and first["capacity_info"]["section_code"] == "GA"
    error(await put(client, tenant, event["id"], capacity=1001), 422, "VENUE_CAPACITY_EXCEEDED")
    await factories.section(
        engine, tenant.id, uuid.UUID(event["id"]), total_capacity=10, sold_count=4, section_name="VIP", section_code="V"
    )
    error(await put(client, tenant, event["id"], capacity=991), 422, "VENUE_CAPACITY_EXCEEDED")
    grown = (await put(client, tenant, event["id"], capacity=990)).json()["event"]
    assert grown["capacity"] == 1000 and grown["available_capacity"] == 996
    types = await outbox_types(engine, tenant.id, f"capacity/{first['capacity_info']['id']}")
    assert types == ["capacity.created", "capacity.updated"]


async def test_capacity_cannot_shrink_below_what_is_sold(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], capacity=100)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "UPDATE event_capacity SET sold_count = 60 WHERE id = $1", (uuid.UUID(event["capacity_info"]["id"]),)
        )
    response = await put(client, tenant, event["id"], capacity=59)
    assert "capacity" in fields_of(error(response, 422, "VALIDATION_ERROR"))
    assert (await put(client, tenant, event["id"], capacity=60)).json()["event"]["available_capacity"] == 0


@pytest.mark.parametrize("field", ["name", "status", "venue_id", "tags", "starts_at", "capacity"])
async def test_required_fields_cannot_be_set_to_null(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], field: str
) -> None:
    event = await create_event(client, tenant, venue["id"])
    response = await client.put(f"/api/v1/events/{event['id']}", json={field: None}, headers=tenant.headers())
    assert field in fields_of(error(response, 422, "VALIDATION_ERROR"))


async def test_optional_fields_can_be_cleared(client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]) -> None:
    event = await create_event(client, tenant, venue["id"], description="text")
    cleared = (await put(client, tenant, event["id"], description=None)).json()["event"]
    assert cleared["description"] is None


@pytest.mark.parametrize("role", ["customer", "service"])
async def test_update_and_publish_need_organizer_or_admin(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any], role: str
) -> None:
    event = await create_event(client, tenant, venue["id"])
    error(await put(client, tenant, event["id"], role=role, name="Nope"), 403, "FORBIDDEN")
    error(await client.post(f"/api/v1/events/{event['id']}/publish", headers=tenant.headers(role)), 403, "FORBIDDEN")


async def test_publish_moves_a_draft_to_published_once(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"])
    response = await client.post(f"/api/v1/events/{event['id']}/publish", headers=tenant.headers("organizer"))
    assert response.status_code == 200 and response.json()["event"]["status"] == "PUBLISHED"
    again = await client.post(f"/api/v1/events/{event['id']}/publish", headers=tenant.headers("organizer"))
    error(again, 409, "EVENT_ALREADY_PUBLISHED")
    assert (await outbox_types(engine, tenant.id, f"events/{event['id']}")) == ["event.created", "event.published"]
    entry = (await audit_rows(engine, tenant.id, event["id"]))[-1]
    assert entry.action == "event_published"
    assert entry.metadata["before"] == {"status": "DRAFT"} and entry.metadata["changes"] == {"status": "PUBLISHED"}


async def test_publishing_a_cancelled_event_is_an_invalid_transition(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], status="PUBLISHED")
    await put(client, tenant, event["id"], status="CANCELLED")
    response = await client.post(f"/api/v1/events/{event['id']}/publish", headers=tenant.headers())
    error(response, 422, "INVALID_STATUS_TRANSITION")
