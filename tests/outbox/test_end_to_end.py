"""A change made through the API reaches a consumer of the bus and the change feed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import redis.asyncio as aioredis

from event_service.db.engine import Database
from tests import factories
from tests.outbox.conftest import RelayApp, all_delivered
from tests.support import auth


async def test_an_event_created_through_the_api_arrives_on_the_redis_stream_and_in_the_change_feed(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id, stream = uuid.uuid4(), f"test:outbox:e2e:{uuid.uuid4().hex[:10]}"
    venue = await factories.venue(outbox_db.engine, tenant_id, max_capacity=1000, name="Main Hall")
    reader = aioredis.from_url("redis://127.0.0.1:6379/0")
    starts = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0).isoformat()
    try:
        async with (
            relay_app(event_bus_url="redis://127.0.0.1:6379/0", event_bus_stream=stream) as app,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        ):
            body = {"name": "Outbox Night", "venue_id": str(venue["id"]), "starts_at": starts, "capacity": 100}
            created = await http.post("/api/v1/events", json=body, headers=auth(tenant_id, "organizer"))
            assert created.status_code == 201, created.text
            event = created.json()["event"]
            await all_delivered(outbox_db, tenant_id)
            feed = (await http.get("/api/v1/changes", headers=auth(tenant_id, "service"))).json()
        entries: Any = await reader.xread({stream: "0-0"}, count=100)
    finally:
        await reader.delete(stream)
        await reader.aclose()
    [(_, items)] = entries
    published = [orjson.loads(fields[b"envelope"]) for _, fields in items]
    created_events = [m for m in published if m["type"] == "event.created"]
    assert len(created_events) == 1
    assert created_events[0]["data"]["id"] == event["id"] and created_events[0]["data"]["name"] == "Outbox Night"
    assert created_events[0]["subject"].endswith(event["id"])
    assert [c["id"] for c in feed["changes"]] == [m["id"] for m in published]
    assert [c["seq"] for c in feed["changes"]] == list(range(1, len(published) + 1))
