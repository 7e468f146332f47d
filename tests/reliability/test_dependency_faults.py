"""The venue service down and slow, and Redis stopped and started, through a real server process."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.reliability.support import FIGURES, check_ledger, private_redis, servers
from tests.support import auth
from tests.venues.fake_venue_service import fake_venue_service

pytestmark = pytest.mark.slow


def _event(base: str, headers: dict[str, str], venue_id: uuid.UUID) -> httpx.Response:
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400 * 15))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400 * 15 + 3600))
    return httpx.post(
        f"{base}/api/v1/events",
        headers=headers,
        json={"name": f"Remote {uuid.uuid4().hex[:6]}", "venue_id": str(venue_id), "starts_at": start, "ends_at": end},
        timeout=30,
    )


def test_the_venue_service_down_and_slow_opens_the_breaker_serves_cached_venues_and_closes_again(
    database_url: str,
) -> None:
    tenant = uuid.uuid4()
    headers = auth(tenant, "admin", uuid.uuid4())
    cached, unknown = uuid.uuid4(), uuid.uuid4()
    with fake_venue_service() as venues:
        venues.venue(cached, name="Cached Hall", max_capacity=900)
        env = {
            "VENUE_SERVICE_URL": venues.url,
            "VENUE_TIMEOUT_SECONDS": "0.5",
            "VENUE_BREAKER_RESET_SECONDS": "2",
            "VENUE_BREAKER_MIN_CALLS": "2",
        }
        with servers(database_url, 1, **env) as (server,):
            assert _event(server.base, headers, cached).status_code == 201  # seen once: cached locally
            # Down: every call fails (500); then slow: every call times out.
            venues.answer(cached, 500)
            venues.answer(unknown, 500)
            answers = [_event(server.base, headers, cached).status_code for _ in range(4)]
            venues.answer(cached, 200, delay=2.0)
            answers += [_event(server.base, headers, cached).status_code for _ in range(3)]
            FIGURES["faults_injected"] += 2
            FIGURES["requests"] += 8
            assert set(answers) == {201}, answers  # the cached copy serves throughout
            ready = httpx.get(f"{server.base}/health/ready", timeout=10).json()
            assert "open" in str(ready["components"]["venue_service"]).lower(), ready
            calls_while_open = venues.calls_for(cached)
            assert _event(server.base, headers, cached).status_code == 201
            assert venues.calls_for(cached) == calls_while_open  # open breaker: no call made
            unknown_answer = _event(server.base, headers, unknown)
            assert unknown_answer.status_code == 503 and unknown_answer.json()["code"] == "SERVICE_UNAVAILABLE"
            # Healthy again: after the reset timeout the breaker lets a trial call through and closes.
            venues.answer(cached, 200)
            time.sleep(2.5)
            closed = False
            for _ in range(10):
                assert _event(server.base, headers, cached).status_code == 201
                state = str(httpx.get(f"{server.base}/health/ready", timeout=10).json()["components"]["venue_service"])
                if "closed" in state.lower():
                    closed = True
                    break
                time.sleep(0.5)
            assert closed, state


async def test_redis_stopped_and_started_never_stops_the_api_answering(database_url: str) -> None:
    tenant = uuid.uuid4()
    headers = auth(tenant, "admin", uuid.uuid4())
    with (
        private_redis() as (port, stop_redis, start_redis),
        servers(database_url, 1, REDIS_URL=f"redis://127.0.0.1:{port}/0", REDIS_RETRY_MAX_SECONDS="0.5") as (server,),
    ):
        from tests.reliability.support import arrange_sections

        sections = arrange_sections(server.base, tenant, sections=1, capacity=500)
        statuses: list[int] = []
        async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=10) as http:

            async def traffic(rounds: int) -> None:
                for _ in range(rounds):
                    statuses.append((await http.get("/api/v1/events")).status_code)
                    statuses.append((await http.get("/api/v1/categories/tree")).status_code)
                    reserve = await http.post(
                        f"/api/v1/capacity/{sections[0]}/reserve",
                        json={"quantity": 1},
                        headers=auth(tenant, "admin", uuid.uuid4()),  # a fresh buyer: per-user hold caps stay out
                    )
                    statuses.append(reserve.status_code)

            await traffic(5)
            stop_redis()
            FIGURES["faults_injected"] += 1
            await traffic(10)
            start_redis()
            await traffic(10)
        FIGURES["requests"] += len(statuses)
        assert set(statuses) == {200}, statuses
        await check_ledger(database_url, tenant)
