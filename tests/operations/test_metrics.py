"""GET /metrics parsed with prometheus-client's parser; counters equal the requests made, also over 2 workers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from event_service.db import tables
from tests import factories
from tests.operations.support import running_app
from tests.support import Tenant, auth, server_process


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """{(sample name, labels): value} for every sample of the exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_requests_by_route_and_status_and_the_domain_gauges(database_url: str) -> None:
    tenant = Tenant(id=uuid.uuid4(), admin_user=uuid.uuid4())
    async with running_app(database_url) as (app, client):
        engine = app.state.db.engine
        venue = await factories.venue(engine, tenant.id, max_capacity=1000)
        created = 0
        for _ in range(3):
            answer = await client.post(
                "/api/v1/events",
                json={"name": f"Show {uuid.uuid4().hex[:6]}", "venue_id": str(venue["id"])},
                headers=tenant.headers("organizer"),
            )
            created += answer.status_code == 201
        event = await factories.event(engine, tenant.id, venue["id"])
        section = await factories.section(engine, tenant.id, event["id"], total_capacity=120)
        async with engine.begin() as conn:
            await conn.execute(
                insert(tables.capacity_reservations).values(
                    tenant_id=tenant.id,
                    capacity_id=section["id"],
                    event_id=event["id"],
                    quantity=3,
                    status="ACTIVE",
                    expires_at=datetime.now(UTC) + timedelta(minutes=10),
                )
            )
        for _ in range(7):
            assert (await client.get("/api/v1/me", headers=tenant.headers("customer"))).status_code == 200
        for _ in range(4):
            assert (await client.get("/api/v1/me")).status_code == 401
        for _ in range(2):
            assert (await client.get(f"/nowhere/{uuid.uuid4()}")).status_code == 404

        response = await client.get("/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        scraped = samples(response.text)

    total = "event_service_http_requests_total"
    assert value(scraped, total, method="GET", route="/api/v1/me", status="200") == 7
    assert value(scraped, total, method="GET", route="/api/v1/me", status="401") == 4
    assert value(scraped, total, method="GET", route="unmatched", status="404") == 2
    assert value(scraped, "event_service_http_request_duration_seconds_count", method="GET", route="/api/v1/me") == 11
    assert created >= 1
    assert value(scraped, "event_service_events_created_total", tenant_id=str(tenant.id)) == created
    assert value(scraped, "event_service_event_creation_duration_seconds_count") == created
    assert value(scraped, "event_service_active_reservations", tenant_id=str(tenant.id)) == 1
    assert value(scraped, "event_service_active_reserved_seats", tenant_id=str(tenant.id)) == 3
    assert value(scraped, "event_service_total_capacity", tenant_id=str(tenant.id)) == 120
    assert value(scraped, "event_service_db_pool_size") == 20  # make_settings' DB_POOL_MAX
    names = {name for name, _ in scraped}
    for expected in (
        "event_service_db_pool_connections_in_use",
        "event_service_venue_breaker_state",
        "event_service_redis_up",
        "event_service_reservations_expired_total",
    ):
        assert expected in names, expected


@pytest.mark.slow
def test_two_workers_report_one_sum_and_stop_cleanly_on_sigterm(database_url: str) -> None:
    pool_max = 3
    env = {"DB_POOL_MAX": str(pool_max), "DB_POOL_MIN": "1", "RATE_LIMIT_DEFAULT": "10000/minute"}
    headers = auth(uuid.uuid4(), "customer", uuid.uuid4())
    with server_process(database_url, workers=2, **env) as (base, process):
        made = 0
        scraped: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        # New connections each time, until both workers have answered (each adds its pool to the livesum gauge).
        while made < 400:
            for _ in range(20):
                assert httpx.get(f"{base}/api/v1/me", headers=headers).status_code == 200
                made += 1
            scraped = samples(httpx.get(f"{base}/metrics").text)
            if value(scraped, "event_service_db_pool_size") == 2 * pool_max:
                break
        assert value(scraped, "event_service_db_pool_size") == 2 * pool_max, "one worker answered everything"
        assert (
            value(scraped, "event_service_http_requests_total", method="GET", route="/api/v1/me", status="200") == made
        )
        process.terminate()
        assert process.wait(timeout=30) == 0
