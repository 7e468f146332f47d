"""Prometheus metrics: GET /metrics (no auth: restrict it at the network, docs/operations.md).

One `Metrics` per app (app.state.metrics), in its own registry. With
PROMETHEUS_MULTIPROC_DIR set (`event-service serve --workers N` sets it), every
worker writes its samples to files there and /metrics, whichever worker answers
it, reads all of them: counters and histograms are summed over workers, gauges
use the mode noted on each.

The seed's domain metrics are derived without touching domain code:
- events created / creation latency: POST /api/v1/events answered 201;
- capacity reserved: POST /api/v1/capacity/{id}/reserve answered 200 (requests;
  seats held are in `event_service_active_reserved_seats`);
- active reservations and total capacity: one aggregate query each at scrape
  time, cached for a few seconds, labelled by tenant (per-event labels would
  grow without bound).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from event_service.platform.logging import get_logger
from event_service.platform.middleware import route_template

log = get_logger("metrics")
router = APIRouter(tags=["health"])

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BREAKER = {"closed": 0.0, "half-open": 1.0, "half_open": 1.0, "open": 2.0}
_SYNC_EVERY_SECONDS = 1.0
_RESERVE_ROUTE = re.compile(r"^/api/v1/capacity/\{[^/]+\}/reserve$")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "event_service_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=r
        )
        self.http_latency = Histogram(
            "event_service_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.events_created = Counter("event_service_events_created", "Total events created", ["tenant_id"], registry=r)
        self.capacity_reserved = Counter(
            "event_service_capacity_reserved", "Total capacity reservations (requests)", ["tenant_id"], registry=r
        )
        self.event_creation = Histogram(
            "event_service_event_creation_duration_seconds",
            "Event creation duration",
            buckets=(0.1, 0.5, 1, 2, 5),
            registry=r,
        )
        self.cache_requests = Counter(
            "event_service_cache_requests",
            "Cache look-ups by result: hit, miss, error (Redis down), bypass",
            ["result"],
            registry=r,
        )
        self.redis_errors = Counter("event_service_redis_errors", "Failed Redis operations", ["operation"], registry=r)
        self.redis_up = Gauge(
            "event_service_redis_up", "1 when Redis answers (min over workers)", registry=r, multiprocess_mode="livemin"
        )
        self.rate_limited = Counter(
            "event_service_rate_limit_rejections", "Requests refused with 429", ["rule"], registry=r
        )
        self.db_pool_in_use = Gauge(
            "event_service_db_pool_connections_in_use",
            "Database connections checked out (sum over workers)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.db_pool_size = Gauge(
            "event_service_db_pool_size",
            "Database pool size (sum over workers)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.venue_breaker = Gauge(
            "event_service_venue_breaker_state",
            "Venue-service circuit breaker: 0 closed, 1 half-open, 2 open (max over workers)",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.reservations_expired = Counter(
            "event_service_reservations_expired", "Reservations expired by the cleanup job", registry=r
        )
        self.database = DatabaseGauges()
        r.register(self.database)
        self._job_seen = 0
        self._synced_at = 0.0

    def observe_request(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope) or "unmatched"  # raw paths would be unbounded labels
        method = scope["method"]
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)
        if method == "POST" and route.startswith("/api/v1/"):
            principal: Any = scope.get("state", {}).get("principal")
            tenant = str(principal.tenant_id) if principal is not None else ""
            if route == "/api/v1/events" and status == 201:
                self.events_created.labels(tenant).inc()
                self.event_creation.observe(seconds)
            elif 200 <= status < 300 and _RESERVE_ROUTE.match(route):
                self.capacity_reserved.labels(tenant).inc()

    def sync_process_state(self, state: Any, *, force: bool = False) -> None:
        """Copy pool, breaker and job state into gauges (at most once a second, and at scrape)."""
        now = time.monotonic()
        if not force and now - self._synced_at < _SYNC_EVERY_SECONDS:
            return
        self._synced_at = now
        db = getattr(state, "db", None)
        pool: Any = getattr(getattr(db, "engine", None), "pool", None)
        if pool is not None and hasattr(pool, "checkedout"):
            self.db_pool_in_use.set(pool.checkedout())
            self.db_pool_size.set(pool.size())
        breaker = getattr(getattr(state, "venues", None), "breaker_state", None)
        self.venue_breaker.set(_BREAKER.get(str(breaker), 0.0) if breaker is not None else 0.0)
        job = getattr(state, "jobs", {}).get("reservationCleanup")
        total = getattr(job, "total_count", None)
        if isinstance(total, int) and total > self._job_seen:
            self.reservations_expired.inc(total - self._job_seen)
            self._job_seen = total

    def exposition(self) -> bytes:
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self.database)
        return generate_latest(registry)


class DatabaseGauges(Collector):
    """Gauges read from the database at scrape time (same answer from any worker), cached briefly."""

    max_age_seconds = 5.0

    def __init__(self) -> None:
        self._at = 0.0
        self._reservations: list[tuple[str, int, int]] = []
        self._capacity: list[tuple[str, int, int]] = []

    async def refresh(self, db: Any) -> None:
        if db is None or time.monotonic() - self._at < self.max_age_seconds:
            return
        try:
            async with db.read() as conn:
                reservations = await conn.execute(
                    text(
                        "SELECT tenant_id::text, count(*), coalesce(sum(quantity), 0) "
                        "FROM capacity_reservations WHERE status = 'ACTIVE' GROUP BY tenant_id"
                    )
                )
                capacity = await conn.execute(
                    text(
                        "SELECT tenant_id::text, coalesce(sum(total_capacity), 0), "
                        "coalesce(sum(available_capacity), 0) FROM event_capacity WHERE is_active GROUP BY tenant_id"
                    )
                )
                self._reservations = [(r[0], int(r[1]), int(r[2])) for r in reservations]
                self._capacity = [(r[0], int(r[1]), int(r[2])) for r in capacity]
        except Exception as exc:  # a scrape must not fail because one gauge could not be read
            log.warning("metrics_database_gauges_failed", error=f"{type(exc).__name__}: {exc}")
            return
        self._at = time.monotonic()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        active = GaugeMetricFamily(
            "event_service_active_reservations", "Current number of active reservations", labels=["tenant_id"]
        )
        seats = GaugeMetricFamily(
            "event_service_active_reserved_seats", "Seats held by active reservations", labels=["tenant_id"]
        )
        for tenant, count, quantity in self._reservations:
            active.add_metric([tenant], count)
            seats.add_metric([tenant], quantity)
        total = GaugeMetricFamily("event_service_total_capacity", "Total event capacity", labels=["tenant_id"])
        available = GaugeMetricFamily(
            "event_service_available_capacity", "Capacity still available", labels=["tenant_id"]
        )
        for tenant, total_capacity, available_capacity in self._capacity:
            total.add_metric([tenant], total_capacity)
            available.add_metric([tenant], available_capacity)
        yield from (active, seats, total, available)


class MetricsMiddleware:
    """Counts every HTTP request by route template, method and status (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state = scope["app"].state
            metrics: Metrics | None = getattr(state, "metrics", None)
            if metrics is not None:
                metrics.observe_request(scope, status, time.perf_counter() - started)
                metrics.sync_process_state(state)


@router.get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request) -> Response:
    state = request.app.state
    metrics: Metrics = state.metrics
    metrics.sync_process_state(state, force=True)
    await metrics.database.refresh(getattr(state, "db", None))
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    app.state.metrics = Metrics()
    app.add_middleware(MetricsMiddleware)
    app.include_router(router)

    async def stop(app: FastAPI) -> None:
        if multiprocess_dir() is not None:
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # drops this worker's live gauges

    app.state.on_shutdown.append(stop)
