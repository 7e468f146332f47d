"""Notifications (32-34) are placeholders: 501 NOT_IMPLEMENTED in the documented error format."""

from __future__ import annotations

import uuid

import httpx

from tests.reports.conftest import API
from tests.support import Tenant

MESSAGE = "This endpoint is a placeholder. Use the notification-service."


async def test_every_notification_endpoint_answers_not_implemented(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for method, path in (
        ("POST", "/notifications"),
        ("GET", f"/users/{uuid.uuid4()}/notifications"),
        ("PUT", f"/notifications/{uuid.uuid4()}/read"),
    ):
        answer = await client.request(method, f"{API}{path}", headers=tenant.headers("customer"))
        assert answer.status_code == 501, (method, path, answer.text)
        body = answer.json()
        assert body["success"] is False and body["code"] == "NOT_IMPLEMENTED" and body["error"] == MESSAGE
        assert "requestId" in body
