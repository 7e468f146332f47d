"""Fixtures: one migrated PostgreSQL database per run, the app, a fresh tenant per test.

TEST_DATABASE_URL points at a server (CI: 127.0.0.1:5432); without it the
embedded PostgreSQL (pgserver) is started, so the suite needs no installed server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from event_service.app import create_app
from event_service.db import migrate
from event_service.db.embedded import EmbeddedPostgres
from event_service.db.engine import Database
from event_service.settings import Settings, to_asyncpg_url
from tests.support import TEST_JWT_SECRET, Tenant

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """An asyncpg URL of a server we may create databases on."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured)
        return
    embedded = EmbeddedPostgres(Path(os.environ.get("EVENT_SERVICE_TEST_DATA_DIR", ROOT / ".event-service" / "test")))
    yield embedded.start()
    embedded.stop()


async def create_database(server_url: str, name: str) -> str:
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    await admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.dispose()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh database for this run, migrated to head."""
    name = f"es_test_{uuid.uuid4().hex[:12]}"
    url = await create_database(server_url, name)
    engine = create_async_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield url
    await drop_database(server_url, name)


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "jwt_secret": TEST_JWT_SECRET,
        "log_level": "warning",
        "auto_migrate": False,
        "db_pool_min": 1,
        "db_pool_max": 20,
        "venue_service_url": None,
        "redis_url": None,
        "redis_host": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[object]:
    application = create_app(make_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def db(app: object) -> Database:
    return app.state.db  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def engine(db: Database) -> AsyncEngine:
    return db.engine


@pytest.fixture
def tenant() -> Tenant:
    return Tenant(id=uuid.uuid4(), admin_user=uuid.uuid4())


@pytest.fixture
def other_tenant() -> Tenant:
    return Tenant(id=uuid.uuid4(), admin_user=uuid.uuid4())
