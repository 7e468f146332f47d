"""GET /api/v1/me: who the token says the caller is (handy when wiring a client)."""

from __future__ import annotations

from fastapi import APIRouter

from event_service.platform.deps import CurrentPrincipal
from event_service.platform.responses import JSON

router = APIRouter(tags=["auth"])


@router.get("/me")
async def whoami(principal: CurrentPrincipal) -> JSON:
    return JSON(
        {
            "tenant_id": principal.tenant_id,
            "user_id": principal.user_id,
            "roles": sorted(principal.roles),
        }
    )
