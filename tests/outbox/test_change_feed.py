"""The sequencer and GET /api/v1/changes: per-tenant seq 1..n, never n+1 before n."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from event_service.db.engine import Database
from event_service.outbox import queries
from event_service.outbox.queries import emit
from event_service.outbox.relay import Relay
from tests.outbox.conftest import RelayApp, all_delivered, emit_changes
from tests.support import auth


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def read_feed(http: httpx.AsyncClient, tenant_id: uuid.UUID, limit: int = 7) -> list[dict[str, object]]:
    changes: list[dict[str, object]] = []
    cursor = ""
    while True:
        response = await http.get(f"/api/v1/changes?after={cursor}&limit={limit}", headers=auth(tenant_id, "service"))
        assert response.status_code == 200, response.text
        page = response.json()
        changes.extend(page["changes"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return changes


async def test_change_feed_numbers_each_tenant_from_one_without_gaps_when_tenants_interleave(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    emitted: dict[uuid.UUID, list[uuid.UUID]] = {first: [], second: []}
    for n in range(15):
        for tenant_id in (first, second) if n % 3 else (second, first):
            emitted[tenant_id] += await emit_changes(outbox_db, tenant_id, 1, event_type=f"event.t{n}")
    async with relay_app() as app, client_for(app) as http:
        await all_delivered(outbox_db, first)
        await all_delivered(outbox_db, second)
        for tenant_id in (first, second):
            feed = await read_feed(http, tenant_id)
            assert [c["seq"] for c in feed] == list(range(1, 16))
            assert [uuid.UUID(str(c["id"])) for c in feed] == emitted[tenant_id]
            assert {c["tenantid"] for c in feed} == {str(tenant_id)}
            assert feed[0]["specversion"] == "1.0" and feed[0]["type"] == "event.t0"
        tail = await http.get("/api/v1/changes?after=15", headers=auth(first, "organizer"))
        assert tail.json() == {"changes": [], "next_cursor": "15", "has_more": False}


async def test_a_reader_polling_during_concurrent_out_of_order_commits_only_ever_sees_a_gap_free_prefix(
    outbox_db: Database,
) -> None:
    tenant_id = uuid.uuid4()
    writers, stop = 40, asyncio.Event()

    async def writer(n: int) -> None:
        async with outbox_db.transaction() as conn:
            await emit(conn, tenant_id, "event.updated", f"events/{n}", {"n": n})
            await asyncio.sleep(random.uniform(0, 0.08))  # commit order differs from insert order

    async def sequencer() -> None:
        while not stop.is_set():
            async with outbox_db.transaction() as conn:
                await queries.sequence(conn, 7)
            await asyncio.sleep(0.003)

    seen: dict[int, uuid.UUID] = {}
    observations = 0

    async def reader() -> None:
        nonlocal observations
        while not stop.is_set():
            async with outbox_db.read() as conn:
                rows = await queries.changes_after(conn, tenant_id, 0, 1000)
            seqs = [seq for seq, _ in rows]
            assert seqs == list(range(1, len(seqs) + 1)), f"gap or reorder visible: {seqs}"
            for seq, envelope in rows:  # a number, once visible, never changes hands
                assert seen.setdefault(seq, uuid.UUID(envelope["id"])) == uuid.UUID(envelope["id"])
            observations += 1
            await asyncio.sleep(0.002)

    background = [asyncio.create_task(sequencer()), asyncio.create_task(reader())]
    await asyncio.gather(*(writer(n) for n in range(writers)))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*background)
    async with outbox_db.read() as conn:
        rows = await queries.changes_after(conn, tenant_id, 0, 1000)
    assert [seq for seq, _ in rows] == list(range(1, writers + 1))
    assert observations > 10


async def test_change_feed_checks_role_limit_and_cursor_and_hides_other_tenants(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id, stranger = uuid.uuid4(), uuid.uuid4()
    await emit_changes(outbox_db, tenant_id, 3)
    async with relay_app() as app, client_for(app) as http:
        await all_delivered(outbox_db, tenant_id)
        assert (await http.get("/api/v1/changes", headers=auth(tenant_id, "customer"))).status_code == 403
        assert (await http.get("/api/v1/changes")).status_code == 401
        for query in ("limit=0", "limit=1001", "after=abc", "after=-1"):
            response = await http.get(f"/api/v1/changes?{query}", headers=auth(tenant_id, "admin"))
            assert response.status_code == 422, query
            assert response.json()["code"] == "VALIDATION_ERROR"
        page = (await http.get("/api/v1/changes?limit=2", headers=auth(tenant_id, "service"))).json()
        assert [c["seq"] for c in page["changes"]] == [1, 2] and page["has_more"] is True
        assert page["next_cursor"] == "2"
        other = (await http.get("/api/v1/changes", headers=auth(stranger, "admin"))).json()
        assert other == {"changes": [], "next_cursor": "0", "has_more": False}


async def test_pruning_after_retention_expires_old_cursors_and_never_restarts_the_sequence(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id = uuid.uuid4()
    await emit_changes(outbox_db, tenant_id, 4)
    async with relay_app() as app, client_for(app) as http:
        await all_delivered(outbox_db, tenant_id)
        async with outbox_db.transaction() as conn:
            await conn.execute(
                text("UPDATE outbox SET created_at = :old WHERE tenant_id = :t"),
                {"old": datetime.now(UTC) - timedelta(days=31), "t": tenant_id},
            )
        relay: Relay = app.state.outbox_relay
        assert await relay.prune() == 4
        expired = await http.get("/api/v1/changes?after=0", headers=auth(tenant_id, "service"))
        assert expired.status_code == 410 and expired.json()["code"] == "CURSOR_EXPIRED"
        await emit_changes(outbox_db, tenant_id, 1)
        await all_delivered(outbox_db, tenant_id)
        feed = (await http.get("/api/v1/changes?after=4", headers=auth(tenant_id, "service"))).json()
        assert [c["seq"] for c in feed["changes"]] == [5]
