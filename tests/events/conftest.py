"""Arranging events: a venue per test, and creating events through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.tables import audit_logs, outbox
from tests import factories
from tests.support import Tenant

# One anchor per run, so that future(10) means the same instant everywhere in a test.
_ANCHOR = datetime.now(UTC).replace(second=0, microsecond=0)


def future(days: float = 30, hours: float = 0) -> datetime:
    return _ANCHOR + timedelta(days=days, hours=hours)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def venue(engine: AsyncEngine, tenant: Tenant) -> dict[str, Any]:
    return await factories.venue(engine, tenant.id, max_capacity=1000, name="Main Hall")


async def create_event(
    client: httpx.AsyncClient, tenant: Tenant, venue_id: uuid.UUID, role: str = "organizer", **fields: Any
) -> dict[str, Any]:
    body = {"name": fields.pop("name", f"Show {uuid.uuid4().hex[:6]}"), "venue_id": str(venue_id), **fields}
    response = await client.post("/api/v1/events", json=body, headers=tenant.headers(role))
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()["event"]
    return event


async def audit_rows(engine: AsyncEngine, tenant_id: uuid.UUID, event_id: str) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(audit_logs)
            .where(audit_logs.c.tenant_id == tenant_id, audit_logs.c.resource_id == uuid.UUID(event_id))
            .order_by(audit_logs.c.created_at)
        )
        return list(rows)


async def outbox_types(engine: AsyncEngine, tenant_id: uuid.UUID, subject: str | None = None) -> list[str]:
    stmt = select(outbox.c.type).where(outbox.c.tenant_id == tenant_id).order_by(outbox.c.created_at)
    if subject is not None:
        stmt = stmt.where(outbox.c.subject == subject)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).scalars())


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is False and body["code"] == code, body
    return body


def fields_of(body: dict[str, Any]) -> set[str]:
    return {d["field"] for d in body.get("details", [])}
