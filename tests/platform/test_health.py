"""Liveness and readiness, with the database up and down."""

from __future__ import annotations

import uuid

import httpx

from event_service.app import create_app
from tests.conftest import make_settings
from tests.support import auth, free_port


async def test_health_answers_in_the_seed_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["service"] == "event-service"
    assert body["security"] == "enabled"
    assert body["timestamp"].endswith("Z")
    assert "isRunning" in body["reservationCleanup"]


async def test_ready_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["components"]["database"]["status"] == "healthy"


async def test_ready_is_503_naming_the_database_when_it_is_down() -> None:
    # Nothing listens on this port: the database is down from the service's view.
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/postgres"
    app = create_app(make_settings(url, db_pool_min=0))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/health/ready")
            assert response.status_code == 503
            body = response.json()
            assert body["failing"] == ["database"]
            assert body["components"]["database"]["status"] == "unhealthy"
            # Liveness does not depend on the database.
            assert (await http.get("/health")).status_code == 200
            # An API call that needs the database is retryable: 503, never 500.
            api = await http.get("/api/v1/events", headers=auth(uuid.uuid4(), "admin"))
            assert api.status_code == 503, api.text
            assert api.json()["code"] == "SERVICE_UNAVAILABLE"
            assert api.headers["retry-after"] == "1"
