"""Three service processes on one database: one killed with SIGKILL mid-storm, and
the cleanup job running in all three at once."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.reliability.support import (
    FIGURES,
    STORM_SECONDS,
    Server,
    arrange_sections,
    check_ledger,
    servers,
    storm,
)
from tests.support import auth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def three(database_url: str) -> Iterator[list[Server]]:
    # Cleanup every 1.2 s in each of the three processes.
    with servers(database_url, 3, RESERVATION_CLEANUP_INTERVAL_MINUTES="0.02") as started:
        yield started


async def test_one_of_three_processes_killed_with_sigkill_mid_storm_loses_nothing(
    three: list[Server], database_url: str
) -> None:
    tenant = uuid.uuid4()
    sections = arrange_sections(three[0].base, tenant)
    victim = three[2]
    killer = threading.Timer(STORM_SECONDS / 2, victim.kill)
    killer.start()
    result = storm([s.base for s in three], sections, tenant)
    killer.join()
    FIGURES["faults_injected"] += 1
    assert not victim.alive
    assert result.statuses.get(500, 0) == 0, result.statuses
    assert len(result.created) > 20, result.statuses
    counts = await check_ledger(database_url, tenant, result)
    assert sum(counts.values()) >= len(set(result.created))
    # the survivors keep serving
    async with httpx.AsyncClient(timeout=5) as http:
        for server in three[:2]:
            assert (await http.get(f"{server.base}/health/ready")).status_code == 200


async def test_the_cleanup_job_in_three_processes_at_once_expires_each_hold_exactly_once(
    three: list[Server], database_url: str
) -> None:
    alive = [s for s in three if s.alive]
    tenant = uuid.uuid4()
    sections = arrange_sections(alive[0].base, tenant, sections=2, capacity=200)
    held = []
    async with httpx.AsyncClient(timeout=10) as http:
        for n in range(60):
            base = alive[n % len(alive)].base
            response = await http.post(
                f"{base}/api/v1/capacity/{sections[n % 2]}/reserve",
                headers=auth(tenant, "admin", uuid.uuid4()),
                json={"quantity": 1 + n % 3},
            )
            assert response.status_code == 200, response.text
            held.append(response.json()["reservation"]["id"])
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:  # time passes: every hold is now due
            await conn.execute(
                text("UPDATE capacity_reservations SET expires_at = now() - interval '1 second' WHERE tenant_id = :t"),
                {"t": tenant},
            )
        FIGURES["faults_injected"] += 1
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                active = (
                    await conn.execute(
                        text("SELECT count(*) FROM capacity_reservations WHERE tenant_id = :t AND status = 'ACTIVE'"),
                        {"t": tenant},
                    )
                ).scalar_one()
            if active == 0:
                break
            await asyncio.sleep(0.3)
        async with engine.connect() as conn:
            events = (
                await conn.execute(
                    text(
                        "SELECT subject, count(*) FROM outbox WHERE tenant_id = :t AND type = 'reservation.expired' "
                        "GROUP BY subject"
                    ),
                    {"t": tenant},
                )
            ).all()
            reserved = (
                await conn.execute(
                    text("SELECT sum(reserved_capacity) FROM event_capacity WHERE tenant_id = :t"), {"t": tenant}
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    counts = await check_ledger(database_url, tenant)
    assert counts == {"EXPIRED": len(held)}
    assert reserved == 0
    # each hold expired exactly once: one reservation.expired event per reservation, no doubles
    assert all(count == 1 for _, count in events), events
    assert len(events) == len(held)
