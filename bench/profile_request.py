"""Profile one endpoint in process: cProfile over N sequential requests through the ASGI app.

    .venv/bin/python -m bench.profile_request "/api/v1/events/{event}" [cumulative|tottime] [N]
    .venv/bin/python -m bench.profile_request "/api/v1/capacity/{section}/reserve" tottime

`{event}` and `{section}` are replaced by a fresh event (with a 100,000-seat section)
in a fresh database on TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
which is dropped afterwards. Paths ending in /reserve are POSTed with {"quantity": 1}.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import time
import uuid

import httpx
from sqlalchemy.ext.asyncio import create_async_engine
from tests import factories
from tests.conftest import make_settings
from tests.support import token

from event_service.app import create_app
from event_service.db import migrate
from event_service.settings import to_asyncpg_url


async def profile(path_template: str, sort: str, count: int) -> None:
    server = to_asyncpg_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    name = f"es_profile_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + f"/{name}"
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
        tenant = uuid.uuid4()
        venue = await factories.venue(engine, tenant, max_capacity=200_000)
        app = create_app(
            make_settings(
                url,
                rate_limit_default="100000000/minute",
                outbox_relay_enabled=False,
                max_active_holds_per_event=0,
            )
        )
        async with app.router.lifespan_context(app):
            headers = {"Authorization": f"Bearer {token(tenant, 'admin')}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:
                created = await http.post(
                    "/api/v1/events",
                    json={
                        "name": "Profiled",
                        "venue_id": str(venue["id"]),
                        "starts_at": "2027-06-01T19:00:00Z",
                        "capacity": 100_000,
                    },
                )
                event_id = created.json()["event"]["id"]
                section_id = (await http.get(f"/api/v1/events/{event_id}/capacity")).json()["capacity"][0]["id"]
                path = path_template.replace("{event}", event_id).replace("{section}", section_id)
                body = {"json": {"quantity": 1}} if path.endswith("/reserve") else {}
                send = http.post if body else http.get
                for _ in range(50):  # warm-up: compiled-statement cache, connections
                    await send(path, **body)
                profiler = cProfile.Profile()
                started = time.perf_counter()
                profiler.enable()
                for _ in range(count):
                    response = await send(path, **body)
                profiler.disable()
                elapsed = time.perf_counter() - started
                print(
                    f"{response.status_code} {path}: {elapsed / count * 1000:.2f} ms per request (sequential, profiled)"
                )
                pstats.Stats(profiler).sort_stats(sort).print_stats(45)
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if not arguments:
        sys.exit(__doc__)
    asyncio.run(
        profile(
            arguments[0],
            arguments[1] if len(arguments) > 1 else "cumulative",
            int(arguments[2]) if len(arguments) > 2 else 400,
        )
    )
