"""One JSON access line per request, with the request context and no secrets."""

from __future__ import annotations

import io
import json

import httpx

from event_service.platform.logging import configure_logging
from tests.support import Tenant, token


async def test_each_request_writes_one_access_line_with_its_context_and_never_the_token(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    buffer = io.StringIO()
    configure_logging("info", "json", stream=buffer)
    try:
        bearer = token(tenant.id, "organizer", "user-7")
        response = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {bearer}", "X-Request-ID": "log-test-1"}
        )
        assert response.status_code == 200
        await client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    finally:
        configure_logging("warning", "json")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    access = [line for line in lines if line["event"] == "request"]
    assert len(access) == 2
    first = access[0]
    assert first["method"] == "GET"
    assert first["route"] == "/api/v1/me"
    assert first["status"] == 200
    assert first["requestId"] == "log-test-1"
    assert first["tenantId"] == str(tenant.id)
    assert first["userId"] == "user-7"
    assert isinstance(first["durationMs"], float)
    assert access[1]["status"] == 401
    assert bearer not in buffer.getvalue()
    assert "not-a-token" not in buffer.getvalue()
