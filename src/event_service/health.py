"""Liveness (/health, endpoint 35) and readiness (/health/ready)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from event_service.platform.responses import JSON

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSON:
    state = request.app.state
    cleanup = state.jobs.get("reservationCleanup")
    body: dict[str, Any] = {
        "status": "healthy",
        "service": state.settings.service_name,
        "security": "enabled",
        "reservationCleanup": cleanup.status() if cleanup else {"isRunning": False},
        "timestamp": datetime.now(UTC),
    }
    return JSON(body)


@router.get("/health/ready")
async def ready(request: Request) -> JSON:
    state = request.app.state
    components: dict[str, Any] = {}
    healthy = True
    try:
        await asyncio.wait_for(state.db.ping(), timeout=3.0)
        components["database"] = {"status": "healthy"}
    except Exception as exc:
        healthy = False
        components["database"] = {"status": "unhealthy", "error": type(exc).__name__}
    for name, probe in state.readiness_probes.items():
        components[name] = probe()
    failing = [name for name, c in components.items() if c.get("status") == "unhealthy"]
    body = {
        "status": "ready" if healthy else "unavailable",
        "components": components,
        "failing": failing,
        "timestamp": datetime.now(UTC),
    }
    return JSON(body, status_code=200 if healthy else 503)
