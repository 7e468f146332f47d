"""The venue service client: forwarding, answers, timeouts, outages, the circuit breaker and the cache."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from event_service.app import create_app
from event_service.db.tables import venues
from event_service.platform.auth import Principal
from event_service.platform.errors import ValidationFailed
from tests import factories
from tests.conftest import make_settings
from tests.support import Tenant, free_port, token
from tests.venues.fake_venue_service import FakeVenueService, fake_venue_service

FAST = {
    "venue_timeout_seconds": 0.3,
    "venue_breaker_reset_seconds": 0.5,
    "venue_breaker_min_calls": 2,
    "venue_breaker_failure_ratio": 0.5,
    "db_pool_max": 4,
}


@asynccontextmanager
async def service_using(
    database_url: str, venue_url: str, **overrides: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(make_settings(database_url, venue_service_url=venue_url, **{**FAST, **overrides}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http


@pytest.fixture
def venue_service() -> Any:
    with fake_venue_service() as service:
        yield service


async def cached_row(engine: AsyncEngine, venue_id: uuid.UUID) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(venues).where(venues.c.id == venue_id))).one_or_none()


async def readiness(http: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await http.get("/health/ready")
    return response.status_code, response.json()["components"]["venue_service"]


async def test_a_venue_the_service_returns_is_answered_and_cached_with_the_callers_token_forwarded(
    database_url: str, engine: AsyncEngine, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    venue_id = uuid.uuid4()
    venue_service.venue(venue_id, name="Salle Pleyel", max_capacity=2400, timezone="Europe/Paris")
    bearer = token(tenant.id, "organizer")
    async with service_using(database_url, venue_service.url) as (_, http):
        response = await http.get(f"/api/v1/venues/{venue_id}", headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200
    venue = response.json()["venue"]
    assert venue["name"] == "Salle Pleyel"
    assert venue["max_capacity"] == 2400
    assert venue["slug"] == "salle-pleyel"
    assert venue["source"] == "remote"
    assert venue_service.requests[-1]["authorization"] == f"Bearer {bearer}"
    row = await cached_row(engine, venue_id)
    assert row is not None
    assert (row.tenant_id, row.source, row.max_capacity, row.timezone) == (tenant.id, "remote", 2400, "Europe/Paris")
    assert row.fetched_at is not None


async def test_a_changed_venue_updates_the_cached_copy(
    database_url: str, engine: AsyncEngine, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    venue_id = uuid.uuid4()
    venue_service.venue(venue_id, max_capacity=100)
    async with service_using(database_url, venue_service.url) as (_, http):
        await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers("organizer"))
        venue_service.venue(venue_id, max_capacity=150)
        response = await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers("organizer"))
    assert response.json()["venue"]["max_capacity"] == 150
    assert (await cached_row(engine, venue_id)).max_capacity == 150


async def test_venue_service_403_answers_forbidden(
    database_url: str, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    venue_id = uuid.uuid4()
    venue_service.answer(venue_id, 403)
    async with service_using(database_url, venue_service.url) as (app, http):
        response = await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers("organizer"))
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"
        # A 403 is an answer, not a failure: the breaker stays closed.
        assert app.state.venues.breaker_state == "closed"


async def test_venue_service_404_is_a_validation_error_on_venue_id_for_events_and_404_on_the_venue_route(
    database_url: str, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    venue_id = uuid.uuid4()  # unknown to the fake service: 404
    principal = Principal(tenant.id, "u1", frozenset({"organizer"}), token(tenant.id, "organizer"))
    async with service_using(database_url, venue_service.url) as (app, http):
        with pytest.raises(ValidationFailed) as raised:
            await app.state.venues.get(principal, venue_id)
        assert raised.value.details == [{"field": "venue_id", "message": "Invalid venue or no access"}]
        response = await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers("organizer"))
        assert response.status_code == 404
        assert app.state.venues.breaker_state == "closed"


async def test_a_slow_venue_service_times_out_and_the_cached_venue_serves(
    database_url: str, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    venue_id = uuid.uuid4()
    venue_service.venue(venue_id, name="Cached Hall", max_capacity=500)
    async with service_using(database_url, venue_service.url, venue_breaker_min_calls=10) as (_, http):
        assert (await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers())).status_code == 200
        venue_service.venue(venue_id, name="Renamed Hall", max_capacity=999)
        venue_service.answer(venue_id, 200, delay=1.5)
        started = time.monotonic()
        response = await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers())
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["venue"]["name"] == "Cached Hall"
    assert elapsed < 1.2  # gave up at the 0.3 s timeout, did not wait for the answer


async def test_a_down_venue_service_serves_the_cached_copy_and_503_when_nothing_is_cached(
    database_url: str, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    cached = await factories.venue(engine, tenant.id, name="Kept Arena", source="remote")
    nowhere = f"http://127.0.0.1:{free_port()}"  # connection refused
    async with service_using(database_url, nowhere, venue_breaker_min_calls=10) as (_, http):
        served = await http.get(f"/api/v1/venues/{cached['id']}", headers=tenant.headers("organizer"))
        missing = await http.get(f"/api/v1/venues/{uuid.uuid4()}", headers=tenant.headers("organizer"))
        # Another tenant never gets this tenant's cached copy.
        foreign = await http.get(f"/api/v1/venues/{cached['id']}", headers=other_tenant.headers("organizer"))
    assert served.status_code == 200
    assert served.json()["venue"]["name"] == "Kept Arena"
    assert missing.status_code == 503
    assert missing.json()["code"] == "SERVICE_UNAVAILABLE"
    assert foreign.status_code == 503


async def test_a_venue_service_5xx_serves_the_cached_copy(
    database_url: str, engine: AsyncEngine, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    venue = await factories.venue(engine, tenant.id, name="Fallback Club", source="remote")
    venue_service.answer(venue["id"], 502)
    async with service_using(database_url, venue_service.url, venue_breaker_min_calls=10) as (_, http):
        response = await http.get(f"/api/v1/venues/{venue['id']}", headers=tenant.headers())
    assert response.status_code == 200
    assert response.json()["venue"]["name"] == "Fallback Club"


async def test_the_breaker_opens_at_half_the_calls_failing_then_closes_after_the_reset_period(
    database_url: str, engine: AsyncEngine, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    good, bad = uuid.uuid4(), uuid.uuid4()
    venue_service.venue(good, name="Good Hall")
    venue_service.answer(bad, 500)
    headers = tenant.headers()
    async with service_using(database_url, venue_service.url) as (_, http):
        assert await readiness(http) == (200, {"status": "healthy", "breaker": "closed"})
        assert (await http.get(f"/api/v1/venues/{good}", headers=headers)).status_code == 200
        assert (await http.get(f"/api/v1/venues/{bad}", headers=headers)).status_code == 503  # 1 of 2 failed
        # Open: readiness reports it but stays 200, and calls no longer reach the service.
        assert await readiness(http) == (200, {"status": "degraded", "breaker": "open"})
        calls = venue_service.calls_for(good)
        response = await http.get(f"/api/v1/venues/{good}", headers=headers)
        assert response.status_code == 200
        assert response.json()["venue"]["name"] == "Good Hall"  # from the cache
        assert venue_service.calls_for(good) == calls
        await asyncio.sleep(0.6)
        assert await readiness(http) == (200, {"status": "degraded", "breaker": "half-open"})
        # The trial call succeeds: closed again, and the service is asked again.
        assert (await http.get(f"/api/v1/venues/{good}", headers=headers)).status_code == 200
        assert venue_service.calls_for(good) == calls + 1
        assert await readiness(http) == (200, {"status": "healthy", "breaker": "closed"})


async def test_a_failed_trial_call_opens_the_breaker_again(
    database_url: str, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    bad = uuid.uuid4()
    venue_service.answer(bad, 500)
    async with service_using(database_url, venue_service.url) as (app, http):
        for _ in range(2):
            await http.get(f"/api/v1/venues/{bad}", headers=tenant.headers())
        assert app.state.venues.breaker_state == "open"
        await asyncio.sleep(0.6)
        assert (await http.get(f"/api/v1/venues/{bad}", headers=tenant.headers())).status_code == 503
        assert app.state.venues.breaker_state == "open"
        assert venue_service.calls_for(bad) == 3


async def test_the_breaker_stays_closed_while_failures_are_under_half_of_the_calls(
    database_url: str, venue_service: FakeVenueService, tenant: Tenant
) -> None:
    good, bad = uuid.uuid4(), uuid.uuid4()
    venue_service.venue(good)
    venue_service.answer(bad, 500)
    async with service_using(database_url, venue_service.url, venue_breaker_min_calls=4) as (app, http):
        for venue_id in (good, good, bad, good, bad):  # 2 of 5 failed: 40 %
            await http.get(f"/api/v1/venues/{venue_id}", headers=tenant.headers())
        assert app.state.venues.breaker_state == "closed"
        await http.get(f"/api/v1/venues/{bad}", headers=tenant.headers())  # 3 of 6: 50 %
        assert app.state.venues.breaker_state == "open"


async def test_readiness_says_the_venue_service_is_not_configured_without_a_url(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["components"]["venue_service"] == {"status": "not_configured"}
