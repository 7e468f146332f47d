"""create_app(): routers, middleware, error handlers and the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from event_service import __version__, health
from event_service.capacity import router as capacity_router
from event_service.categories import router as categories_router
from event_service.db import migrate
from event_service.db.embedded import EmbeddedPostgres
from event_service.db.engine import Database, create_engine
from event_service.events import router as events_router
from event_service.jobs.expiry import reservation_cleanup_job
from event_service.jobs.periodic import PeriodicJob
from event_service.outbox import relay as outbox_relay
from event_service.outbox import router as outbox_router
from event_service.platform import cache, metrics, openapi, ratelimit, tracing, whoami
from event_service.platform.auth import TokenVerifier
from event_service.platform.error_handlers import install_error_handlers
from event_service.platform.logging import configure_logging, get_logger
from event_service.platform.middleware import API_PREFIX, RequestContextMiddleware
from event_service.platform.responses import JSON
from event_service.pricing import router as pricing_router
from event_service.reports import router as reports_router
from event_service.reservations import router as reservations_router
from event_service.schedules import router as schedules_router
from event_service.settings import Settings
from event_service.venues import router as venues_router
from event_service.venues.service import start_venue_directory, venue_readiness_probe

log = get_logger("app")

# Each domain contributes one router; all of them live under /api/v1.
API_ROUTERS: list[APIRouter] = [
    whoami.router,
    events_router.router,
    venues_router.router,
    categories_router.router,
    pricing_router.router,
    schedules_router.router,
    outbox_router.router,
    capacity_router.router,
    reservations_router.router,
    reports_router.router,
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    embedded: EmbeddedPostgres | None = None
    url = settings.external_database_url
    if url is None:
        embedded = EmbeddedPostgres(settings.event_service_data_dir)
        url = embedded.start()
        log.info("embedded_postgres_started", data_dir=str(embedded.data_dir))
    database = Database(create_engine(url, settings))
    http = httpx.AsyncClient(timeout=settings.venue_timeout_seconds)
    try:
        if settings.auto_migrate:
            await migrate.upgrade(database.engine)
        await database.warm_up(min(settings.db_pool_min, settings.db_pool_max))
        app.state.db = database
        app.state.http = http
        app.state.verifier = TokenVerifier(settings, http)
        for start in app.state.on_startup:
            await start(app)
        for job in app.state.jobs.values():
            job.start()
        log.info("service_started", version=__version__)
        yield
    finally:
        for job in app.state.jobs.values():
            await job.stop()
        for stop in reversed(app.state.on_shutdown):
            try:
                await stop(app)
            except Exception as exc:  # one failing hook must not keep the pools open
                log.error("shutdown_hook_failed", hook=getattr(stop, "__qualname__", str(stop)), exc_info=exc)
        await http.aclose()
        await database.dispose()
        if embedded is not None:
            embedded.stop()
        log.info("service_stopped")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = FastAPI(
        title="event-service",
        version=__version__,
        default_response_class=JSON,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.jobs = {}  # name -> PeriodicJob, started in the lifespan
    app.state.readiness_probes = {}  # name -> () -> {"status": ...}
    app.state.on_startup = []  # async (app) -> None, run once the database is up
    app.state.on_shutdown = []  # async (app) -> None, run in reverse after the jobs stop, before the pools close
    install_error_handlers(app)
    app.state.on_startup.append(start_venue_directory)
    app.state.on_startup.append(outbox_relay.install)  # the outbox relay job (docs/outbox.md)
    register_job(app, "reservationCleanup", reservation_cleanup_job(app))  # docs/reservations.md
    register_readiness_probe(app, "venue_service", venue_readiness_probe(app))
    ratelimit.install(app, settings)  # innermost of ours: the request id exists, /api/v1 only
    metrics.install(app)  # GET /metrics; counts 429s and 500s too
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_request_body_bytes)
    tracing.install(app, settings)  # only with OTEL_EXPORTER_OTLP_ENDPOINT
    cache.install(app)  # Redis link and cache, made in the lifespan (docs/operations.md)
    app.include_router(health.router)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    openapi.install(app)  # documented error responses + bearer scheme on every /api/v1 operation
    return app


def register_job(app: FastAPI, key: str, job: PeriodicJob) -> None:
    app.state.jobs[key] = job


def register_readiness_probe(app: FastAPI, name: str, probe: Callable[[], dict[str, Any]]) -> None:
    app.state.readiness_probes[name] = probe
