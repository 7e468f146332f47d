"""The relay with no bus, the admin view of the outbox, and the backlog in /health/ready."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from event_service.db.engine import Database
from event_service.outbox import queries
from tests.outbox.conftest import RelayApp, all_delivered, emit_changes, wait_for
from tests.support import auth, free_port


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_without_a_bus_rows_are_marked_delivered_and_stay_readable_by_admins(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id = uuid.uuid4()
    emitted = await emit_changes(outbox_db, tenant_id, 3, subjects=2)
    async with relay_app(event_bus_url="none") as app, client_for(app) as http:
        await all_delivered(outbox_db, tenant_id)
        page = await http.get("/api/v1/admin/outbox?status=delivered", headers=auth(tenant_id))
        assert page.status_code == 200, page.text
        rows = page.json()["outbox"]
        assert [r["id"] for r in rows] == [str(i) for i in reversed(emitted)]
        assert {r["status"] for r in rows} == {"delivered"} and rows[-1]["seq"] == 1
        assert rows[0]["envelope"]["type"] == "event.updated"
        assert (await http.get("/api/v1/admin/outbox", headers=auth(tenant_id, "organizer"))).status_code == 403
        assert (await http.get("/api/v1/admin/outbox", headers=auth(uuid.uuid4()))).json()["outbox"] == []
        ready = (await http.get("/health/ready")).json()
        assert ready["components"]["outbox"]["sink"] == "none"
        assert ready["components"]["outbox"]["pending"] == 0


async def test_an_unreachable_bus_leaves_rows_pending_with_backoff_and_readiness_degraded_not_unavailable(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id = uuid.uuid4()
    dead = f"redis://127.0.0.1:{free_port()}/0"
    await emit_changes(outbox_db, tenant_id, 2, subjects=2)
    async with relay_app(event_bus_url=dead, outbox_degraded_after_seconds=0.1) as app, client_for(app) as http:

        async def retried() -> bool:
            page = (await http.get("/api/v1/admin/outbox?status=pending", headers=auth(tenant_id))).json()
            return all(r["attempts"] >= 3 and r["last_error"] for r in page["outbox"])

        await wait_for(retried, what="three attempts per row")
        ready = await http.get("/health/ready")
        assert ready.status_code == 200
        outbox = ready.json()["components"]["outbox"]
        assert outbox["status"] == "degraded" and outbox["pending"] >= 2 and outbox["lastError"]
        assert "outbox" not in ready.json()["failing"]
    async with outbox_db.read() as conn:
        pending, oldest = await queries.backlog(conn)
    assert pending >= 2 and oldest > 0
