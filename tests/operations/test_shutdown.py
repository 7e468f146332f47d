"""SIGTERM: stop accepting, finish what is in flight, exit 0."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support import auth, server_process


async def slow_body(payload: bytes, seconds: float) -> AsyncIterator[bytes]:
    """The request body, trickled over `seconds`: the request stays in flight that long."""
    pieces = 10
    step = max(1, len(payload) // pieces)
    for start in range(0, len(payload), step):
        yield payload[start : start + step]
        await asyncio.sleep(seconds / pieces)


@pytest.mark.slow
async def test_sigterm_lets_in_flight_requests_finish_and_exits_zero(database_url: str) -> None:
    headers = {**auth(uuid.uuid4(), "admin", uuid.uuid4()), "content-type": "application/json"}
    with server_process(database_url, SHUTDOWN_GRACE_SECONDS="15") as (base, process):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def create_venue(n: int) -> int:
                body = f'{{"name": "Hall {n} {uuid.uuid4().hex[:6]}", "max_capacity": 100}}'.encode()
                response = await client.post("/api/v1/venues", content=slow_body(body, 1.5), headers=headers)
                return response.status_code

            in_flight = [asyncio.create_task(create_venue(n)) for n in range(20)]
            await asyncio.sleep(0.5)  # every request has started sending its body
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            with pytest.raises(httpx.ConnectError):  # no longer accepting
                await httpx.AsyncClient(base_url=base).get("/health")
            statuses = await asyncio.gather(*in_flight)

        assert statuses == [201] * 20
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, process.wait, 20) == 0
