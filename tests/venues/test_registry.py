"""The local venue registry (no VENUE_SERVICE_URL): POST/GET /api/v1/venues, roles and tenants."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.app import create_app
from event_service.platform.auth import Principal
from event_service.platform.errors import ValidationFailed
from tests import factories
from tests.conftest import make_settings
from tests.support import Tenant, free_port


async def test_an_admin_registers_a_venue_with_a_unicode_safe_slug_from_its_name(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = {
        "name": "Théâtre du Châtelet",
        "max_capacity": 2500,
        "address": {"city": "Paris"},
        "timezone": "Europe/Paris",
    }
    response = await client.post("/api/v1/venues", json=body, headers=tenant.headers())
    assert response.status_code == 201
    venue = response.json()["venue"]
    assert venue["slug"] == "theatre-du-chatelet"
    assert venue["tenant_id"] == str(tenant.id)
    assert venue["source"] == "local"
    assert venue["address"] == {"city": "Paris"}
    fetched = await client.get(f"/api/v1/venues/{venue['id']}", headers=tenant.headers("customer"))
    assert fetched.status_code == 200
    assert fetched.json()["venue"]["max_capacity"] == 2500


async def test_a_venue_keeps_the_id_and_slug_it_was_given(client: httpx.AsyncClient, tenant: Tenant) -> None:
    venue_id = uuid.uuid4()
    body = {"id": str(venue_id), "name": "Hall", "slug": "main-hall", "max_capacity": 10}
    response = await client.post("/api/v1/venues", json=body, headers=tenant.headers())
    assert response.status_code == 201
    assert (response.json()["venue"]["id"], response.json()["venue"]["slug"]) == (str(venue_id), "main-hall")
    again = await client.post("/api/v1/venues", json=body, headers=tenant.headers())
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


@pytest.mark.parametrize("role", ["organizer", "customer", "service"])
async def test_only_an_admin_registers_venues(client: httpx.AsyncClient, tenant: Tenant, role: str) -> None:
    response = await client.post(
        "/api/v1/venues", json={"name": "Hall", "max_capacity": 10}, headers=tenant.headers(role)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


async def test_venue_routes_need_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/venues")).status_code == 401
    assert (await client.post("/api/v1/venues", json={"name": "x", "max_capacity": 1})).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_capacity": 10}, "name"),
        ({"name": "Hall"}, "max_capacity"),
        ({"name": "Hall", "max_capacity": 0}, "max_capacity"),
        ({"name": "Hall", "max_capacity": "many"}, "max_capacity"),
        ({"name": "Hall", "max_capacity": 10, "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "Hall", "max_capacity": 10, "slug": "Not A Slug"}, "slug"),
        ({"name": "Hall", "max_capacity": 10, "id": "not-a-uuid"}, "id"),
        ({"name": "!!!", "max_capacity": 10}, "slug"),
    ],
)
async def test_an_invalid_venue_is_a_422_naming_the_field(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/venues", json=body, headers=tenant.headers())
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert field in [detail["field"] for detail in response.json()["details"]]


async def test_another_tenants_venue_is_404_and_absent_from_the_list(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await factories.venue(engine, tenant.id, name="Mine")
    theirs = await factories.venue(engine, other_tenant.id, name="Theirs")
    assert (await client.get(f"/api/v1/venues/{theirs['id']}", headers=tenant.headers())).status_code == 404
    listed = await client.get("/api/v1/venues", headers=tenant.headers())
    assert [v["id"] for v in listed.json()["venues"]] == [str(mine["id"])]
    assert listed.json()["pagination"] == {"limit": 20, "offset": 0, "total": 1}


async def test_the_venue_list_pages_in_name_order(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    for name in ("Charlie", "Alpha", "Bravo"):
        await factories.venue(engine, tenant.id, name=name)
    response = await client.get("/api/v1/venues?limit=2&offset=1", headers=tenant.headers("customer"))
    assert response.status_code == 200
    assert [v["name"] for v in response.json()["venues"]] == ["Bravo", "Charlie"]
    assert response.json()["pagination"] == {"limit": 2, "offset": 1, "total": 3}
    assert (await client.get("/api/v1/venues?limit=101", headers=tenant.headers())).status_code == 422


async def test_an_unknown_venue_id_is_404_and_a_malformed_one_422(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (await client.get(f"/api/v1/venues/{uuid.uuid4()}", headers=tenant.headers())).status_code == 404
    assert (await client.get("/api/v1/venues/nope", headers=tenant.headers())).status_code == 422


async def test_the_directory_refuses_another_tenants_venue_as_a_validation_error_on_venue_id(
    app: object, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await factories.venue(engine, other_tenant.id)
    mine = await factories.venue(engine, tenant.id, max_capacity=321)
    principal = Principal(tenant.id, "u", frozenset({"organizer"}), "t")
    directory = app.state.venues  # type: ignore[attr-defined]
    assert (await directory.get(principal, mine["id"])).max_capacity == 321
    with pytest.raises(ValidationFailed) as raised:
        await directory.get(principal, theirs["id"])
    assert raised.value.details == [{"field": "venue_id", "message": "Invalid venue or no access"}]


async def test_with_a_venue_service_configured_registering_locally_is_a_409(database_url: str, tenant: Tenant) -> None:
    app = create_app(make_settings(database_url, venue_service_url=f"http://127.0.0.1:{free_port()}", db_pool_max=2))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post(
                "/api/v1/venues", json={"name": "Hall", "max_capacity": 10}, headers=tenant.headers()
            )
    assert response.status_code == 409
    assert response.json()["code"] == "VENUES_MANAGED_REMOTELY"
