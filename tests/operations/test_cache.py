"""Cache-aside in Redis: hit after miss, invalidation seen by another instance, Redis dying and coming back."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client.parser import text_string_to_metric_families

from event_service.platform.cache import Cache, keys
from event_service.platform.responses import JSON
from tests.operations.support import SHARED_REDIS, own_redis, running_app, unique_prefix
from tests.support import auth

TENANT = "11111111-1111-1111-1111-111111111111"


class Source:
    """Stands in for the database row a domain would load: a value and how often it was read."""

    def __init__(self) -> None:
        self.version = 1
        self.loads = 0

    async def load(self) -> dict[str, Any]:
        self.loads += 1
        return {"version": self.version, "price": Decimal("248.40")}


def add_test_routes(app: FastAPI, source: Source) -> None:
    """A test-only document route and write route, wired the way a domain should wire the cache."""

    async def read(request: Request, doc_id: str) -> JSON:
        cache: Cache = request.app.state.cache
        return JSON(await cache.get_or_load(keys.event(TENANT, doc_id), source.load, ttl=60))

    async def write(request: Request, doc_id: str) -> JSON:
        source.version += 1
        await request.app.state.cache.invalidate(keys.everything_of_event(TENANT, doc_id))
        return JSON({"version": source.version})

    app.add_api_route("/test-cache/{doc_id}", read, methods=["GET"])
    app.add_api_route("/test-cache/{doc_id}", write, methods=["PUT"])


def cache_results(text: str) -> dict[str, float]:
    for family in text_string_to_metric_families(text):
        if family.name == "event_service_cache_requests":
            return {s.labels["result"]: s.value for s in family.samples if s.name.endswith("_total")}
    return {}


async def test_second_read_is_served_from_cache_with_exact_money(database_url: str) -> None:
    source = Source()
    async with running_app(database_url, redis_url=SHARED_REDIS, redis_key_prefix=unique_prefix()) as (app, client):
        add_test_routes(app, source)
        first = await client.get("/test-cache/doc-1")
        second = await client.get("/test-cache/doc-1")
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        assert b'"price":248.40' in second.content  # Decimal survives the round trip through Redis
        assert source.loads == 1
        results = cache_results((await client.get("/metrics")).text)
        assert results["miss"] == 1 and results["hit"] == 1


async def test_write_on_one_instance_invalidates_the_other(database_url: str) -> None:
    source = Source()
    prefix = unique_prefix()
    async with (
        running_app(database_url, redis_url=SHARED_REDIS, redis_key_prefix=prefix) as (app_a, a),
        running_app(database_url, redis_url=SHARED_REDIS, redis_key_prefix=prefix) as (app_b, b),
    ):
        add_test_routes(app_a, source)
        add_test_routes(app_b, source)
        assert (await a.get("/test-cache/doc-2")).json()["version"] == 1
        assert (await b.get("/test-cache/doc-2")).json()["version"] == 1
        assert source.loads == 1  # B was served A's entry
        assert (await b.put("/test-cache/doc-2")).status_code == 200
        assert (await a.get("/test-cache/doc-2")).json()["version"] == 2
        assert source.loads == 2


async def test_fill_that_raced_with_an_invalidation_is_not_stored(database_url: str) -> None:
    async with running_app(database_url, redis_url=SHARED_REDIS, redis_key_prefix=unique_prefix()) as (app, _):
        cache: Cache = app.state.cache
        key = keys.event(TENANT, "doc-3")
        loads = 0

        async def load_while_someone_writes() -> dict[str, int]:
            nonlocal loads
            loads += 1
            if loads == 1:
                await cache.invalidate(key)  # a write lands between our read and our fill
            return {"loads": loads}

        assert await cache.get_or_load(key, load_while_someone_writes, ttl=60) == {"loads": 1}
        assert await cache.get_or_load(key, load_while_someone_writes, ttl=60) == {"loads": 2}
        assert await cache.get_or_load(key, load_while_someone_writes, ttl=60) == {"loads": 2}


async def test_requests_succeed_uncached_while_redis_is_down_and_caching_resumes(database_url: str) -> None:
    source = Source()
    with own_redis() as redis:
        async with running_app(database_url, redis_url=redis.url, redis_key_prefix=unique_prefix()) as (app, client):
            add_test_routes(app, source)
            headers = auth(TENANT, "customer")
            await client.get("/test-cache/doc-4")
            await client.get("/test-cache/doc-4")
            assert source.loads == 1

            redis.stop()
            started = time.perf_counter()
            for _ in range(20):
                assert (await client.get("/test-cache/doc-4")).status_code == 200
                me = await client.get("/api/v1/me", headers=headers)  # rate-limited in memory meanwhile
                assert me.status_code == 200 and "x-ratelimit-remaining" in me.headers
            assert time.perf_counter() - started < 3.0  # a dead Redis is skipped, not waited on each time
            assert source.loads == 21
            ready = (await client.get("/health/ready")).json()
            assert ready["status"] == "ready" and ready["components"]["redis"]["status"] == "degraded"
            scraped = (await client.get("/metrics")).text
            assert "event_service_redis_up 0.0" in scraped
            assert cache_results(scraped)["error"] >= 1

            redis.start()  # same port: the client reconnects by itself
            deadline = time.monotonic() + 10
            while app.state.redis.up is False and time.monotonic() < deadline:
                await client.get("/test-cache/doc-4")
                await asyncio.sleep(0.1)
            assert app.state.redis.up
            loads = source.loads
            await client.get("/test-cache/doc-4")
            await client.get("/test-cache/doc-4")
            assert source.loads <= loads + 1  # cached again
            assert (await client.get("/health/ready")).json()["components"]["redis"]["status"] == "healthy"


async def test_whole_api_answers_with_redis_configured_but_unreachable(database_url: str) -> None:
    dead = "redis://127.0.0.1:1/0"
    async with running_app(database_url, redis_url=dead, redis_key_prefix=unique_prefix()) as (_, client):
        headers = auth(TENANT, "admin")
        for path in ("/health", "/health/ready", "/api/v1/me", "/metrics"):
            assert (await client.get(path, headers=headers)).status_code == 200, path
