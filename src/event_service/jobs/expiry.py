"""The reservation cleanup job: every RESERVATION_CLEANUP_INTERVAL_MINUTES, expire due holds
(and forget Idempotency-Key answers past their retention).

Each `serve` worker runs one; they share the work safely (SKIP LOCKED batches,
see reservations.service.expire_due). /health reports it as "reservationCleanup".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from event_service.jobs.periodic import PeriodicJob
from event_service.reservations.service import expire_due, prune_idempotency_keys

JOB_KEY = "reservationCleanup"


def reservation_cleanup_job(app: FastAPI) -> PeriodicJob:
    return PeriodicJob(JOB_KEY, app.state.settings.reservation_cleanup_interval_minutes * 60, _work(app))


def _work(app: FastAPI) -> Callable[[], Awaitable[int]]:
    async def work() -> int:
        # Read lazily: app.state.db exists only once the lifespan has started.
        expired = await expire_due(app.state.db)
        await prune_idempotency_keys(app.state.db, app.state.settings)
        return expired

    return work
