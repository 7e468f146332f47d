"""Outbox fixtures: a database of its own per test, apps whose relay runs every few ms, a way to emit."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from event_service.app import create_app
from event_service.db import migrate
from event_service.db.engine import Database
from event_service.outbox.queries import emit
from tests.conftest import create_database, drop_database, make_settings

FAST_RELAY: dict[str, Any] = {
    "outbox_relay_interval_seconds": 0.05,
    "outbox_retry_base_seconds": 0.1,
    "outbox_retry_max_seconds": 0.4,
    "event_bus_publish_timeout_seconds": 3.0,
    "db_pool_max": 8,
}


@pytest.fixture(scope="session")
async def outbox_template(server_url: str) -> AsyncIterator[str]:
    """A migrated database that each test copies (CREATE DATABASE ... TEMPLATE is fast)."""
    name = f"es_outbox_tpl_{uuid.uuid4().hex[:10]}"
    url = await create_database(server_url, name)
    engine = create_async_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    yield name
    await drop_database(server_url, name)


@pytest.fixture
async def outbox_db_url(server_url: str, outbox_template: str) -> AsyncIterator[str]:
    """A database of this test alone: no other relay (the session app's included) touches its outbox."""
    name = f"es_outbox_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{outbox_template}"')
    await admin.dispose()
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await drop_database(server_url, name)


RelayApp = Callable[..., Any]


@pytest.fixture
def relay_app(outbox_db_url: str) -> RelayApp:
    """`async with relay_app(event_bus_url=...) as app:` an app on this test's database, relay running."""

    @asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[FastAPI]:
        app = create_app(make_settings(outbox_db_url, **{**FAST_RELAY, **overrides}))
        async with app.router.lifespan_context(app):
            yield app

    return running


@pytest.fixture
async def outbox_db(outbox_db_url: str) -> AsyncIterator[Database]:
    """A plain connection pool on this test's database, for emitting and inspecting rows."""
    database = Database(create_async_engine(outbox_db_url, pool_size=20))
    yield database
    await database.dispose()


async def emit_changes(
    db: Database, tenant_id: uuid.UUID, count: int, *, subjects: int = 1, event_type: str = "event.updated"
) -> list[uuid.UUID]:
    """`count` changes, one transaction each, spread round-robin over `subjects` subjects."""
    ids = []
    for n in range(count):
        async with db.transaction() as conn:
            subject = f"events/{uuid.UUID(int=tenant_id.int ^ (n % subjects))}"
            ids.append(await emit(conn, tenant_id, event_type, subject, {"n": n, "name": f"Change {n}"}))
    return ids


async def wait_for(check: Callable[[], Awaitable[bool]], within: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def undelivered(db: Database, tenant_id: uuid.UUID) -> int:
    async with db.read() as conn:
        value = (
            await conn.execute(
                text("SELECT count(*) FROM outbox WHERE tenant_id = :t AND delivered_at IS NULL"), {"t": tenant_id}
            )
        ).scalar_one()
    return int(value)


async def all_delivered(db: Database, tenant_id: uuid.UUID, within: float = 15.0) -> None:
    async def done() -> bool:
        return await undelivered(db, tenant_id) == 0

    await wait_for(done, within, "every outbox row to be delivered")
