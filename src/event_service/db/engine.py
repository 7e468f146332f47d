"""The database: engine and pool, and the one way to open a transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from event_service.platform.responses import dumps
from event_service.settings import Settings


def _json_loads(text: str) -> Any:
    # JSONB numbers come back as Decimal, so a locked price stored as 50.00 renders as 50.00.
    return json.loads(text, parse_float=Decimal)


def _json_dumps(value: Any) -> str:
    return dumps(value).decode()


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=_json_loads,
        pool_size=settings.db_pool_max,
        max_overflow=0,
        # No ping per checkout (a round trip on every request): a connection found dead is
        # invalidated by SQLAlchemy, that request answers 503 and the next one reconnects.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={
            "server_settings": {
                "timezone": "UTC",
                "application_name": settings.service_name,
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    )


class Database:
    """Owns the engine; services ask it for a transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One short transaction: commit on success, roll back on any error."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (autocommit-free, rolled back at the end)."""
        async with self.engine.connect() as conn:
            yield conn

    async def warm_up(self, connections: int) -> None:
        """Open DB_POOL_MIN connections up front so the first requests don't pay for them."""
        held = [await self.engine.connect() for _ in range(connections)]
        for conn in held:
            await conn.close()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
