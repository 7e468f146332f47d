"""Migrations upgrade, downgrade and upgrade again, and match tables.py exactly."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from event_service.db import migrate
from event_service.db.tables import SEED_CATEGORIES, metadata
from tests.conftest import create_database, drop_database


async def test_upgrade_downgrade_upgrade_on_a_fresh_database(server_url: str) -> None:
    name = f"es_mig_{uuid.uuid4().hex[:10]}"
    url = await create_database(server_url, name)
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current(engine) is not None
        await migrate.downgrade(engine, "base")
        assert await migrate.current(engine) is None
        async with engine.connect() as conn:
            left = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                        "AND table_name <> 'alembic_version'"
                    )
                )
            ).scalar_one()
        assert left == 0
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
            categories = (await conn.execute(text("SELECT count(*) FROM event_categories"))).scalar_one()
        assert diff == []
        assert categories == len(SEED_CATEGORIES) == 10
    finally:
        await engine.dispose()
        await drop_database(server_url, name)


async def test_available_capacity_is_derived_and_never_negative(engine) -> None:  # type: ignore[no-untyped-def]
    tenant = uuid.uuid4()
    async with engine.begin() as conn:
        event_id = (
            await conn.execute(
                text(
                    "INSERT INTO events (tenant_id, venue_id, name, slug) "
                    "VALUES (:t, gen_random_uuid(), 'E', 'e') RETURNING id"
                ),
                {"t": tenant},
            )
        ).scalar_one()
        row = (
            await conn.execute(
                text(
                    "INSERT INTO event_capacity (tenant_id, event_id, section_name, total_capacity, sold_count, "
                    "reserved_capacity, buffer_capacity) VALUES (:t, :e, 'GA', 100, 10, 5, 3) "
                    "RETURNING id, available_capacity, updated_at"
                ),
                {"t": tenant, "e": event_id},
            )
        ).one()
        assert row.available_capacity == 82
    async with engine.begin() as conn:
        updated = (
            await conn.execute(
                text(
                    "UPDATE event_capacity SET sold_count = 20 WHERE id = :id RETURNING available_capacity, updated_at"
                ),
                {"id": row.id},
            )
        ).one()
        assert updated.available_capacity == 72
        assert updated.updated_at > row.updated_at
        oversell = conn.execute(text("UPDATE event_capacity SET sold_count = 200 WHERE id = :id"), {"id": row.id})
        try:
            await oversell
        except Exception as exc:
            assert "available_nonnegative" in str(exc)
        else:
            raise AssertionError("the database accepted an oversold section")
