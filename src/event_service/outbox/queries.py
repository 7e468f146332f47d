"""Writing domain events into the outbox, inside the caller's transaction.

The envelope is CloudEvents 1.0 JSON. Delivery (relay, sinks, change feed) is
the outbox relay's job; a service only calls `emit` next to its change, so a
change and its event commit together or not at all.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import outbox
from event_service.platform.responses import dumps

SOURCE = "/event-service"


def envelope(tenant_id: uuid.UUID, event_type: str, subject: str, data: Any) -> dict[str, Any]:
    # Round-trip through our JSON renderer so that money, times and UUIDs appear
    # exactly as the API shows them.
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": SOURCE,
        "type": event_type,
        "subject": subject,
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "tenantid": str(tenant_id),
        "datacontenttype": "application/json",
        "data": orjson.loads(dumps(data)),
    }


async def emit(conn: AsyncConnection, tenant_id: uuid.UUID, event_type: str, subject: str, data: Any) -> uuid.UUID:
    """Record `event_type` (e.g. "event.created") about `subject` (e.g. "events/<id>")."""
    env = envelope(tenant_id, event_type, subject, data)
    event_id = uuid.UUID(env["id"])
    await conn.execute(
        insert(outbox).values(id=event_id, tenant_id=tenant_id, type=event_type, subject=subject, envelope=env)
    )
    return event_id
