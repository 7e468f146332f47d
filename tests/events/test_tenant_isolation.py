"""Another tenant's event is 404 on every route, whatever the caller's role."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.events.conftest import create_event, error
from tests.support import Tenant

ROUTES = [
    ("GET", "/api/v1/events/{id}", None),
    ("PUT", "/api/v1/events/{id}", {"name": "Hijack"}),
    ("DELETE", "/api/v1/events/{id}", None),
    ("POST", "/api/v1/events/{id}/publish", None),
    ("POST", "/api/v1/events/{id}/restore", None),
    ("GET", "/api/v1/events/{id}/metadata", None),
    ("PUT", "/api/v1/events/{id}/metadata", {"headliner": "x"}),
    ("GET", "/api/v1/events/{id}/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_another_tenants_event_is_404(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    venue: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    event = await create_event(client, tenant, venue["id"], status="PUBLISHED")
    if path.endswith("/restore"):
        await client.delete(f"/api/v1/events/{event['id']}", headers=tenant.headers())
    url = path.format(id=event["id"])
    response = await client.request(method, url, json=body, headers=other_tenant.headers("admin"))
    error(response, 404, "NOT_FOUND")
    listed = (await client.get("/api/v1/events", headers=other_tenant.headers("admin"))).json()
    assert listed["events"] == []
    if method == "GET" and not path.endswith("/restore"):
        assert (await client.request(method, url, headers=tenant.headers("admin"))).status_code == 200
