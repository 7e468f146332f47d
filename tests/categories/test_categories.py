"""Event categories: list, tree, admin create/update, the cycle rule, event counts and tenants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.categories.queries import resolve_category
from event_service.db.tables import events
from tests import factories
from tests.support import Tenant

PLATFORM = ["Music", "Sports", "Theater", "Comedy", "Arts", "Conference", "Workshop", "Festival", "Family", "Nightlife"]


async def create(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/categories", json=body, headers=tenant.headers())
    assert response.status_code == 201, response.text
    category: dict[str, Any] = response.json()["category"]
    return category


async def platform_id(client: httpx.AsyncClient, tenant: Tenant, slug: str) -> str:
    listed = (await client.get("/api/v1/categories", headers=tenant.headers())).json()["categories"]
    return next(c["id"] for c in listed if c["slug"] == slug and c["is_platform"])


async def test_the_list_shows_the_platform_categories_in_display_order_to_any_user(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get("/api/v1/categories", headers=tenant.headers("customer"))
    assert response.status_code == 200
    categories = response.json()["categories"]
    assert [c["name"] for c in categories] == PLATFORM
    music = categories[0]
    assert (music["slug"], music["color"], music["is_platform"], music["event_count"]) == (
        "music",
        "#8B5CF6",
        True,
        0,
    )


async def test_the_list_adds_the_callers_own_active_categories_only(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await create(client, tenant, name="Esports", display_order=0)
    await create(client, tenant, name="Retired", is_active=False)
    await create(client, other_tenant, name="Secret Club")
    names = [c["name"] for c in (await client.get("/api/v1/categories", headers=tenant.headers())).json()["categories"]]
    assert "Esports" in names
    assert "Retired" not in names
    assert "Secret Club" not in names
    # display_order first, then name: Esports (0) sorts beside Music (0), after it by name.
    assert names[:2] == ["Esports", "Music"]


async def test_the_tree_nests_children_to_any_depth(client: httpx.AsyncClient, tenant: Tenant) -> None:
    music = await platform_id(client, tenant, "music")
    rock = await create(client, tenant, name="Rock", parent_id=music)
    metal = await create(client, tenant, name="Metal", parent_id=rock["id"])
    doom = await create(client, tenant, name="Doom Metal", parent_id=metal["id"])
    hidden = await create(client, tenant, name="Hidden", parent_id=doom["id"], is_active=False)
    await create(client, tenant, name="Under Hidden", parent_id=hidden["id"])
    response = await client.get("/api/v1/categories/tree", headers=tenant.headers("customer"))
    assert response.status_code == 200
    roots = response.json()["categories"]
    assert [r["name"] for r in roots] == PLATFORM  # children are not repeated at the top
    music_node = roots[0]
    rock_node = next(c for c in music_node["children"] if c["name"] == "Rock")
    assert [c["name"] for c in rock_node["children"]] == ["Metal"]
    doom_node = rock_node["children"][0]["children"][0]
    assert doom_node["name"] == "Doom Metal"
    assert doom_node["children"] == []  # an inactive branch is hidden with what is under it


async def test_an_admin_creates_a_category_with_a_unicode_safe_slug(client: httpx.AsyncClient, tenant: Tenant) -> None:
    category = await create(client, tenant, name="Musique Électro", color="#00aaFF", icon="bolt")
    assert category["slug"] == "musique-electro"
    assert category["tenant_id"] == str(tenant.id)
    assert category["is_platform"] is False
    assert (category["color"], category["is_active"], category["event_count"]) == ("#00aaFF", True, 0)
    fetched = await client.get(f"/api/v1/categories/{category['id']}", headers=tenant.headers("customer"))
    assert fetched.json()["category"]["name"] == "Musique Électro"


@pytest.mark.parametrize("role", ["organizer", "customer", "service"])
async def test_only_an_admin_creates_or_updates_categories(
    client: httpx.AsyncClient, tenant: Tenant, role: str
) -> None:
    own = await create(client, tenant, name=f"Own {role}")
    created = await client.post("/api/v1/categories", json={"name": "Nope"}, headers=tenant.headers(role))
    updated = await client.put(f"/api/v1/categories/{own['id']}", json={"name": "x"}, headers=tenant.headers(role))
    assert (created.status_code, updated.status_code) == (403, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "color": "red"}, "color"),
        ({"name": "Ok", "color": "#12345"}, "color"),
        ({"name": "Ok", "slug": "Bad Slug"}, "slug"),
        ({"name": "Ok", "parent_id": "nope"}, "parent_id"),
        ({"name": "Ok", "meta_title": "t" * 71}, "meta_title"),
        ({"name": "Ok", "display_order": -1}, "display_order"),
        ({"name": "???"}, "slug"),
    ],
)
async def test_an_invalid_category_is_a_422_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/categories", json=body, headers=tenant.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in response.json()["details"]]


async def test_a_parent_must_exist_and_be_visible_to_the_tenant(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    foreign = await create(client, other_tenant, name="Foreign")
    for parent in (str(uuid.uuid4()), foreign["id"]):
        response = await client.post(
            "/api/v1/categories", json={"name": "Child", "parent_id": parent}, headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "parent_id"


async def test_a_slug_is_unique_among_the_categories_a_tenant_sees(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    await create(client, tenant, name="Jazz Nights")
    again = await client.post("/api/v1/categories", json={"name": "Jazz Nights"}, headers=tenant.headers())
    assert again.status_code == 409
    assert again.json()["code"] == "CATEGORY_SLUG_TAKEN"
    platform = await client.post("/api/v1/categories", json={"name": "Music"}, headers=tenant.headers())
    assert platform.status_code == 409
    # Another tenant has its own slug space.
    await create(client, other_tenant, name="Jazz Nights")


async def test_an_update_changes_only_the_fields_sent(client: httpx.AsyncClient, tenant: Tenant) -> None:
    music = await platform_id(client, tenant, "music")
    category = await create(client, tenant, name="Blues", parent_id=music, color="#000000", display_order=5)
    response = await client.put(
        f"/api/v1/categories/{category['id']}",
        json={"name": "Delta Blues", "color": "#FFFFFF", "parent_id": None},
        headers=tenant.headers(),
    )
    assert response.status_code == 200
    updated = response.json()["category"]
    assert (updated["name"], updated["color"], updated["parent_id"]) == ("Delta Blues", "#FFFFFF", None)
    assert (updated["slug"], updated["display_order"]) == ("blues", 5)  # the slug stays unless sent
    bad = await client.put(f"/api/v1/categories/{category['id']}", json={"name": None}, headers=tenant.headers())
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "name"
    taken = await client.put(f"/api/v1/categories/{category['id']}", json={"slug": "music"}, headers=tenant.headers())
    assert taken.status_code == 409


async def test_a_parent_change_that_would_make_a_cycle_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    top = await create(client, tenant, name="Top")
    middle = await create(client, tenant, name="Middle", parent_id=top["id"])
    bottom = await create(client, tenant, name="Bottom", parent_id=middle["id"])
    for parent in (bottom["id"], middle["id"], top["id"]):
        response = await client.put(
            f"/api/v1/categories/{top['id']}", json={"parent_id": parent}, headers=tenant.headers()
        )
        assert response.status_code == 422
        assert response.json()["details"][0]["field"] == "parent_id"
    moved = await client.put(
        f"/api/v1/categories/{bottom['id']}", json={"parent_id": top["id"]}, headers=tenant.headers()
    )
    assert moved.status_code == 200
    assert moved.json()["category"]["parent_id"] == top["id"]


async def test_platform_categories_are_read_only(client: httpx.AsyncClient, tenant: Tenant) -> None:
    music = await platform_id(client, tenant, "music")
    response = await client.put(f"/api/v1/categories/{music}", json={"name": "Muzak"}, headers=tenant.headers())
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    listed = (await client.get("/api/v1/categories", headers=tenant.headers())).json()["categories"]
    assert "Muzak" not in [c["name"] for c in listed]


async def test_another_tenants_category_is_404_on_every_route(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    foreign = await create(client, other_tenant, name="Theirs")
    path = f"/api/v1/categories/{foreign['id']}"
    assert (await client.get(path, headers=tenant.headers())).status_code == 404
    assert (await client.put(path, json={"name": "Mine"}, headers=tenant.headers())).status_code == 404
    assert (
        await client.put(f"/api/v1/categories/{uuid.uuid4()}", json={}, headers=tenant.headers())
    ).status_code == 404


async def test_event_count_follows_the_tenants_events_as_they_come_and_go(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    category = await create(client, tenant, name="Counted")
    music = await platform_id(client, tenant, "music")

    async def counts(who: Tenant) -> tuple[int, int]:
        listed = (await client.get("/api/v1/categories", headers=who.headers())).json()["categories"]
        by_id = {c["id"]: c["event_count"] for c in listed}
        return by_id.get(category["id"], -1), by_id[music]

    assert await counts(tenant) == (0, 0)
    first = await factories.event(engine, tenant.id, primary_category_id=uuid.UUID(category["id"]))
    await factories.event(engine, tenant.id, primary_category_id=uuid.UUID(category["id"]))
    await factories.event(engine, tenant.id, primary_category_id=uuid.UUID(music))
    await factories.event(engine, other_tenant.id, primary_category_id=uuid.UUID(music))
    assert await counts(tenant) == (2, 1)
    assert await counts(other_tenant) == (-1, 1)  # counted per tenant
    async with engine.begin() as conn:
        await conn.execute(update(events).where(events.c.id == first["id"]).values(deleted_at=datetime.now(UTC)))
    assert await counts(tenant) == (1, 1)
    tree = (await client.get("/api/v1/categories/tree", headers=tenant.headers())).json()["categories"]
    assert next(c for c in tree if c["id"] == music)["event_count"] == 1
    single = await client.get(f"/api/v1/categories/{category['id']}", headers=tenant.headers())
    assert single.json()["category"]["event_count"] == 1


async def test_resolve_category_finds_by_id_or_slug_within_what_the_tenant_sees(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    own = await create(client, tenant, name="Salsa")
    foreign = await create(client, other_tenant, name="Tango")
    async with engine.connect() as conn:
        assert (await resolve_category(conn, tenant.id, "salsa")).id == uuid.UUID(own["id"])
        assert (await resolve_category(conn, tenant.id, own["id"])).slug == "salsa"
        assert (await resolve_category(conn, tenant.id, uuid.UUID(own["id"]))).name == "Salsa"
        assert (await resolve_category(conn, tenant.id, "music")).tenant_id is None
        assert await resolve_category(conn, tenant.id, "tango") is None
        assert await resolve_category(conn, tenant.id, foreign["id"]) is None
        assert await resolve_category(conn, tenant.id, "no-such-thing") is None


async def test_category_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/categories")).status_code == 401
    assert (await client.get("/api/v1/categories/tree")).status_code == 401
