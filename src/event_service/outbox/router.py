"""HTTP: the change feed (GET /changes), the admin outbox view and webhook registration."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from event_service.outbox import service
from event_service.outbox.schemas import WebhookCreate
from event_service.platform.auth import ORGANIZER, SERVICE
from event_service.platform.deps import CurrentPrincipal, Db
from event_service.platform.responses import JSON

router = APIRouter(tags=["outbox"])


@router.get("/changes")
async def changes(
    principal: CurrentPrincipal,
    db: Db,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSON:
    principal.require(SERVICE, ORGANIZER)
    return JSON(await service.changes(db, principal.tenant_id, after, limit))


@router.get("/admin/outbox")
async def admin_outbox(
    principal: CurrentPrincipal,
    db: Db,
    status: Literal["pending", "delivered", "all"] = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSON:
    principal.require()
    return JSON(await service.outbox_rows(db, principal.tenant_id, status, limit, offset))


@router.post("/webhooks", status_code=201)
async def create_webhook(principal: CurrentPrincipal, db: Db, body: WebhookCreate) -> JSON:
    principal.require()
    return JSON({"webhook": await service.create_webhook(db, principal.tenant_id, body)}, status_code=201)


@router.get("/webhooks")
async def list_webhooks(principal: CurrentPrincipal, db: Db) -> JSON:
    principal.require()
    return JSON({"webhooks": await service.list_webhooks(db, principal.tenant_id)})


@router.get("/webhooks/{webhook_id}")
async def get_webhook(principal: CurrentPrincipal, db: Db, webhook_id: uuid.UUID) -> JSON:
    principal.require()
    return JSON({"webhook": await service.get_webhook(db, principal.tenant_id, webhook_id)})


@router.delete("/webhooks/{webhook_id}")
async def delete_webhook(principal: CurrentPrincipal, db: Db, webhook_id: uuid.UUID) -> JSON:
    principal.require()
    await service.delete_webhook(db, principal.tenant_id, webhook_id)
    return JSON({"success": True, "message": "Webhook deleted"})


@router.post("/webhooks/{webhook_id}/enable")
async def enable_webhook(principal: CurrentPrincipal, db: Db, webhook_id: uuid.UUID) -> JSON:
    principal.require()
    return JSON({"webhook": await service.enable_webhook(db, principal.tenant_id, webhook_id)})
