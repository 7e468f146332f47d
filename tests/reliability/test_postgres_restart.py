"""PostgreSQL restarted during a reservation storm, on a private server we own.

The storm runs from several OS processes against one service process; the
database is stopped (immediate shutdown, like a crash) mid-storm and started
again. Afterwards: the service answers again without being restarted, no
reservation is half-written (counters equal the ledger), every acknowledged
reservation is there. While the database is down clients must see 503, never 500.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from event_service.db import migrate
from tests.reliability.support import (
    FIGURES,
    STORM_SECONDS,
    StormResult,
    arrange_sections,
    check_ledger,
    private_postgres,
    servers,
    storm,
)

pytestmark = pytest.mark.slow


@dataclass
class Outcome:
    url: str
    tenant: uuid.UUID
    result: StormResult
    recovered_after: float
    ready_after: int


@pytest.fixture(scope="module")
def restarted_storm() -> Iterator[Outcome]:
    with private_postgres() as (url, stop_postgres, start_postgres):

        async def migrated() -> None:
            engine = create_async_engine(url)
            await migrate.upgrade(engine)
            await engine.dispose()

        asyncio.run(migrated())
        with servers(url, 1, DB_POOL_MIN="1", DB_POOL_MAX="10") as (server,):
            tenant = uuid.uuid4()
            sections = arrange_sections(server.base, tenant, sections=3, capacity=80)
            down_for = max(2.0, STORM_SECONDS / 3)

            def restart() -> None:
                stop_postgres()
                time.sleep(down_for)
                start_postgres()

            fault = threading.Timer(STORM_SECONDS / 4, restart)
            fault.start()
            result = storm([server.base], sections, tenant, seconds=STORM_SECONDS + down_for)
            fault.join()
            FIGURES["faults_injected"] += 1
            started = time.monotonic()
            ready = 0
            while time.monotonic() - started < 30:
                ready = httpx.get(f"{server.base}/health/ready", timeout=5).status_code
                if ready == 200:
                    break
                time.sleep(0.2)
            yield Outcome(url, tenant, result, time.monotonic() - started, ready)


def test_the_service_recovers_from_a_postgres_restart_without_being_restarted(restarted_storm: Outcome) -> None:
    assert restarted_storm.ready_after == 200
    assert restarted_storm.result.statuses.get(200, 0) > 10, restarted_storm.result.statuses


async def test_a_postgres_restart_mid_storm_leaves_no_half_written_reservation(restarted_storm: Outcome) -> None:
    await check_ledger(restarted_storm.url, restarted_storm.tenant, restarted_storm.result)


def test_clients_see_503_not_500_while_postgres_is_down(restarted_storm: Outcome) -> None:
    statuses = restarted_storm.result.statuses
    assert statuses.get(503, 0) > 0 and statuses.get(500, 0) == 0, statuses
