"""The cache on the real read paths: event documents, pricing lists, category trees (docs/operations.md, Cache).

Each test runs an app on the shared Redis with a key prefix of its own, and looks
at the Redis keys directly to tell a cached document from an uncached one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from event_service.platform.cache import keys
from tests import factories
from tests.operations.support import SHARED_REDIS, running_app, unique_prefix
from tests.support import Tenant

STARTS = (datetime.now(UTC) + timedelta(days=40)).replace(microsecond=0)


class Env:
    """An app on Redis (or on a dead port), a fresh tenant and venue, and a view of the cache keys."""

    def __init__(self, app: FastAPI, client: httpx.AsyncClient, prefix: str, redis: Redis | None) -> None:
        self.app, self.client, self.prefix, self.redis = app, client, prefix, redis
        self.tenant = Tenant(id=uuid.uuid4(), admin_user=uuid.uuid4())
        self.venue_id: uuid.UUID | None = None

    async def cached(self, key: str) -> bool:
        assert self.redis is not None
        return bool(await self.redis.exists(f"{self.prefix}cache:{key}"))

    def event_key(self, event_id: str) -> str:
        return keys.event(self.tenant.id, event_id)

    async def cache_results(self) -> dict[str, float]:
        text = (await self.client.get("/metrics")).text
        for family in text_string_to_metric_families(text):
            if family.name == "event_service_cache_requests":
                return {s.labels["result"]: s.value for s in family.samples if s.name.endswith("_total")}
        return {}

    async def create_event(self, **fields: Any) -> dict[str, Any]:
        if self.venue_id is None:
            venue = await factories.venue(self.app.state.db.engine, self.tenant.id, max_capacity=1000)
            self.venue_id = venue["id"]
        body = {"name": f"Show {uuid.uuid4().hex[:6]}", "venue_id": str(self.venue_id), **fields}
        response = await self.client.post("/api/v1/events", json=body, headers=self.tenant.headers("organizer"))
        assert response.status_code == 201, response.text
        event: dict[str, Any] = response.json()["event"]
        return event

    async def get_event(self, event_id: str, role: str = "organizer") -> httpx.Response:
        return await self.client.get(f"/api/v1/events/{event_id}", headers=self.tenant.headers(role))

    async def send(self, method: str, path: str, body: Any = None, role: str = "organizer", **kw: Any) -> Any:
        response = await self.client.request(method, path, json=body, headers=self.tenant.headers(role), **kw)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


@asynccontextmanager
async def env(database_url: str, redis_url: str = SHARED_REDIS) -> AsyncIterator[Env]:
    """An app on its own key prefix (`make_settings(..., redis_key_prefix=...)` via `running_app`)."""
    prefix = unique_prefix()
    redis = Redis.from_url(SHARED_REDIS) if redis_url == SHARED_REDIS else None
    async with running_app(database_url, redis_url=redis_url, redis_key_prefix=prefix) as (app, client):
        try:
            yield Env(app, client, prefix, redis)
        finally:
            if redis is not None:
                found = [k async for k in redis.scan_iter(match=f"{prefix}*")]
                if found:
                    await redis.delete(*found)
                await redis.aclose()


# ---- event documents ----------------------------------------------------------------------------


async def test_event_hit_after_miss_answers_the_same_bytes(database_url: str) -> None:
    async with env(database_url) as e:
        event = await e.create_event(
            starts_at=STARTS.isoformat(),
            doors_open=(STARTS - timedelta(hours=1)).isoformat(),
            capacity=120,
            royalty_percentage="7.50",
            accessibility_info={"ramp": True, "ratio": 0.25},
            tags=["jazz"],
        )
        key = e.event_key(event["id"])
        assert not await e.cached(key)
        miss = await e.get_event(event["id"])
        assert await e.cached(key)
        before = await e.cache_results()
        hit = await e.get_event(event["id"])
        after = await e.cache_results()
        assert miss.status_code == hit.status_code == 200
        assert hit.content == miss.content
        assert after.get("hit", 0) == before.get("hit", 0) + 1
        assert b'"royalty_percentage":7.50' in hit.content  # exact money through Redis
        body = hit.json()["event"]
        assert body["capacity"] == body["available_capacity"] == 120
        assert body["capacity_info"]["total_capacity"] == 120
        assert body["event_date"] == STARTS.isoformat().replace("+00:00", "Z")


async def test_every_event_write_invalidates_the_document(database_url: str) -> None:
    async with env(database_url) as e:
        event = await e.create_event(capacity=50)
        event_id, key = event["id"], e.event_key(event["id"])

        async def warm() -> dict[str, Any]:
            response = await e.get_event(event_id, role="admin")
            assert response.status_code == 200, response.text
            assert await e.cached(key)
            document: dict[str, Any] = response.json()["event"]
            return document

        await warm()
        await e.send("PUT", f"/api/v1/events/{event_id}", {"name": "Renamed show"})
        assert not await e.cached(key)
        assert (await warm())["name"] == "Renamed show"

        schedule = await e.send(
            "POST",
            f"/api/v1/events/{event_id}/schedules",
            {"starts_at": STARTS.isoformat(), "ends_at": (STARTS + timedelta(hours=2)).isoformat()},
        )
        assert not await e.cached(key)
        assert (await warm())["event_date"] == STARTS.isoformat().replace("+00:00", "Z")

        later = STARTS + timedelta(days=1)
        await e.send(
            "PUT",
            f"/api/v1/events/{event_id}/schedules/{schedule['data']['id']}",
            {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()},
        )
        assert not await e.cached(key)
        assert (await warm())["event_date"] == later.isoformat().replace("+00:00", "Z")

        section = await e.send(
            "POST", f"/api/v1/events/{event_id}/capacity", {"section_name": "Balcony", "total_capacity": 30}
        )
        assert not await e.cached(key)
        assert (await warm())["capacity"] == 80
        await e.send("PUT", f"/api/v1/capacity/{section['capacity']['id']}", {"total_capacity": 40})
        assert not await e.cached(key)
        assert (await warm())["capacity"] == 90

        editor = uuid.uuid4()
        response = await e.client.put(
            f"/api/v1/events/{event_id}/metadata",
            json={"headliner": "The Cached Ones"},
            headers=e.tenant.headers("organizer", editor),
        )
        assert response.status_code == 200, response.text
        assert not await e.cached(key)
        assert (await warm())["updated_by"] == str(editor)

        await e.send("POST", f"/api/v1/events/{event_id}/publish")
        assert not await e.cached(key)
        assert (await warm())["status"] == "PUBLISHED"

        await e.send("DELETE", f"/api/v1/events/{event_id}")
        assert not await e.cached(key)
        assert (await e.get_event(event_id, role="admin")).status_code == 404

        await e.send("POST", f"/api/v1/events/{event_id}/restore", role="admin")
        restored = await warm()
        assert restored["status"] == "PUBLISHED" and restored["deleted_at"] is None


async def test_a_deleted_event_is_gone_at_once_even_with_its_document_cached(database_url: str) -> None:
    async with env(database_url) as e:
        event = await e.create_event()
        assert (await e.get_event(event["id"])).status_code == 200
        async with e.app.state.db.transaction() as conn:  # a delete the cache never heard of
            await conn.exec_driver_sql(f"UPDATE events SET deleted_at = now() WHERE id = '{event['id']}'")
        assert await e.cached(e.event_key(event["id"]))
        assert (await e.get_event(event["id"])).status_code == 404


async def test_reserve_changes_availability_and_status_on_the_very_next_get(database_url: str) -> None:
    async with env(database_url) as e:
        event = await e.create_event(starts_at=STARTS.isoformat(), capacity=2)
        event_id, key = event["id"], e.event_key(event["id"])
        await e.send("POST", f"/api/v1/events/{event_id}/publish")
        await e.send("PUT", f"/api/v1/events/{event_id}", {"status": "ON_SALE"})
        first = (await e.get_event(event_id, role="customer")).json()["event"]
        assert first["status"] == "ON_SALE" and first["available_capacity"] == 2
        capacity_id = first["capacity_info"]["id"]
        assert await e.cached(key)

        await e.send("POST", f"/api/v1/capacity/{capacity_id}/reserve", {"quantity": 1}, role="admin")
        assert await e.cached(key)  # the reserve does not touch the cache: the numbers are read fresh
        after_one = (await e.get_event(event_id, role="customer")).json()["event"]
        assert after_one["available_capacity"] == 1 and after_one["capacity"] == 2
        assert after_one["capacity_info"]["available_capacity"] == 1
        assert after_one["capacity_info"]["reserved_capacity"] == 1
        assert after_one["status"] == "ON_SALE"

        await e.send("POST", f"/api/v1/capacity/{capacity_id}/reserve", {"quantity": 1}, role="admin")
        sold_out = (await e.get_event(event_id, role="customer")).json()["event"]
        assert sold_out["status"] == "SOLD_OUT" and sold_out["available_capacity"] == 0
        assert sold_out["updated_at"] >= first["updated_at"]
        assert await e.cached(key)


async def test_a_customer_cannot_read_a_cached_draft_or_private_event(database_url: str) -> None:
    async with env(database_url) as e:
        draft = await e.create_event()
        assert (await e.get_event(draft["id"], role="admin")).status_code == 200
        assert await e.cached(e.event_key(draft["id"]))
        assert (await e.get_event(draft["id"], role="customer")).status_code == 404

        private = await e.create_event(status="PUBLISHED", visibility="PRIVATE")
        assert (await e.get_event(private["id"], role="organizer")).status_code == 200
        assert (await e.get_event(private["id"], role="customer")).status_code == 404

        await e.send("POST", f"/api/v1/events/{draft['id']}/publish")
        assert (await e.get_event(draft["id"], role="customer")).status_code == 200


# ---- pricing lists and category trees ----------------------------------------------------------


async def test_pricing_list_is_cached_and_invalidated_by_every_pricing_write(database_url: str) -> None:
    async with env(database_url) as e:
        event = await e.create_event()
        event_id, key = event["id"], keys.event_pricing(e.tenant.id, event["id"])
        path = f"/api/v1/events/{event_id}/pricing"
        tier = (await e.send("POST", path, {"name": "Front", "base_price": "248.40", "tax_rate": "0.0825"}))["pricing"]
        await e.send("POST", path, {"name": "Crew", "base_price": "10.00", "is_visible": False})

        miss = await e.client.get(path, headers=e.tenant.headers("organizer"))
        assert await e.cached(key)
        hit = await e.client.get(path, headers=e.tenant.headers("organizer"))
        assert hit.content == miss.content
        assert b'"base_price":248.40' in hit.content
        assert [t["name"] for t in hit.json()["pricing"]] == ["Front", "Crew"]
        customer = await e.client.get(path, headers=e.tenant.headers("customer"))
        assert [t["name"] for t in customer.json()["pricing"]] == ["Front"]

        await e.send("PUT", f"/api/v1/pricing/{tier['id']}", {"base_price": "199.90"})
        assert not await e.cached(key)
        listed = (await e.send("GET", path))["pricing"]
        assert listed[0]["base_price"] == 199.9

        await e.send("POST", f"/api/v1/events/{event_id}/ticket-types", {"name": "Balcony", "base_price": "30.00"})
        assert not await e.cached(key)
        assert [t["name"] for t in (await e.send("GET", path))["pricing"]] == ["Front", "Crew", "Balcony"]

        await e.send("DELETE", f"/api/v1/events/{event_id}")
        response = await e.client.get(path, headers=e.tenant.headers("organizer"))
        assert response.status_code == 404


async def test_category_tree_is_cached_and_invalidated_by_category_and_event_writes(database_url: str) -> None:
    async with env(database_url) as e:
        key = keys.category_tree(e.tenant.id)
        parent = await e.send("POST", "/api/v1/categories", {"name": "Music", "slug": "music-x"}, role="admin")
        parent = parent["category"]
        await e.send(
            "POST", "/api/v1/categories", {"name": "Jazz", "slug": "jazz-x", "parent_id": parent["id"]}, role="admin"
        )

        def ours(tree: list[dict[str, Any]]) -> dict[str, Any]:
            return next(node for node in tree if node["id"] == parent["id"])

        miss = await e.client.get("/api/v1/categories/tree", headers=e.tenant.headers("customer"))
        assert await e.cached(key)
        hit = await e.client.get("/api/v1/categories/tree", headers=e.tenant.headers("customer"))
        assert hit.content == miss.content
        assert [c["name"] for c in ours(hit.json()["categories"])["children"]] == ["Jazz"]

        await e.send("PUT", f"/api/v1/categories/{parent['id']}", {"name": "Live music"}, role="admin")
        assert not await e.cached(key)
        tree = (await e.send("GET", "/api/v1/categories/tree"))["categories"]
        assert ours(tree)["name"] == "Live music" and ours(tree)["event_count"] == 0

        event = await e.create_event(primary_category_id=parent["id"])
        assert not await e.cached(key)
        assert ours((await e.send("GET", "/api/v1/categories/tree"))["categories"])["event_count"] == 1
        await e.send("DELETE", f"/api/v1/events/{event['id']}")
        assert ours((await e.send("GET", "/api/v1/categories/tree"))["categories"])["event_count"] == 0


# ---- Redis down ---------------------------------------------------------------------------------


async def test_everything_answers_correctly_with_redis_unreachable(database_url: str) -> None:
    async with env(database_url, redis_url="redis://127.0.0.1:1/0") as e:
        event = await e.create_event(starts_at=STARTS.isoformat(), capacity=3)
        event_id = event["id"]
        first = await e.get_event(event_id)
        assert first.status_code == 200 and first.content == (await e.get_event(event_id)).content
        await e.send("PUT", f"/api/v1/events/{event_id}", {"name": "Still works"})
        assert (await e.get_event(event_id)).json()["event"]["name"] == "Still works"
        await e.send("POST", f"/api/v1/events/{event_id}/publish")
        await e.send("PUT", f"/api/v1/events/{event_id}", {"status": "ON_SALE"})
        capacity_id = (await e.get_event(event_id)).json()["event"]["capacity_info"]["id"]
        await e.send("POST", f"/api/v1/capacity/{capacity_id}/reserve", {"quantity": 3}, role="admin")
        shown = (await e.get_event(event_id, role="customer")).json()["event"]
        assert shown["status"] == "SOLD_OUT" and shown["available_capacity"] == 0

        path = f"/api/v1/events/{event_id}/pricing"
        tier = (await e.send("POST", path, {"name": "Front", "base_price": "248.40"}))["pricing"]
        await e.send("PUT", f"/api/v1/pricing/{tier['id']}", {"base_price": "99.00"})
        assert (await e.send("GET", path))["pricing"][0]["base_price"] == 99

        created = await e.send("POST", "/api/v1/categories", {"name": "Offline", "slug": "offline-x"}, role="admin")
        tree = (await e.send("GET", "/api/v1/categories/tree"))["categories"]
        assert created["category"]["id"] in [node["id"] for node in tree]

        other = await e.create_event()
        assert (await e.get_event(other["id"])).status_code == 200
        await e.send("DELETE", f"/api/v1/events/{other['id']}")
        assert (await e.get_event(other["id"])).status_code == 404
        assert (await e.cache_results()).get("error", 0) >= 1
