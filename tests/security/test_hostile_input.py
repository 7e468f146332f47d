"""Hostile input through every body field and query parameter of the main write endpoints.

Values are derived from each field's schema in the OpenAPI document (so a new
field is attacked too): wrong types, nulls in required fields, strings over
their limit and of 1 MB, numbers beyond their bounds, fractions for integers,
invalid UUIDs, dates and timezones, SQL metacharacters; plus deeply nested
JSON, duplicate keys and malformed JSON. Each is a 4xx in the documented error
format, and the tenant's rows are byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.security.dbstate import tenant_checksum, total_rows
from tests.security.world import build_world, future
from tests.support import auth

SQL = "'; DROP TABLE events; --"
MEGABYTE = "x" * (1024 * 1024)
HOSTILE_STATS = {"requests": 0}


def valid_bodies(ids: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        ("POST", "/api/v1/events"): {
            "name": "Hostile",
            "venue_id": ids["venue_id"],
            "starts_at": future(60),
            "ends_at": future(60, 2),
            "timezone": "Europe/Paris",
        },
        ("PUT", "/api/v1/events/{event_id}"): {"name": "Renamed"},
        ("POST", "/api/v1/events/{event_id}/capacity"): {"section_name": "Hostile", "total_capacity": 10},
        ("PUT", "/api/v1/capacity/{capacity_id}"): {"total_capacity": 120},
        ("POST", "/api/v1/capacity/{capacity_id}/reserve"): {"quantity": 1},
        ("POST", "/api/v1/events/{event_id}/pricing"): {"name": "Hostile", "base_price": 10},
        ("PUT", "/api/v1/pricing/{pricing_id}"): {"base_price": 11},
        ("POST", "/api/v1/events/{event_id}/schedules"): {"starts_at": future(70), "ends_at": future(70, 2)},
        ("POST", "/api/v1/venues"): {"name": "Hostile", "max_capacity": 10},
        ("POST", "/api/v1/categories"): {"name": "Hostile"},
    }


def resolve(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return dict(app.openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    return schema


def variants(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]


def hostile_values(name: str, prop: dict[str, Any], required: bool) -> list[tuple[str, Any]]:
    """(label, value) pairs that no correct validator accepts for this field."""
    kinds = {v.get("type") for v in variants(prop)} - {None}
    formats = {v.get("format") for v in variants(prop)} - {None}
    values: list[tuple[str, Any]] = []
    if required:
        values.append(("null in a required field", None))
    if kinds and "object" not in kinds and "array" not in kinds:
        values.append(("an object", {"$gt": ""}))
        values.append(("a list", [1, 2]))
    if kinds == {"string"} or kinds == {"string", "null"}:
        values.append(("1 MB string", MEGABYTE))
        lengths = [v["maxLength"] for v in variants(prop) if "maxLength" in v]
        if lengths:
            values.append(("one character over maxLength", "y" * (max(lengths) + 1)))
        if required or any(v.get("minLength") for v in variants(prop)):
            values.append(("empty string", "") if any(v.get("minLength") for v in variants(prop)) else ("", ""))
    if "uuid" in formats:
        values += [("invalid uuid", "not-a-uuid"), ("SQL in a uuid", SQL), ("a number as uuid", 12345)]
    if "date-time" in formats or "date" in formats:
        values += [("impossible date", "2026-13-45T25:61:00Z"), ("words as date", "next tuesday"), ("SQL as date", SQL)]
    if name == "timezone":
        values += [("unknown timezone", "Mars/Olympus_Mons"), ("SQL as timezone", SQL)]
    if kinds & {"integer", "number"}:
        values += [("a word as number", "twelve"), ("SQL as number", SQL), ("boolean as number", [True])]
        if "integer" in kinds and "number" not in kinds:
            values.append(("fractional integer", 1.5))
        for v in variants(prop):
            if "minimum" in v:
                values.append(("below minimum", v["minimum"] - 1))
            if "exclusiveMinimum" in v:
                values.append(("at exclusive minimum", v["exclusiveMinimum"]))
            if "maximum" in v:
                values.append(("above maximum", v["maximum"] + 1))
        values.append(("10^40", 10**40))
    if "boolean" in kinds:
        values.append(("a list as boolean", [True]))
    return [(label, value) for label, value in values if label]


@pytest.fixture
async def arena(sclient: httpx.AsyncClient) -> tuple[uuid.UUID, dict[str, str]]:
    tenant = uuid.uuid4()
    return tenant, await build_world(sclient, auth(tenant, "admin", uuid.uuid4()), uuid.uuid4())


ENDPOINTS = [
    ("POST", "/api/v1/events"),
    ("PUT", "/api/v1/events/{event_id}"),
    ("POST", "/api/v1/events/{event_id}/capacity"),
    ("PUT", "/api/v1/capacity/{capacity_id}"),
    ("POST", "/api/v1/capacity/{capacity_id}/reserve"),
    ("POST", "/api/v1/events/{event_id}/pricing"),
    ("PUT", "/api/v1/pricing/{pricing_id}"),
    ("POST", "/api/v1/events/{event_id}/schedules"),
    ("POST", "/api/v1/venues"),
    ("POST", "/api/v1/categories"),
]


# Genuine bugs in domain code found by these tests, reported to the lead engineer.
FIELD_BUGS: dict[tuple[str, str], str] = {}
RAW_BODY_BUGS: dict[tuple[str, str], str] = {}


def cases(bugs: dict[tuple[str, str], str]) -> list[Any]:
    return [
        pytest.param(
            method,
            template,
            id=f"{method} {template}",
            marks=[pytest.mark.xfail(strict=True, reason=f"bug reported to the lead: {bugs[(method, template)]}")]
            if (method, template) in bugs
            else [],
        )
        for method, template in ENDPOINTS
    ]


def assert_documented_4xx(response: httpx.Response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    body = response.json()
    assert body["success"] is False and isinstance(body["code"], str) and body["requestId"], what
    if response.status_code == 422 and body["code"] == "VALIDATION_ERROR":
        assert body["details"] and all("field" in d and "message" in d for d in body["details"]), what


@pytest.mark.parametrize(("method", "template"), cases(FIELD_BUGS))
async def test_every_hostile_body_field_is_a_documented_4xx_and_the_database_is_unchanged(
    secure_app: FastAPI,
    sclient: httpx.AsyncClient,
    engine: Any,
    arena: tuple[uuid.UUID, dict[str, str]],
    method: str,
    template: str,
) -> None:
    tenant, ids = arena
    headers = auth(tenant, "admin", uuid.uuid4())
    path = template.format(**ids)
    base = valid_bodies(ids)[(method, template)]
    operation = secure_app.openapi()["paths"][template][method.lower()]
    schema = resolve(secure_app, operation["requestBody"]["content"]["application/json"]["schema"])
    required = set(schema.get("required", []))
    before = await tenant_checksum(engine, tenant)
    tried, accepted = 0, []
    for name, prop in schema.get("properties", {}).items():
        for label, value in hostile_values(name, prop, name in required):
            response = await sclient.request(method, path, headers=headers, json={**base, name: value})
            tried += 1
            what = f"{method} {template} {name}={label}"
            if not 400 <= response.status_code < 500:
                accepted.append(f"{what} -> {response.status_code} {response.text[:120]}")
                continue
            assert_documented_4xx(response, what)
    HOSTILE_STATS["requests"] += tried
    assert tried >= 5
    assert accepted == [], "hostile values were not refused with a 4xx:\n" + "\n".join(accepted)
    assert await tenant_checksum(engine, tenant) == before


@pytest.mark.parametrize(("method", "template"), cases(RAW_BODY_BUGS))
async def test_malformed_nested_and_duplicate_key_bodies_are_4xx_and_change_nothing(
    sclient: httpx.AsyncClient, engine: Any, arena: tuple[uuid.UUID, dict[str, str]], method: str, template: str
) -> None:
    tenant, ids = arena
    headers = {**auth(tenant, "admin", uuid.uuid4()), "content-type": "application/json"}
    path = template.format(**ids)
    nested = "[" * 10_000 + "]" * 10_000
    deep_object = '{"a":' * 10_000 + "1" + "}" * 10_000
    raw_bodies = {
        "10,000 nested arrays": nested,
        "10,000 nested objects": deep_object,
        "a body nested 10,000 levels inside a field": '{"name": ' + deep_object + "}",
        "duplicate keys, second one hostile": '{"name": "ok", "name": null, "quantity": 1, "quantity": -5}',
        "truncated JSON": '{"name": "abc',
        "not JSON at all": "name=abc&quantity=1",
        "a JSON string": '"hello"',
        "a JSON array": "[1, 2, 3]",
        "an empty body": "",
        "a NUL byte in a string": '{"name": "a\\u0000b", "section_name": "a\\u0000b", "quantity": 1}',
        "a lone surrogate": '{"name": "\\ud800", "section_name": "\\ud800"}',
    }
    before = await tenant_checksum(engine, tenant)
    wrong = []
    for label, raw in raw_bodies.items():
        response = await sclient.request(method, path, headers=headers, content=raw.encode())
        HOSTILE_STATS["requests"] += 1
        if not 400 <= response.status_code < 500:
            wrong.append(f"{method} {template} {label} -> {response.status_code} {response.text[:120]}")
            continue
        assert_documented_4xx(response, f"{method} {template} {label}")
    assert wrong == [], "\n".join(wrong)
    wrong_type = await sclient.request(
        method, path, headers={**headers, "content-type": "text/plain"}, content=b"quantity=1"
    )
    assert_documented_4xx(wrong_type, f"{method} {template} text/plain body")
    assert await tenant_checksum(engine, tenant) == before


QUERY_ATTACKS = {
    "/api/v1/events": {
        "limit": ["-1", "0", "abc", "1.5", str(10**30), SQL],
        "offset": ["-5", "1e3", str(10**30)],
        "status": [SQL, "PUBLISHED' OR '1'='1"],
        "venue_id": ["not-a-uuid", SQL],
        "category": ["x" * 20_000],
        "visibility": [SQL],
        "is_featured": ["maybe", SQL],
        "starts_from": ["2026-13-45", "yesterday", SQL],
        "starts_to": ["31/12/2026"],
        "sort": [SQL, "name; DROP TABLE events"],
        "q": ["x" * 20_000],
    },
    "/api/v1/reports/sales": {
        "from": ["2026-02-30", SQL],
        "to": ["tomorrow"],
        "venue_id": [SQL],
        "format": ["xml", SQL],
    },
    "/api/v1/changes": {"after": ["-1", SQL, "1.5"], "limit": ["0", str(10**30)]},
    "/api/v1/venues": {"limit": ["0", "101", SQL], "offset": ["-1", SQL]},
}


@pytest.mark.parametrize("path", list(QUERY_ATTACKS))
async def test_hostile_query_parameters_are_documented_4xx(
    sclient: httpx.AsyncClient, engine: Any, arena: tuple[uuid.UUID, dict[str, str]], path: str
) -> None:
    tenant, _ = arena
    headers = auth(tenant, "admin", uuid.uuid4())
    before = await total_rows(engine)
    wrong = []
    for name, values in QUERY_ATTACKS[path].items():
        for value in values:
            response = await sclient.get(path, headers=headers, params={name: value})
            HOSTILE_STATS["requests"] += 1
            if not 400 <= response.status_code < 500:
                wrong.append(f"GET {path}?{name}={value[:40]} -> {response.status_code} {response.text[:100]}")
                continue
            assert_documented_4xx(response, f"GET {path}?{name}={value[:40]}")
    assert wrong == [], "\n".join(wrong)
    # SQL metacharacters in free text are just text: answered, and every table is still there.
    for text_query in ({"q": SQL}, {"q": "%' OR 1=1 --"}, {"category": SQL}):
        response = await sclient.get("/api/v1/events", headers=headers, params=text_query)
        assert response.status_code in (200, 404, 422), response.text
    assert await total_rows(engine) >= before


async def test_sql_metacharacters_in_free_text_are_stored_literally(
    sclient: httpx.AsyncClient, arena: tuple[uuid.UUID, dict[str, str]]
) -> None:
    tenant, ids = arena
    headers = auth(tenant, "admin", uuid.uuid4())
    name = "Robert'); DROP TABLE events; -- \\ % _ $1 ::text"
    created = await sclient.post(
        "/api/v1/events",
        headers=headers,
        json={
            "name": name,
            "venue_id": ids["venue_id"],
            "description": SQL,
            "starts_at": future(80),
            "ends_at": future(80, 1),
        },
    )
    assert created.status_code == 201, created.text
    event = (await sclient.get(f"/api/v1/events/{created.json()['event']['id']}", headers=headers)).json()["event"]
    assert event["name"] == name and event["description"] == SQL
    found = await sclient.get("/api/v1/events", headers=headers, params={"q": "Robert"})
    assert found.status_code == 200


async def test_a_venue_list_offset_beyond_bigint_is_a_422(sclient: httpx.AsyncClient) -> None:
    response = await sclient.get("/api/v1/venues", headers=auth(uuid.uuid4()), params={"offset": str(2**63)})
    assert response.status_code == 422, response.text
