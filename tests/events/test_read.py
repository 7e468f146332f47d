"""GET /api/v1/events/{id}, GET /api/v1/events and GET /api/v1/venues/{id}/events."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.tables import event_categories
from tests import factories
from tests.events.conftest import create_event, error, fields_of, future, iso
from tests.support import Tenant


async def test_get_sums_capacity_over_active_sections_and_dates_from_the_first_schedule(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    event = await create_event(client, tenant, venue["id"], capacity=100)
    event_id = uuid.UUID(event["id"])
    await factories.section(
        engine, tenant.id, event_id, total_capacity=50, sold_count=20, section_name="VIP", section_code="VIP"
    )
    await factories.section(
        engine, tenant.id, event_id, total_capacity=500, is_active=False, section_name="Closed", section_code="X"
    )
    await factories.schedule(engine, tenant.id, event_id, starts_at=future(20))
    await factories.schedule(engine, tenant.id, event_id, starts_at=future(10))
    await factories.schedule(engine, tenant.id, event_id, starts_at=future(5), status="CANCELLED")
    got = (await client.get(f"/api/v1/events/{event_id}", headers=tenant.headers())).json()
    assert got["event"]["capacity"] == 150 and got["event"]["available_capacity"] == 130
    assert got["event"]["event_date"] == iso(future(10))
    assert got["event"]["capacity_info"]["section_code"] == "GA"


async def test_get_unknown_or_malformed_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    error(await client.get(f"/api/v1/events/{uuid.uuid4()}", headers=tenant.headers()), 404, "NOT_FOUND")
    error(await client.get("/api/v1/events/not-a-uuid", headers=tenant.headers()), 422, "VALIDATION_ERROR")
    error(await client.get(f"/api/v1/events/{uuid.uuid4()}"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("visibility", "status", "by_id", "in_list"),
    [
        ("PUBLIC", "PUBLISHED", True, True),
        ("PUBLIC", "DRAFT", False, False),
        ("PUBLIC", "REVIEW", False, False),
        ("UNLISTED", "PUBLISHED", True, False),
        ("PRIVATE", "PUBLISHED", False, False),
    ],
)
async def test_customers_see_public_published_events_and_unlisted_ones_only_by_id(
    client: httpx.AsyncClient,
    tenant: Tenant,
    venue: dict[str, Any],
    visibility: str,
    status: str,
    by_id: bool,
    in_list: bool,
) -> None:
    event = await create_event(client, tenant, venue["id"], visibility=visibility, status=status)
    for role in ("customer", "service"):
        got = await client.get(f"/api/v1/events/{event['id']}", headers=tenant.headers(role))
        assert got.status_code == (200 if by_id else 404)
        listed = (await client.get("/api/v1/events", headers=tenant.headers(role))).json()
        assert [e["id"] for e in listed["events"]] == ([event["id"]] if in_list else [])
        assert listed["pagination"]["total"] == (1 if in_list else 0)
        meta = await client.get(f"/api/v1/events/{event['id']}/metadata", headers=tenant.headers(role))
        assert meta.status_code == (200 if by_id else 404)
    staff = (await client.get("/api/v1/events", headers=tenant.headers("organizer"))).json()
    assert [e["id"] for e in staff["events"]] == [event["id"]]


async def test_list_paginates_newest_first_with_total(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    ids = [(await create_event(client, tenant, venue["id"]))["id"] for _ in range(5)]
    page = (await client.get("/api/v1/events?limit=2&offset=1", headers=tenant.headers())).json()
    assert page["pagination"] == {"limit": 2, "offset": 1, "total": 5}
    assert [e["id"] for e in page["events"]] == ids[::-1][1:3]
    default = (await client.get("/api/v1/events", headers=tenant.headers())).json()
    assert default["pagination"]["limit"] == 20 and len(default["events"]) == 5


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "offset=-1", "status=LIVE", "visibility=SECRET", "starts_from=soon", "venue_id=x"],
)
async def test_list_rejects_bad_parameters_with_422(client: httpx.AsyncClient, tenant: Tenant, query: str) -> None:
    response = await client.get(f"/api/v1/events?{query}", headers=tenant.headers())
    assert query.split("=")[0] in fields_of(error(response, 422, "VALIDATION_ERROR"))


async def test_list_filters_by_status_venue_visibility_category_and_dates(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, venue: dict[str, Any]
) -> None:
    async with engine.connect() as conn:
        music, sports = (
            await conn.execute(
                select(event_categories.c.id)
                .where(event_categories.c.slug.in_(["music", "sports"]), event_categories.c.tenant_id.is_(None))
                .order_by(event_categories.c.slug)
            )
        ).scalars()
    other_venue = await factories.venue(engine, tenant.id)
    a = await create_event(client, tenant, venue["id"], status="PUBLISHED", primary_category_id=str(music))
    b = await create_event(
        client, tenant, venue["id"], visibility="PRIVATE", secondary_category_ids=[str(music)], starts_at=iso(future(3))
    )
    c = await create_event(client, tenant, other_venue["id"], primary_category_id=str(sports), starts_at=iso(future(9)))

    async def ids(query: str) -> set[str]:
        response = await client.get(f"/api/v1/events?{query}", headers=tenant.headers())
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()["events"]}

    assert await ids("status=PUBLISHED") == {a["id"]}
    assert await ids("status=DRAFT,PUBLISHED") == {a["id"], b["id"], c["id"]}
    assert await ids(f"venue_id={other_venue['id']}") == {c["id"]}
    assert await ids("visibility=PRIVATE") == {b["id"]}
    assert await ids("category=music") == {a["id"], b["id"]}
    assert await ids(f"category={sports}") == {c["id"]}
    assert await ids("category=no-such-category") == set()
    window = f"starts_from={iso(future(2))}&starts_to={iso(future(5))}"
    assert await ids(window) == {b["id"]}
    assert await ids(f"starts_from={iso(future(4))}") == {c["id"]}


async def test_featured_events_sort_by_priority_score(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    low = await create_event(client, tenant, venue["id"], is_featured=True, priority_score=1)
    high = await create_event(client, tenant, venue["id"], is_featured=True, priority_score=90)
    await create_event(client, tenant, venue["id"], is_featured=False, priority_score=1000)
    page = (await client.get("/api/v1/events?is_featured=true", headers=tenant.headers())).json()
    assert [e["id"] for e in page["events"]] == [high["id"], low["id"]]


async def test_full_text_search_matches_name_description_and_tags_ranked(
    client: httpx.AsyncClient, tenant: Tenant, venue: dict[str, Any]
) -> None:
    in_tags = await create_event(client, tenant, venue["id"], name="Evening", tags=["jazz"])
    in_name = await create_event(client, tenant, venue["id"], name="Jazz Jazz Night", description="jazz")
    in_description = await create_event(client, tenant, venue["id"], name="Gala", description="with some jazz")
    await create_event(client, tenant, venue["id"], name="Rock night")
    page = (await client.get("/api/v1/events?q=jazz", headers=tenant.headers())).json()
    found = [e["id"] for e in page["events"]]
    assert set(found) == {in_tags["id"], in_name["id"], in_description["id"]}
    assert found[0] == in_name["id"]
    assert (await client.get("/api/v1/events?q=jazz -night", headers=tenant.headers())).json()["pagination"][
        "total"
    ] == 2
    for query in ("q=a%00b", "category=a%00b"):
        error(await client.get(f"/api/v1/events?{query}", headers=tenant.headers()), 422, "VALIDATION_ERROR")


async def test_venue_events_lists_only_that_venues_events(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant, venue: dict[str, Any]
) -> None:
    mine = await create_event(client, tenant, venue["id"])
    other_venue = await factories.venue(engine, tenant.id)
    await create_event(client, tenant, other_venue["id"])
    page = (await client.get(f"/api/v1/venues/{venue['id']}/events", headers=tenant.headers("organizer"))).json()
    assert [e["id"] for e in page["events"]] == [mine["id"]]
    assert page["pagination"]["total"] == 1
    customer = (await client.get(f"/api/v1/venues/{venue['id']}/events", headers=tenant.headers("customer"))).json()
    assert customer["events"] == []  # the only event is a draft
    foreign = await client.get(f"/api/v1/venues/{venue['id']}/events", headers=other_tenant.headers())
    error(foreign, 404, "NOT_FOUND")
    error(await client.get(f"/api/v1/venues/{uuid.uuid4()}/events", headers=tenant.headers()), 404, "NOT_FOUND")
