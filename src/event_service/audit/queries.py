"""audit_logs: who changed what, from where, written in the caller's transaction.

A service calls `record` inside the same transaction as the change it
describes, so the change and its audit entry commit together or not at all.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

import orjson
from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from event_service.db.tables import audit_logs
from event_service.platform.deps import RequestMeta
from event_service.platform.responses import dumps


def _ip(value: str | None) -> str | None:
    """INET accepts only real addresses; anything else (e.g. a test client name) is not stored."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


async def record(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID | None,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID,
    meta: RequestMeta,
    metadata: dict[str, Any] | None = None,
    status: str = "success",
) -> uuid.UUID:
    # Round-trip through the API's JSON renderer: money, times and UUIDs are stored as the API shows them.
    stored = orjson.loads(dumps(metadata)) if metadata is not None else None
    audit_id: uuid.UUID = (
        await conn.execute(
            insert(audit_logs)
            .values(
                tenant_id=tenant_id,
                user_id=user_id,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                ip_address=_ip(meta.ip_address),
                user_agent=meta.user_agent,
                request_id=(meta.request_id or None) and meta.request_id[:100],
                metadata=stored,
                status=status,
                created_at=func.clock_timestamp(),
            )
            .returning(audit_logs.c.id)
        )
    ).scalar_one()
    return audit_id


async def for_resource(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    resource_type: str,
    resource_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
) -> tuple[list[Row[Any]], int]:
    """A resource's entries, newest first, and how many there are in all."""
    where = (
        audit_logs.c.tenant_id == tenant_id,
        audit_logs.c.resource_type == resource_type,
        audit_logs.c.resource_id == resource_id,
    )
    rows = (
        await conn.execute(
            select(audit_logs)
            .where(*where)
            .order_by(audit_logs.c.created_at.desc(), audit_logs.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = (await conn.execute(select(func.count()).select_from(audit_logs).where(*where))).scalar_one()
    return list(rows), int(total)


async def latest(
    conn: AsyncConnection, tenant_id: uuid.UUID, resource_type: str, resource_id: uuid.UUID, action: str
) -> Row[Any] | None:
    """The newest entry of one action on a resource (e.g. the delete a restore undoes)."""
    return (
        await conn.execute(
            select(audit_logs)
            .where(
                audit_logs.c.tenant_id == tenant_id,
                audit_logs.c.resource_type == resource_type,
                audit_logs.c.resource_id == resource_id,
                audit_logs.c.action == action,
            )
            .order_by(audit_logs.c.created_at.desc())
            .limit(1)
        )
    ).one_or_none()
