"""Use cases of the outbox domain: the change feed, the admin view, webhook registration."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from event_service.db.engine import Database
from event_service.outbox import queries
from event_service.outbox.schemas import WebhookCreate
from event_service.platform.errors import AppError, NotFound, ValidationFailed


class CursorExpired(AppError):
    """The rows just after the cursor were pruned (OUTBOX_RETENTION_DAYS): the consumer must resynchronise."""

    status_code = 410
    code = "CURSOR_EXPIRED"
    message = "Changes after this cursor are no longer retained; rebuild from the API and resume from next_cursor"


def parse_cursor(after: str | None) -> int:
    """The cursor is the last seq seen, as a decimal string ("" or absent: from the start)."""
    if after is None or after == "":
        return 0
    if not after.isdigit() or len(after) > 18:
        raise ValidationFailed.field("after", "must be a cursor returned as next_cursor (a non-negative integer)")
    return int(after)


async def changes(db: Database, tenant_id: uuid.UUID, after: str | None, limit: int) -> dict[str, Any]:
    """One page of the tenant's change feed: envelopes with seq > after, in seq order, no gaps."""
    position = parse_cursor(after)
    async with db.read() as conn:
        pruned = await queries.pruned_through(conn, tenant_id)
        if position < pruned:
            raise CursorExpired(details=[{"field": "after", "message": f"oldest replayable cursor is {pruned}"}])
        rows = await queries.changes_after(conn, tenant_id, position, limit + 1)
    page = rows[:limit]
    next_cursor = page[-1][0] if page else position
    return {
        "changes": [{**envelope, "seq": seq} for seq, envelope in page],
        "next_cursor": str(next_cursor),
        "has_more": len(rows) > limit,
    }


def _row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),  # asyncpg's UUID type is not one orjson knows
        "seq": row["seq"],
        "type": row["type"],
        "subject": row["subject"],
        "status": "delivered" if row["delivered_at"] else "pending",
        "attempts": row["attempts"],
        "next_attempt_at": row["next_attempt_at"],
        "delivered_at": row["delivered_at"],
        "last_error": row["last_error"],
        "created_at": row["created_at"],
        "envelope": row["envelope"],
    }


async def outbox_rows(db: Database, tenant_id: uuid.UUID, status: str, limit: int, offset: int) -> dict[str, Any]:
    async with db.read() as conn:
        rows = await queries.list_rows(conn, tenant_id, status, limit + 1, offset)
        pending, _ = await queries.backlog(conn)
    return {
        "outbox": [_row_view(r) for r in rows[:limit]],
        "has_more": len(rows) > limit,
        "pending_all_tenants": pending,
    }


def _webhook_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "id": str(row["id"]), "status": "disabled" if row["disabled_at"] else "active"}


async def create_webhook(db: Database, tenant_id: uuid.UUID, body: WebhookCreate) -> dict[str, Any]:
    """Register a webhook; the secret (given or generated) is shown in this answer only."""
    secret = body.secret or "whsec_" + secrets.token_urlsafe(32)
    async with db.transaction() as conn:
        row = await queries.insert_webhook(conn, tenant_id, body.url, body.event_types, secret)
    return {**_webhook_view(row), "secret": secret}


async def list_webhooks(db: Database, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return [_webhook_view(r) for r in await queries.list_webhooks(conn, tenant_id)]


async def get_webhook(db: Database, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> dict[str, Any]:
    async with db.read() as conn:
        row = await queries.get_webhook(conn, tenant_id, webhook_id)
    if row is None:
        raise NotFound("Webhook")
    return _webhook_view(row)


async def delete_webhook(db: Database, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        if not await queries.delete_webhook(conn, tenant_id, webhook_id):
            raise NotFound("Webhook")


async def enable_webhook(db: Database, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> dict[str, Any]:
    async with db.transaction() as conn:
        row = await queries.enable_webhook(conn, tenant_id, webhook_id)
    if row is None:
        raise NotFound("Webhook")
    return _webhook_view(row)
