"""Load clients run in separate OS processes (multiprocessing, spawn): top-level functions only."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from tests.support import auth


async def _send(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A well-behaved client: on 503 it waits Retry-After (shortened) and tries again."""
    while True:
        response = await http.request(method, url, **kwargs)
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.05 + random.random() * 0.1)


async def _reserve_many(base: str, tenant_id: str, capacity_id: str, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        gate = asyncio.Semaphore(10)

        async def one() -> int:
            async with gate:
                headers = auth(tenant_id, "customer", uuid.uuid4())
                response = await _send(
                    http, "POST", f"/api/v1/capacity/{capacity_id}/reserve", json={"quantity": 1}, headers=headers
                )
                return response.status_code

        return list(await asyncio.gather(*(one() for _ in range(count))))


def reserve_many(base: str, tenant_id: str, capacity_id: str, count: int) -> list[int]:
    """`count` single-seat reserves, 10 at a time, each by a different customer; their status codes."""
    return asyncio.run(_reserve_many(base, tenant_id, capacity_id, count))


async def _storm(base: str, tenant_id: str, capacity_ids: list[str], seconds: float, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    mine: list[str] = []
    deadline = time.monotonic() + seconds
    headers = auth(tenant_id, "service", f"svc-{seed}")
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as http:

        async def worker() -> None:
            while time.monotonic() < deadline:
                roll = rng.random()
                if roll < 0.5 or not mine:
                    body = {"quantity": rng.randint(1, 4), "user_id": str(uuid.uuid4())}
                    extra = {"Idempotency-Key": uuid.uuid4().hex} if rng.random() < 0.3 else {}
                    url = f"/api/v1/capacity/{rng.choice(capacity_ids)}/reserve"
                    response = await _send(http, "POST", url, json=body, headers=extra)
                    if response.status_code == 200:
                        mine.append(response.json()["reservation"]["id"])
                    seen[f"reserve {response.status_code}"] += 1
                    continue
                reservation_id = rng.choice(mine)
                url = f"/api/v1/reservations/{reservation_id}"
                if roll < 0.7:
                    response = await _send(http, "POST", f"{url}/confirm")
                    seen[f"confirm {response.status_code}"] += 1
                elif roll < 0.9:
                    response = await _send(http, "DELETE", url)
                    seen[f"release {response.status_code}"] += 1
                else:
                    response = await _send(http, "POST", f"{url}/extend", json={"minutes": 1})
                    seen[f"extend {response.status_code}"] += 1

        await asyncio.gather(*(worker() for _ in range(4)))
    return dict(seen)


def storm(base: str, tenant_id: str, capacity_ids: list[str], seconds: float, seed: int) -> dict[str, int]:
    """Mixed reserve / confirm / release / extend for `seconds`; counts of 'operation status'."""
    return asyncio.run(_storm(base, tenant_id, capacity_ids, seconds, seed))


async def _reserve_quantities(
    base: str, tenant_id: str, capacity_id: str, quantities: list[int], concurrency: int
) -> list[tuple[int, int, dict[str, Any] | None]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        gate = asyncio.Semaphore(concurrency)

        async def one(quantity: int) -> tuple[int, int, dict[str, Any] | None]:
            async with gate:
                headers = auth(tenant_id, "customer", uuid.uuid4())
                response = await _send(
                    http,
                    "POST",
                    f"/api/v1/capacity/{capacity_id}/reserve",
                    json={"quantity": quantity},
                    headers=headers,
                )
                details = response.json().get("details") if response.status_code != 200 else None
                return quantity, response.status_code, details[0] if details else None

        return list(await asyncio.gather(*(one(quantity) for quantity in quantities)))


def reserve_quantities(
    base: str, tenant_id: str, capacity_id: str, quantities: list[int], concurrency: int
) -> list[tuple[int, int, dict[str, Any] | None]]:
    """One reserve per quantity, `concurrency` at a time, each by a different customer:
    (quantity, status, first error detail or None)."""
    return asyncio.run(_reserve_quantities(base, tenant_id, capacity_id, quantities, concurrency))
