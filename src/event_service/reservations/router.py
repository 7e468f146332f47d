"""HTTP of the ledger: reserve (seed endpoint 12), reservations, and the admin reconciler."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from event_service.platform.deps import CurrentPrincipal, Db
from event_service.platform.responses import JSON
from event_service.reservations import service
from event_service.reservations.schemas import ExtendBody, ReserveBody
from event_service.settings import Settings

router = APIRouter(tags=["reservations"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _coalescer(request: Request) -> service.ReserveCoalescer | None:
    """This process's reserve batcher (made on first use), or None when RESERVE_COALESCE_WINDOW_MS is 0."""
    state = request.app.state
    settings: Settings = state.settings
    if settings.reserve_coalesce_window_ms <= 0:
        return None
    coalescer: service.ReserveCoalescer | None = getattr(state, "reserve_coalescer", None)
    if coalescer is None:
        coalescer = state.reserve_coalescer = service.reserve_coalescer(state.db, settings)
    return coalescer


AppSettings = Annotated[Settings, Depends(_settings)]
ReserveBatcher = Annotated[service.ReserveCoalescer | None, Depends(_coalescer)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _answer(outcome: service.Outcome) -> JSON:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSON(outcome.body, status_code=outcome.status_code, headers=headers)


@router.post("/capacity/{capacity_id}/reserve")
async def reserve_capacity(
    capacity_id: uuid.UUID,
    body: ReserveBody,
    principal: CurrentPrincipal,
    db: Db,
    settings: AppSettings,
    coalescer: ReserveBatcher,
    idempotency_key: IdempotencyKey = None,
) -> JSON:
    return _answer(await service.reserve(db, settings, principal, capacity_id, body, idempotency_key, coalescer))


@router.get("/reservations/{reservation_id}")
async def get_reservation(reservation_id: uuid.UUID, principal: CurrentPrincipal, db: Db) -> JSON:
    return JSON({"reservation": await service.get(db, principal, reservation_id)})


@router.post("/reservations/{reservation_id}/confirm")
async def confirm_reservation(
    reservation_id: uuid.UUID,
    principal: CurrentPrincipal,
    db: Db,
    settings: AppSettings,
    idempotency_key: IdempotencyKey = None,
) -> JSON:
    return _answer(await service.confirm(db, settings, principal, reservation_id, idempotency_key))


@router.delete("/reservations/{reservation_id}")
async def release_reservation(
    reservation_id: uuid.UUID, principal: CurrentPrincipal, db: Db, settings: AppSettings
) -> JSON:
    return JSON(await service.release(db, settings, principal, reservation_id))


@router.post("/reservations/{reservation_id}/extend")
async def extend_reservation(
    reservation_id: uuid.UUID, body: ExtendBody, principal: CurrentPrincipal, db: Db, settings: AppSettings
) -> JSON:
    return JSON(await service.extend(db, settings, principal, reservation_id, body.minutes))


@router.post("/admin/reconcile")
async def reconcile(
    principal: CurrentPrincipal,
    db: Db,
    fix: Annotated[bool, Query()] = False,
    event_id: Annotated[uuid.UUID | None, Query()] = None,
) -> JSON:
    """Recompute the caller's tenant's section counters from the ledger and report drift (admin)."""
    principal.require()
    return JSON(await service.reconcile(db, principal.tenant_id, fix=fix, event_id=event_id))
