"""Tenant isolation, generated from the route table so a new route is covered automatically.

Tenant A builds a world of resources through the API; tenant B's admin then
calls every /api/v1 operation that names an id with A's ids (404, never 403 or
2xx), reads every list and report (none of A's ids appear), and offers A's ids
in request bodies (refused, nothing created).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.security.world import PATH_PARAM_SOURCES, build_world, future
from tests.support import auth

# Routes whose path id is not a tenant-owned row, with the reason; they are checked differently below.
NOT_TENANT_ROWS: dict[str, str] = {
    "/api/v1/customers/{customer_id}/profile": "a user id, not a row: B's view of A's user must hold no A data",
    "/api/v1/users/{user_id}/notifications": "placeholder answering 501 NOT_IMPLEMENTED (seed 32-34)",
    "/api/v1/notifications/{notification_id}/read": "placeholder answering 501 NOT_IMPLEMENTED (seed 32-34)",
}
PARAM = re.compile(r"{([^}]+)}")


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every /api/v1 route, from the app's route table."""
    found = []
    for path, methods in app.openapi()["paths"].items():
        if path.startswith("/api/v1"):
            found.extend((method.upper(), path, op) for method, op in methods.items())
    return found


def minimal_body(app: FastAPI, operation: dict[str, Any], ids: dict[str, str]) -> dict[str, Any] | None:
    """A body that passes validation, so the tenant check (not the validator) decides the answer."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = app.openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    body: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema.get("properties", {}).get(name, {})
        kinds = {prop.get("type"), *(option.get("type") for option in prop.get("anyOf", []))}
        formats = {prop.get("format"), *(option.get("format") for option in prop.get("anyOf", []))}
        if name in ids:
            body[name] = ids[name]
        elif "date-time" in formats or name.endswith("_at"):
            body[name] = future(50 if name.startswith("ends") else 49)
        elif "integer" in kinds or "number" in kinds:
            body[name] = 1
        elif "boolean" in kinds:
            body[name] = True
        elif "uuid" in formats:
            body[name] = str(uuid.uuid4())
        elif "array" in kinds:
            body[name] = []
        else:
            body[name] = "isolation"
    if "quantity" in schema.get("properties", {}):
        body.setdefault("quantity", 1)
    if "url" in body:
        body["url"] = "http://127.0.0.1:9/other"
    if not body:  # updates refuse an empty body before looking the row up: send one harmless field
        for name in ("notes", "description", "name"):
            if name in schema.get("properties", {}):
                body[name] = "isolation"
                break
    return body


def fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PATH_PARAM_SOURCES, f"{path}: add path parameter {name!r} to PATH_PARAM_SOURCES in world.py"
        return ids[PATH_PARAM_SOURCES[name]]

    return PARAM.sub(one, path)


async def test_another_tenants_id_in_any_path_is_404_never_403_or_success(
    secure_app: FastAPI, sclient: httpx.AsyncClient
) -> None:
    tenant_a, tenant_b, customer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ids = await build_world(sclient, auth(tenant_a, "admin", uuid.uuid4()), customer)
    intruder = auth(tenant_b, "admin", uuid.uuid4())
    checked, wrong = 0, []
    # Reads first, then writes, then deletes: a leaking write must not hide a leaking read.
    order = {"GET": 0, "PUT": 1, "POST": 1, "DELETE": 2}
    routes = sorted(operations(secure_app), key=lambda item: order.get(item[0], 1))
    for method, path, operation in routes:
        if not PARAM.search(path) or path in NOT_TENANT_ROWS:
            continue
        body = minimal_body(secure_app, operation, {})
        response = await sclient.request(method, fill(path, ids), headers=intruder, json=body)
        checked += 1
        if response.status_code != 404 or response.json().get("code") != "NOT_FOUND":
            wrong.append(f"{method} {path} -> {response.status_code} {response.text[:160]}")
    assert checked >= 30, f"only {checked} routes with ids were found in the route table"
    assert wrong == [], "another tenant's ids must answer 404 NOT_FOUND:\n" + "\n".join(wrong)

    # A's world is intact after B's attempts (B's deletes and writes all missed).
    owner = auth(tenant_a, "admin", uuid.uuid4())
    event = await sclient.get(f"/api/v1/events/{ids['event_id']}", headers=owner)
    assert event.status_code == 200
    reservation = await sclient.get(f"/api/v1/reservations/{ids['reservation_id']}", headers=owner)
    assert reservation.status_code == 200 and reservation.json()["reservation"]["status"] == "ACTIVE"


async def test_a_customer_profile_read_by_another_tenant_holds_none_of_the_first_tenants_data(
    sclient: httpx.AsyncClient,
) -> None:
    tenant_a, customer = uuid.uuid4(), uuid.uuid4()
    ids = await build_world(sclient, auth(tenant_a, "admin", uuid.uuid4()), customer)
    confirm = await sclient.post(
        f"/api/v1/reservations/{ids['reservation_id']}/confirm", headers=auth(tenant_a, "admin", uuid.uuid4())
    )
    assert confirm.status_code == 200, confirm.text
    response = await sclient.get(f"/api/v1/customers/{customer}/profile", headers=auth(uuid.uuid4(), "admin"))
    assert response.status_code in (200, 404)
    for value in ids.values():
        if value != str(customer):
            assert value not in response.text
    if response.status_code == 200:
        assert response.json()["profile"]["total_purchases"] == 0


async def test_every_list_and_report_returns_only_the_callers_tenant(
    secure_app: FastAPI, sclient: httpx.AsyncClient
) -> None:
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    ids_a = await build_world(sclient, auth(tenant_a, "admin", uuid.uuid4()), uuid.uuid4())
    ids_b = await build_world(sclient, auth(tenant_b, "admin", uuid.uuid4()), uuid.uuid4())
    secret = {k: v for k, v in ids_a.items() if k not in ("notification_id", "customer_id")}
    lists = [path for method, path, _ in operations(secure_app) if method == "GET" and not PARAM.search(path)]
    # B's own lists, reached through B's ids, must not show A's rows either.
    lists += [fill(path, ids_b) for method, path, _ in operations(secure_app) if method == "GET" and PARAM.search(path)]
    checked, leaks = 0, []
    for path in lists:
        if path in NOT_TENANT_ROWS or "notifications" in path:
            continue
        for fmt in ("", "?format=csv") if "/reports/" in path or path.endswith(("/dashboard", "/analytics")) else ("",):
            response = await sclient.get(path + fmt, headers=auth(tenant_b, "admin", uuid.uuid4()))
            checked += 1
            assert response.status_code < 500, f"{path}{fmt}: {response.status_code}"
            leaks += [f"{path}{fmt} shows A's {key}" for key, value in secret.items() if value in response.text]
    assert checked >= 20
    assert leaks == []


BODY_ID_ATTACKS = [
    ("POST", "/api/v1/events", "venue_id"),
    ("POST", "/api/v1/events", "primary_category_id"),
    ("POST", "/api/v1/events/{event_id}/pricing", "capacity_id"),
    ("POST", "/api/v1/events/{event_id}/pricing", "schedule_id"),
    ("POST", "/api/v1/events/{event_id}/capacity", "schedule_id"),
    ("POST", "/api/v1/capacity/{capacity_id}/reserve", "pricing_id"),
    ("PUT", "/api/v1/events/{event_id}", "venue_id"),
    ("PUT", "/api/v1/events/{event_id}", "primary_category_id"),
    ("POST", "/api/v1/categories", "parent_id"),
]


@pytest.mark.parametrize(
    ("method", "path", "field"), BODY_ID_ATTACKS, ids=[f"{m} {p} {f}" for m, p, f in BODY_ID_ATTACKS]
)
async def test_an_id_of_another_tenant_in_a_body_is_refused_and_nothing_changes(
    sclient: httpx.AsyncClient, engine: Any, method: str, path: str, field: str
) -> None:
    from tests.security.dbstate import tenant_checksum

    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    ids_a = await build_world(sclient, auth(tenant_a, "admin", uuid.uuid4()), uuid.uuid4())
    ids_b = await build_world(sclient, auth(tenant_b, "admin", uuid.uuid4()), uuid.uuid4())
    source = {"parent_id": "category_id", "primary_category_id": "category_id"}.get(field, field)
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/events": {
            "name": "Cross",
            "venue_id": ids_b["venue_id"],
            "starts_at": future(31),
            "ends_at": future(31, 2),
        },
        "/api/v1/events/{event_id}/pricing": {"name": "Cross", "base_price": 5},
        "/api/v1/events/{event_id}/capacity": {"section_name": "Cross", "total_capacity": 5},
        "/api/v1/capacity/{capacity_id}/reserve": {"quantity": 1},
        "/api/v1/events/{event_id}": {},
        "/api/v1/categories": {"name": f"Cross {uuid.uuid4().hex[:6]}"},
    }
    body = {**bodies[path], field: ids_a[source]}
    before_a = await tenant_checksum(engine, tenant_a)
    before_b = await tenant_checksum(engine, tenant_b)
    response = await sclient.request(
        method, fill(path, ids_b), headers=auth(tenant_b, "admin", uuid.uuid4()), json=body
    )
    assert 400 <= response.status_code < 500, f"{response.status_code} {response.text}"
    assert response.json()["success"] is False and response.json()["code"]
    assert await tenant_checksum(engine, tenant_a) == before_a
    assert await tenant_checksum(engine, tenant_b) == before_b
