"""The outbox relay: sequence, publish to the bus, call webhooks, prune; one loop per process.

Every step is safe with several instances at once (several workers or
replicas): the sequencer serialises itself with an advisory lock, and rows
and deliveries are leased with `FOR UPDATE SKIP LOCKED`, so two relays never
take the same row and never run ahead of an undelivered row of the same
subject. Delivery is at least once: a crash between the broker's ack and the
"delivered" commit re-sends the row after its lease runs out.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from event_service.db.engine import Database
from event_service.jobs.periodic import PeriodicJob
from event_service.outbox import queries, webhooks
from event_service.outbox.sinks import Sink, make_sink
from event_service.platform.logging import get_logger
from event_service.settings import Settings

log = get_logger("outbox.relay")

MAX_ROUNDS = 50  # per run and step: drains bursts on one subject without starving the other steps
WEBHOOK_CONCURRENCY = 16


class Relay:
    def __init__(self, database: Database, settings: Settings, sink: Sink | None = None) -> None:
        self.db = database
        self.settings = settings
        self.sink = sink or make_sink(settings)
        self.http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        self._last_prune = 0.0
        self.pending = 0
        self.oldest_pending_seconds = 0.0
        self.last_error: str | None = None

    async def run_once(self) -> int:
        """One pass of every step; returns how many rows and deliveries it handled."""
        handled = await self.sequence()
        handled += await self.publish()
        handled += await self.call_webhooks()
        if time.monotonic() - self._last_prune >= self.settings.outbox_prune_interval_seconds:
            await self.prune()
        await self.refresh_backlog()
        return handled

    async def sequence(self) -> int:
        total = 0
        for _ in range(MAX_ROUNDS):
            async with self.db.transaction() as conn:
                count = await queries.sequence(conn, self.settings.outbox_batch_size)
            total += count
            if count < self.settings.outbox_batch_size:
                break
        return total

    async def publish(self) -> int:
        """Lease due rows, publish them one by one in seq order, then record each outcome."""
        s = self.settings
        delivered_total = 0
        for _ in range(MAX_ROUNDS):
            async with self.db.transaction() as conn:
                batch = await queries.claim(conn, s.outbox_batch_size, s.outbox_lease_seconds)
            if not batch:
                break
            delivered: list[Any] = []
            failures: dict[Any, str] = {}
            for index, item in enumerate(batch):
                try:
                    await asyncio.wait_for(self.sink.publish(item), timeout=s.event_bus_publish_timeout_seconds)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
                    # The broker is most likely gone: don't wait out a timeout per row.
                    for rest in batch[index:]:
                        failures[rest.id] = error
                    break
                delivered.append(item.id)
            async with self.db.transaction() as conn:
                await queries.mark_delivered(conn, delivered)
                await queries.mark_failed(conn, failures, s.outbox_retry_base_seconds, s.outbox_retry_max_seconds)
            delivered_total += len(delivered)
            if failures:
                self.last_error = next(iter(failures.values()))
                log.warning("outbox_publish_failed", sink=self.sink.name, rows=len(failures), error=self.last_error)
                break
            self.last_error = None
        return delivered_total

    async def call_webhooks(self) -> int:
        s = self.settings
        handled = 0
        gate = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

        async def send(delivery: queries.WebhookDelivery) -> webhooks.Outcome:
            async with gate:
                return await webhooks.send(self.http, delivery)

        for _ in range(MAX_ROUNDS):
            async with self.db.transaction() as conn:
                batch = await queries.claim_webhook_deliveries(conn, s.outbox_batch_size, s.outbox_lease_seconds)
            if not batch:
                break
            outcomes = await asyncio.gather(*(send(d) for d in batch))
            async with self.db.transaction() as conn:
                for outcome in outcomes:
                    d = outcome.delivery
                    if outcome.ok:
                        await queries.webhook_delivered(conn, d.id, d.webhook_id, outcome.status or 200)
                        continue
                    disabled = await queries.webhook_failed(
                        conn,
                        d.id,
                        d.webhook_id,
                        outcome.status,
                        outcome.error or "failed",
                        base=s.outbox_retry_base_seconds,
                        cap=s.outbox_retry_max_seconds,
                        max_failures=s.webhook_max_consecutive_failures,
                    )
                    if disabled:
                        log.warning("webhook_disabled", webhook_id=str(d.webhook_id), error=outcome.error)
            handled += len(outcomes)
            if not all(o.ok for o in outcomes):
                break
        return handled

    async def prune(self) -> int:
        self._last_prune = time.monotonic()
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.outbox_retention_days)
        async with self.db.transaction() as conn:
            pruned = await queries.prune(conn, cutoff)
        if pruned:
            log.info("outbox_pruned", rows=pruned)
        return pruned

    async def refresh_backlog(self) -> None:
        async with self.db.read() as conn:
            self.pending, self.oldest_pending_seconds = await queries.backlog(conn)

    def probe(self) -> dict[str, Any]:
        """/health/ready: a backlog is information ("degraded"), never a reason to answer 503."""
        lagging = self.oldest_pending_seconds > self.settings.outbox_degraded_after_seconds
        return {
            "status": "degraded" if lagging or self.last_error else "healthy",
            "sink": self.sink.name,
            "pending": self.pending,
            "oldestPendingSeconds": round(self.oldest_pending_seconds, 3),
            "lastError": self.last_error,
        }

    async def close(self) -> None:
        await self.sink.close()
        await self.http.aclose()


class RelayJob(PeriodicJob):
    """The relay as a PeriodicJob; stopping it also closes the broker connection and HTTP client."""

    def __init__(self, relay: Relay, interval_seconds: float) -> None:
        super().__init__("outboxRelay", interval_seconds, relay.run_once)
        self.relay = relay

    async def stop(self) -> None:
        await super().stop()
        await self.relay.close()


async def install(app: FastAPI) -> None:
    """on_startup hook: start the relay (unless OUTBOX_RELAY_ENABLED=false) and its readiness probe."""
    from event_service.app import register_job, register_readiness_probe

    settings: Settings = app.state.settings
    if not settings.outbox_relay_enabled:
        return
    relay = Relay(app.state.db, settings)
    app.state.outbox_relay = relay
    register_job(app, "outboxRelay", RelayJob(relay, settings.outbox_relay_interval_seconds))
    register_readiness_probe(app, "outbox", relay.probe)
