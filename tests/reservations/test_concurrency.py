"""No oversell under real concurrency: several OS processes against `serve` with several workers."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.db.engine import Database
from event_service.reservations.service import expire_due, reconcile
from tests import factories
from tests.reservations import clients
from tests.reservations.arrange import ledger_violations, on_sale_section, section_row
from tests.support import Tenant, live_server

STORM_SECONDS = float(os.environ.get("RESERVATION_STORM_SECONDS", "30"))
SERVER_ENV = {
    "RATE_LIMIT_ENABLED": "false",
    "MAX_ACTIVE_HOLDS_PER_EVENT": "0",
    "RESERVATION_CLEANUP_INTERVAL_MINUTES": "0.02",  # every 1.2 s, in each of the workers
    "DB_POOL_MAX": "10",
}


def _pool(processes: int) -> multiprocessing.pool.Pool:
    return multiprocessing.get_context("spawn").Pool(processes)


@pytest.mark.slow
async def test_250_reserves_from_five_processes_hold_exactly_the_100_seats(
    engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    section = await on_sale_section(engine, tenant.id, 100)
    with live_server(database_url, workers=3, **SERVER_ENV) as base, _pool(5) as pool:
        args = [(base, str(tenant.id), str(section["id"]), 50)] * 5
        results = await asyncio.to_thread(pool.starmap, clients.reserve_many, args)
    codes = Counter(code for result in results for code in result)
    assert codes == {200: 100, 400: 150}, codes
    row = await section_row(engine, section["id"])
    assert (row["reserved_capacity"], row["available_capacity"]) == (100, 0)
    assert await ledger_violations(engine, tenant.id) == []
    report = await reconcile(Database(engine), tenant.id, fix=False)
    assert report["drift"] == []
    async with engine.connect() as conn:
        status = (
            await conn.execute(text("SELECT status FROM events WHERE id = :id"), {"id": section["event_id"]})
        ).scalar_one()
    assert status == "SOLD_OUT"


@pytest.mark.slow
async def test_a_storm_of_reserve_confirm_release_and_expiry_keeps_every_invariant(
    engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    venue = await factories.venue(engine, tenant.id, max_capacity=1000)
    event = await factories.event(engine, tenant.id, venue["id"], status="ON_SALE")
    sections = [await factories.section(engine, tenant.id, event["id"], total_capacity=40) for _ in range(3)]
    ids = [str(s["id"]) for s in sections]
    database = Database(engine)
    violations: list[object] = []
    stop = asyncio.Event()

    async def time_passes_and_the_job_runs() -> None:
        """Some holds fall due (their expiry moves into the past) and this process expires them
        too, alongside the job in each server worker."""
        while not stop.is_set():
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE capacity_reservations SET expires_at = now() - interval '1 second' "
                        "WHERE id IN (SELECT id FROM capacity_reservations WHERE tenant_id = :t AND status = 'ACTIVE' "
                        "ORDER BY random() LIMIT 5)"
                    ),
                    {"t": tenant.id},
                )
            await expire_due(database)
            await asyncio.sleep(0.3)

    async def watch() -> None:
        while not stop.is_set():
            violations.extend(await ledger_violations(engine, tenant.id))
            await asyncio.sleep(0.2)

    with live_server(database_url, workers=3, **SERVER_ENV) as base, _pool(3) as pool:
        background = [asyncio.create_task(time_passes_and_the_job_runs()), asyncio.create_task(watch())]
        started = time.monotonic()
        args = [(base, str(tenant.id), ids, STORM_SECONDS, seed) for seed in range(3)]
        results = await asyncio.to_thread(pool.starmap, clients.storm, args)
        stop.set()
        await asyncio.gather(*background)
    assert time.monotonic() - started >= STORM_SECONDS
    seen: Counter[str] = Counter()
    for result in results:
        seen.update(result)
    assert not [key for key in seen if key.endswith(" 500")], seen
    assert seen["reserve 200"] > 50 and seen["confirm 200"] > 10 and seen["release 200"] > 10, seen
    assert violations == []

    # A final cleanup: everything due is expired; then the seed's TROUBLESHOOTING queries find nothing.
    await expire_due(database)
    async with engine.connect() as conn:
        negative = (
            await conn.execute(
                text("SELECT * FROM event_capacity WHERE tenant_id = :t AND available_capacity < 0"), {"t": tenant.id}
            )
        ).all()
        stale = (
            await conn.execute(
                text(
                    "SELECT * FROM event_capacity WHERE tenant_id = :t "
                    "AND reserved_expires_at < NOW() AND reserved_capacity > 0"
                ),
                {"t": tenant.id},
            )
        ).all()
        overdue = (
            await conn.execute(
                text(
                    "SELECT * FROM capacity_reservations WHERE tenant_id = :t "
                    "AND status = 'ACTIVE' AND expires_at <= now()"
                ),
                {"t": tenant.id},
            )
        ).all()
        sold_out_ok = (
            await conn.execute(
                text(
                    "SELECT e.status = CASE WHEN EXISTS (SELECT 1 FROM event_capacity c WHERE c.event_id = e.id "
                    "AND c.is_active AND c.available_capacity > 0) THEN 'ON_SALE' ELSE 'SOLD_OUT' END "
                    "FROM events e WHERE e.id = :id"
                ),
                {"id": event["id"]},
            )
        ).scalar_one()
    assert negative == [] and stale == [] and overdue == []
    assert sold_out_ok
    assert await ledger_violations(engine, tenant.id) == []
    report = await reconcile(database, tenant.id, fix=False)
    assert report["checked"] == 3 and report["drift"] == []
