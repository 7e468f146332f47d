"""Rate limits: shared by instances through Redis, per user or IP, per-route overrides, 429 in the error format."""

from __future__ import annotations

import uuid

import pytest

from event_service.platform.ratelimit import client_identity, parse_routes
from tests.operations.support import SHARED_REDIS, running_app, unique_prefix
from tests.support import auth


async def test_limit_is_shared_by_two_instances_on_one_redis(database_url: str) -> None:
    prefix = unique_prefix()
    settings = {"redis_url": SHARED_REDIS, "redis_key_prefix": prefix, "rate_limit_default": "5/minute"}
    tenant = uuid.uuid4()
    user = auth(tenant, "customer", uuid.uuid4())
    async with running_app(database_url, **settings) as (_, a), running_app(database_url, **settings) as (_, b):
        answers = [await (a if i % 2 else b).get("/api/v1/me", headers=user) for i in range(5)]
        assert [r.status_code for r in answers] == [200] * 5
        assert [int(r.headers["x-ratelimit-remaining"]) for r in answers] == [4, 3, 2, 1, 0]
        assert all(r.headers["x-ratelimit-limit"] == "5" for r in answers)

        refused = await a.get("/api/v1/me", headers=user)
        assert refused.status_code == 429
        body = refused.json()
        assert body["success"] is False and body["code"] == "RATE_LIMIT_EXCEEDED"
        assert body["requestId"] == refused.headers["x-request-id"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert 1 <= int(refused.headers["x-ratelimit-reset"]) <= 60
        assert (await b.get("/api/v1/me", headers=user)).status_code == 429

        other_user = auth(tenant, "customer", uuid.uuid4())
        assert (await b.get("/api/v1/me", headers=other_user)).status_code == 200
        for path in ("/health", "/health/ready", "/metrics", "/openapi.json"):
            response = await a.get(path, headers=user)
            assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers
        scraped = (await a.get("/metrics")).text
        assert 'event_service_rate_limit_rejections_total{rule="default"} 1.0' in scraped


async def test_route_override_has_its_own_limit_and_bucket(database_url: str) -> None:
    async with running_app(
        database_url,
        redis_url=SHARED_REDIS,
        redis_key_prefix=unique_prefix(),
        rate_limit_default="100/minute",
        rate_limit_routes="GET /api/v1/venues/{venue_id}=2/minute; POST /api/v1/nothing=1/second",
    ) as (_, client):
        headers = auth(uuid.uuid4(), "admin", uuid.uuid4())
        venue = f"/api/v1/venues/{uuid.uuid4()}"
        statuses = [(await client.get(venue, headers=headers)).status_code for _ in range(3)]
        assert statuses[2] == 429 and 429 not in statuses[:2]
        me = await client.get("/api/v1/me", headers=headers)
        assert me.status_code == 200 and me.headers["x-ratelimit-remaining"] == "99"


async def test_anonymous_clients_are_limited_per_ip_in_memory_without_redis(database_url: str) -> None:
    async with running_app(database_url, rate_limit_default="3/minute") as (_, client):
        statuses = [(await client.get("/api/v1/me")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]


def test_route_overrides_are_parsed_and_malformed_ones_refused() -> None:
    rules = parse_routes("POST /api/v1/capacity/{id}/reserve=30/minute;GET /api/v1/events=60/minute;")
    assert [r.name for r in rules] == ["POST /api/v1/capacity/{id}/reserve", "GET /api/v1/events"]
    assert rules[0].matches("POST", f"/api/v1/capacity/{uuid.uuid4()}/reserve")
    assert not rules[0].matches("GET", f"/api/v1/capacity/{uuid.uuid4()}/reserve")
    assert rules[1].matches("GET", "/api/v1/events/") and not rules[1].matches("GET", "/api/v1/events/x")
    assert rules[0].item.amount == 30
    with pytest.raises(ValueError):
        parse_routes("/api/v1/events")


def test_bucket_is_the_tokens_user_else_the_peer_ip() -> None:
    tenant, user = uuid.uuid4(), uuid.uuid4()
    token = auth(tenant, "customer", user)["Authorization"].encode()
    scope = {"headers": [(b"authorization", token)], "client": ("10.0.0.7", 5555)}
    assert client_identity(scope) == f"user:{tenant}:{user}"
    assert (
        client_identity({"headers": [(b"authorization", b"Bearer garbage")], "client": ("10.0.0.7", 1)})
        == "ip:10.0.0.7"
    )
