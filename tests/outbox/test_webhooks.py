"""Webhooks a tenant registers: signed deliveries, retried with backoff, disabled after repeated failure."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from event_service.db.engine import Database
from tests.outbox.conftest import RelayApp, emit_changes, wait_for
from tests.support import auth, free_port

SECRET = "a-test-secret-of-enough-length"


class Receiver:
    """A real HTTP server that checks each signature and fails the first `fail_first` requests with 500."""

    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.requests: list[dict[str, Any]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        timestamp = request.headers["x-timestamp"]
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(request.headers["x-signature"], f"sha256={expected}")
        fresh = abs(time.time() - int(timestamp)) < 300
        self.requests.append({"valid": valid and fresh, "body": orjson.loads(body), "headers": request.headers})
        status = 500 if len(self.requests) <= self.fail_first else (200 if valid else 401)
        await Response(status_code=status)(scope, receive, send)

    def ok_ids(self) -> list[str]:
        return [r["body"]["id"] for i, r in enumerate(self.requests) if i >= self.fail_first and r["valid"]]


@asynccontextmanager
async def serve(receiver: Receiver) -> AsyncIterator[Receiver]:
    server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=receiver.port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serve(Receiver(SECRET, fail_first=2)) as running:
        yield running


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_webhook_receiver_verifies_the_signature_and_sees_retries_after_answering_500(
    relay_app: RelayApp, outbox_db: Database, receiver: Receiver
) -> None:
    tenant_id = uuid.uuid4()
    async with relay_app() as app, client_for(app) as http:
        created = await http.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "event_types": ["event.created"], "secret": SECRET},
            headers=auth(tenant_id),
        )
        assert created.status_code == 201, created.text
        webhook = created.json()["webhook"]
        assert webhook["secret"] == SECRET and webhook["status"] == "active"
        emitted = await emit_changes(outbox_db, tenant_id, 3, event_type="event.created")
        await emit_changes(outbox_db, tenant_id, 1, event_type="event.deleted")  # not subscribed
        await wait_for(lambda: asyncio.sleep(0, len(receiver.ok_ids()) >= 3), what="3 signed deliveries")
        await asyncio.sleep(0.3)
        listed = (await http.get("/api/v1/webhooks", headers=auth(tenant_id))).json()["webhooks"]
    assert all(r["valid"] for r in receiver.requests)
    first_tries = receiver.requests[:2]
    assert [r["body"]["id"] for r in first_tries] == [str(emitted[0])] * 2, "the 500s are retried, in order"
    assert [int(r["headers"]["x-delivery-attempt"]) for r in receiver.requests[:3]] == [1, 2, 3]
    assert receiver.ok_ids() == [str(i) for i in emitted], "each change once after success, in subject order"
    assert receiver.requests[-1]["body"]["type"] == "event.created"
    assert receiver.requests[-1]["headers"]["x-event-type"] == "event.created"
    assert "secret" not in listed[0] and listed[0]["consecutive_failures"] == 0


async def test_a_webhook_failing_repeatedly_is_disabled_and_can_be_enabled_again(
    relay_app: RelayApp, outbox_db: Database
) -> None:
    tenant_id = uuid.uuid4()
    async with (
        serve(Receiver(SECRET, fail_first=4)) as receiver,
        relay_app(webhook_max_consecutive_failures=3) as app,
        client_for(app) as http,
    ):
        body = {"url": receiver.url, "secret": SECRET}
        webhook = (await http.post("/api/v1/webhooks", json=body, headers=auth(tenant_id))).json()["webhook"]
        await emit_changes(outbox_db, tenant_id, 1)

        async def disabled() -> bool:
            got = await http.get(f"/api/v1/webhooks/{webhook['id']}", headers=auth(tenant_id))
            return bool(got.json()["webhook"]["status"] == "disabled")

        await wait_for(disabled, what="the webhook to be disabled")
        await asyncio.sleep(0.5)
        assert len(receiver.requests) == 3, "no deliveries while disabled"
        enabled = await http.post(f"/api/v1/webhooks/{webhook['id']}/enable", headers=auth(tenant_id))
        assert enabled.json()["webhook"]["status"] == "active"
        await wait_for(lambda: asyncio.sleep(0, len(receiver.ok_ids()) == 1), what="delivery after enabling")


async def test_webhook_endpoints_are_admin_only_tenant_scoped_and_validated(relay_app: RelayApp) -> None:
    tenant_id, stranger = uuid.uuid4(), uuid.uuid4()
    async with relay_app() as app, client_for(app) as http:
        body = {"url": "https://hooks.example.com/in"}
        assert (await http.post("/api/v1/webhooks", json=body, headers=auth(tenant_id, "organizer"))).status_code == 403
        for bad in ({"url": "ftp://x.example.com"}, {"url": body["url"], "event_types": ["Nope"]}, {"x": 1}):
            response = await http.post("/api/v1/webhooks", json=bad, headers=auth(tenant_id))
            assert response.status_code == 422 and response.json()["code"] == "VALIDATION_ERROR", bad
        created = (await http.post("/api/v1/webhooks", json=body, headers=auth(tenant_id))).json()["webhook"]
        assert created["secret"].startswith("whsec_")
        path = f"/api/v1/webhooks/{created['id']}"
        assert (await http.get(path, headers=auth(stranger))).status_code == 404
        assert (await http.delete(path, headers=auth(stranger))).status_code == 404
        assert (await http.get("/api/v1/webhooks", headers=auth(stranger))).json() == {"webhooks": []}
        assert (await http.delete(path, headers=auth(tenant_id))).status_code == 200
        assert (await http.get(path, headers=auth(tenant_id))).status_code == 404
